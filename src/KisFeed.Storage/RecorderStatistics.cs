namespace KisFeed.Storage;

/// <summary>A snapshot of a recorder's progress (see <see cref="ProgramTradeRecorder.Statistics"/>).</summary>
/// <param name="Path">Full path of the recording file.</param>
/// <param name="RecordsWritten">Records committed by this recorder instance.</param>
/// <param name="PendingRecords">Records buffered and not yet committed.</param>
/// <param name="Batches">Batches committed by this recorder instance.</param>
/// <param name="KrxRecords">Records of <see cref="Venue.Krx"/> committed by this instance.</param>
/// <param name="NxtRecords">Records of <see cref="Venue.Nxt"/> committed by this instance.</param>
/// <param name="UnifiedRecords">Records of <see cref="Venue.Unified"/> committed by this instance.</param>
/// <param name="LastSeq">The <c>seq</c> of the last committed record in the file (0 if none).</param>
/// <param name="GapsWritten">Outages recorded by this instance (one outage recorded for several venues or codes counts once).</param>
/// <param name="FileSizeBytes">Size of the database file plus its write-ahead log.</param>
/// <param name="LastFlushAt">When the last batch was committed (null before the first).</param>
public sealed record RecorderStatistics(
    string Path,
    long RecordsWritten,
    long PendingRecords,
    long Batches,
    long KrxRecords,
    long NxtRecords,
    long UnifiedRecords,
    long LastSeq,
    long GapsWritten,
    long FileSizeBytes,
    DateTimeOffset? LastFlushAt)
{
    /// <summary>Records of <paramref name="venue"/> committed by this instance.</summary>
    public long RecordsFor(Venue venue) => venue switch
    {
        Venue.Krx => KrxRecords,
        Venue.Nxt => NxtRecords,
        Venue.Unified => UnifiedRecords,
        _ => 0,
    };
}
