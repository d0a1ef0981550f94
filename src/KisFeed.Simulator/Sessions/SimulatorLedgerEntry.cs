namespace KisFeed.Simulator;

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
