namespace KisFeed.Simulator;

/// <summary>One (tr_id, tr_key) registration of a session.</summary>
/// <param name="TrId">TR id, e.g. <c>H0NXPGM0</c>.</param>
/// <param name="TrKey">TR key, e.g. <c>005930</c>.</param>
public readonly record struct SimulatorRegistration(string TrId, string TrKey);

/// <summary>A snapshot of one live session.</summary>
/// <param name="Id">Session id (unique per simulator, starts at 1).</param>
/// <param name="AppKey">The app key the session is bound to, or <see langword="null"/> before its first valid message.</param>
/// <param name="Registrations">Current registrations, in registration order.</param>
/// <param name="PingsSent">PINGPONG frames sent.</param>
/// <param name="PongsReceived">PINGPONG echoes received.</param>
/// <param name="FramesSent">Data frames sent.</param>
/// <param name="RecordsSent">Data records sent.</param>
/// <param name="ConnectedAt">When the WebSocket was accepted (simulator clock).</param>
public sealed record SimulatorSessionInfo(
    long Id,
    string? AppKey,
    IReadOnlyList<SimulatorRegistration> Registrations,
    long PingsSent,
    long PongsReceived,
    long FramesSent,
    long RecordsSent,
    DateTimeOffset ConnectedAt);

/// <summary>One data record as it was written to a session's socket.</summary>
/// <param name="SessionId">The session it went to.</param>
/// <param name="FrameSequence">1-based number of the data frame within the session.</param>
/// <param name="IndexInFrame">0-based position of the record within its frame.</param>
/// <param name="TrId">TR id of the frame.</param>
/// <param name="Code">Stock code (field 0).</param>
/// <param name="Fields">The 11 field values exactly as sent (notes §7.1 order).</param>
/// <param name="SentAt">When the frame was handed to the socket (simulator clock).</param>
public sealed record SimulatorLedgerEntry(
    long SessionId,
    long FrameSequence,
    int IndexInFrame,
    string TrId,
    string Code,
    IReadOnlyList<string> Fields,
    DateTimeOffset SentAt);
