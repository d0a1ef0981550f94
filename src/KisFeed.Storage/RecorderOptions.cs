using Microsoft.Extensions.Logging;

namespace KisFeed.Storage;

/// <summary>Options of <see cref="ProgramTradeRecorder"/>. Start from <see cref="Default"/> and use <c>with { ... }</c>.</summary>
public sealed record RecorderOptions
{
    /// <summary>The defaults: batches of up to 122 880 records (one DuckDB row group), committed at least every second.</summary>
    public static RecorderOptions Default { get; } = new();

    /// <summary>
    /// Records buffered before a batch is written and committed (one DuckDB transaction per batch). A hard kill loses
    /// at most the records not yet committed: with <see cref="ProgramTradeRecorder.RecordAsync(IAsyncEnumerable{FeedItem}, CancellationToken)"/> that is at most
    /// <see cref="FlushInterval"/> of updates, and never more than this many.
    /// </summary>
    /// <remarks>The default is DuckDB's row group size (122 880 rows): a batch that fills a row group is written
    /// straight to the database file, while smaller ones go through the write-ahead log and are written again at the
    /// next checkpoint, which costs about twice as much per record. Memory grows with the batch actually buffered
    /// (about 130 bytes a record), not with this setting.</remarks>
    public int BatchSize { get; init; } = DuckDBRowGroupSize;

    /// <summary>DuckDB's rows per row group.</summary>
    internal const int DuckDBRowGroupSize = 122_880;

    /// <summary>Longest time a record waits in the buffer while <see cref="ProgramTradeRecorder.RecordAsync(IAsyncEnumerable{FeedItem}, CancellationToken)"/> runs.</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Clock for the flush interval and statistics.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Logger factory; null logs nothing.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>
    /// Where the records come from (simulated or live, and the endpoint), stored in the file's metadata so the data
    /// stays recognisable. Null: not recorded. A file that holds simulated data refuses live data and the other way round
    /// (<see cref="KisStorageError.SourceMismatch"/>).
    /// </summary>
    public RecordingSource? Source { get; init; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(FlushInterval, TimeSpan.Zero, nameof(FlushInterval));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
    }
}

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

/// <summary>A period in which the live session was down, so the recording has no updates for it.</summary>
/// <param name="From">Start of the gap (last moment data was known to flow).</param>
/// <param name="To">End of the gap (data flows again).</param>
/// <param name="Venue">The venue affected; null for all venues.</param>
/// <param name="Codes">The codes affected; empty for all subscribed codes.</param>
/// <param name="Reason">Why, e.g. <c>reconnect</c>, <c>server closed</c>, <c>OPSP8996</c>.</param>
public sealed record RecordingGap(DateTimeOffset From, DateTimeOffset To, Venue? Venue, IReadOnlyList<string> Codes, string Reason);

/// <summary>One trading date in a recording (see <see cref="ProgramTradeCatalog.ListDatesAsync"/>).</summary>
/// <param name="Date">The trading date (KST).</param>
/// <param name="Records">Number of updates recorded for the date.</param>
/// <param name="Codes">Number of distinct codes.</param>
/// <param name="FirstReceivedAt">Earliest <c>received_at</c> of the date.</param>
/// <param name="LastReceivedAt">Latest <c>received_at</c> of the date.</param>
public readonly record struct RecordedDate(DateOnly Date, long Records, long Codes, DateTimeOffset FirstReceivedAt, DateTimeOffset LastReceivedAt);

/// <summary>One code in a recording (see <see cref="ProgramTradeCatalog.ListCodesAsync"/>).</summary>
/// <param name="Code">The stock code.</param>
/// <param name="Venues">The venues it was recorded on.</param>
/// <param name="Records">Number of updates.</param>
public sealed record RecordedCode(string Code, IReadOnlyList<Venue> Venues, long Records);
