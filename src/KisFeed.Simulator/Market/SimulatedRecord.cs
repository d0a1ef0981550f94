namespace KisFeed.Simulator;

/// <summary>One record of a <see cref="SimulatedDay"/>: what the WebSocket would have sent.</summary>
/// <param name="TrId">The TR id: <c>H0STPGM0</c> (KRX), <c>H0NXPGM0</c> (NXT) or <c>H0UNPGM0</c> (unified).</param>
/// <param name="At">The second the record carries, Korea time (+09:00).</param>
/// <param name="Fields">The 11 fields in the order of the protocol notes §7.1 (code, time <c>HHmmss</c>, then the nine
/// cumulative values), formatted as the server sends them.</param>
public readonly record struct SimulatedRecord(string TrId, DateTimeOffset At, string[] Fields);
