namespace KisFeed.Simulator;

/// <summary>One (tr_id, tr_key) registration of a session.</summary>
/// <param name="TrId">TR id, e.g. <c>H0NXPGM0</c>.</param>
/// <param name="TrKey">TR key, e.g. <c>005930</c>.</param>
public readonly record struct SimulatorRegistration(string TrId, string TrKey);
