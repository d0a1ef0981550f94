namespace KisFeed.Simulator;

/// <summary>
/// An index (업종) the simulator offers for <c>H0UPPGM0</c> and the market totals: its code, name, market and members.
/// Program trading of an index is the sum over its members on KRX; its level (<c>bstp_nmix_prpr</c>) moves with the
/// members' prices weighted by their typical traded value.
/// </summary>
/// <param name="Code">The 업종 code, e.g. <c>0001</c>.</param>
/// <param name="Name">Its name.</param>
/// <param name="Market">The market its members belong to.</param>
/// <param name="Members">Member codes, largest (by typical traded value) first.</param>
/// <param name="BaseLevel">The index level when every member trades at its price level.</param>
/// <param name="Inferred">True when what KIS's index of this code covers is not documented and the membership is a guess.</param>
public sealed record SimulatedIndex(string Code, string Name, StockMarket Market, IReadOnlyList<string> Members, double BaseLevel, bool Inferred);
