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

    /// <summary>Keep <c>program_trade_bins</c> up at each commit (default). Off only in the benchmarks, to measure
    /// what the bins cost the ingest; a file written without them has bins that do not match its rows.</summary>
    internal bool KeepBins { get; init; } = true;

    /// <summary>Fold each batch's bins in SQL over the rows just appended (<see cref="StorageSchema.FoldIntoBinsSql"/>),
    /// the way the recorder did before it folded them from the batch in memory. Only for the benchmark's before/after
    /// figures; both give the same bins.</summary>
    internal bool FoldBinsInSql { get; init; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(FlushInterval, TimeSpan.Zero, nameof(FlushInterval));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
    }
}
