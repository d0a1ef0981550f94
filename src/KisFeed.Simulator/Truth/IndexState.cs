namespace KisFeed.Simulator;

/// <summary>
/// An index's program trading at the end of one second: the sums over its members in shares and KRW (exact), and the
/// 88 fields of the <c>H0UPPGM0</c> record the simulator sends for it (in 천주 / 백만원, the order of the official sample).
/// Non-arbitrage = the members' program trading − arbitrage, exactly.
/// </summary>
/// <param name="Code">Index code.</param>
/// <param name="Venue">The venue summed (the WebSocket frames are KRX).</param>
/// <param name="At">The start of the second (its end state).</param>
/// <param name="ArbitrageSellVolume">차익 매도 (shares).</param>
/// <param name="ArbitrageSellValue">차익 매도 (KRW).</param>
/// <param name="ArbitrageBuyVolume">차익 매수 (shares).</param>
/// <param name="ArbitrageBuyValue">차익 매수 (KRW).</param>
/// <param name="NonArbitrageSellVolume">비차익 매도 (shares).</param>
/// <param name="NonArbitrageSellValue">비차익 매도 (KRW).</param>
/// <param name="NonArbitrageBuyVolume">비차익 매수 (shares).</param>
/// <param name="NonArbitrageBuyValue">비차익 매수 (KRW).</param>
/// <param name="MarketVolume">The members' accumulated volume.</param>
/// <param name="MarketValue">The members' accumulated value.</param>
/// <param name="Fields">The <c>H0UPPGM0</c> record's fields.</param>
public sealed record IndexState(
    string Code,
    SimulatorVenue Venue,
    DateTimeOffset At,
    long ArbitrageSellVolume,
    long ArbitrageSellValue,
    long ArbitrageBuyVolume,
    long ArbitrageBuyValue,
    long NonArbitrageSellVolume,
    long NonArbitrageSellValue,
    long NonArbitrageBuyVolume,
    long NonArbitrageBuyValue,
    long MarketVolume,
    long MarketValue,
    IReadOnlyList<string> Fields)
{
    /// <summary>Arbitrage net buy value (KRW).</summary>
    public long ArbitrageNetValue => ArbitrageBuyValue - ArbitrageSellValue;

    /// <summary>Non-arbitrage net buy value (KRW).</summary>
    public long NonArbitrageNetValue => NonArbitrageBuyValue - NonArbitrageSellValue;
}
