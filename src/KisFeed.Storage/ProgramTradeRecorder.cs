using System.Diagnostics;

using DuckDB.NET.Data;

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KisFeed.Storage;

/// <summary>
/// Records <see cref="ProgramTrade"/> updates into a DuckDB file (schema: <see cref="StorageSchema"/>), in batches
/// written through the DuckDB appender, each batch committed as one transaction.
/// </summary>
/// <remarks>
/// <para>A hard kill (<c>kill -9</c>, power loss) loses at most the records not yet committed; DuckDB's write-ahead
/// log keeps the file consistent and replays committed batches on the next open.</para>
/// <para>DuckDB I/O is synchronous: <see cref="Flush"/>, <see cref="Append"/> and <see cref="RecordGap(RecordingGap)"/> do the work on the calling
/// thread. One writer at a time; the members are safe to call from several threads (they serialize).</para>
/// <para><see cref="ProgramTrade.ReceivedAt"/> is stored as a UTC instant truncated to microseconds.</para>
/// </remarks>
public sealed partial class ProgramTradeRecorder : IAsyncDisposable, IDisposable
{
    private static readonly string[] VenueNames = [.. VenueExtensions.All.Select(v => v.Name())];
    private static readonly string[] TrIds = [.. VenueExtensions.All.Select(v => v.ProgramTradeTrId())];

    // DuckDB shares one database instance per file within a process, so two recorders on one file would both
    // continue from the same seq; refuse the second one.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> OpenPaths = new(StringComparer.Ordinal);

    private readonly Lock _lock = new();
    private readonly DuckDBConnection _connection;
    private readonly RecorderOptions _options;
    private readonly ILogger _logger;
    private ProgramTrade[] _buffer;
    private int _count;
    private readonly List<RecordedPrice> _prices = []; // prices buffered for the next commit (owned by _lock)
    private long _pricesWritten;
    private readonly List<IndexProgramTrade> _indices = []; // index updates buffered for the next commit (owned by _lock)
    private long _indicesWritten;
    private long _nextIndexSeq = 1;

    // Schema v2 columns are ENUMs whose order is Venue's (krx, nxt, unified; H0ST, H0NX, H0UN), so the enum value is
    // appended as it is; v1 files have VARCHAR columns and get the names.
    private readonly bool _enumColumns;
    private long _nextSeq;
    private long _written;
    private long _batches;
    private long _gaps; // outages recorded (owned by _lock)
    private readonly HashSet<(long Id, DateTimeOffset From, DateTimeOffset To)> _gapIds = []; // DataGaps seen: ids are per session, so with their bounds (owned by _lock)
    private readonly long[] _perVenue = new long[3];
    private DateTimeOffset? _lastFlushAt;
    private KisStorageException? _lastFailure; // the last commit's failure, null once one succeeds (owned by _lock)
    private bool _disposed;

    // The buffer starts small and doubles up to BatchSize, so a slow live feed does not hold a row group's worth of memory.
    private const int InitialBufferSize = 4096;

    private ProgramTradeRecorder(string path, DuckDBConnection connection, RecorderOptions options, long nextSeq, bool enumColumns)
    {
        _enumColumns = enumColumns;
        Path = path;
        _connection = connection;
        _options = options;
        _logger = options.LoggerFactory?.CreateLogger<ProgramTradeRecorder>() ?? NullLogger<ProgramTradeRecorder>.Instance;
        _buffer = new ProgramTrade[Math.Min(options.BatchSize, InitialBufferSize)];
        _nextSeq = nextSeq;
    }

    /// <summary>Full path of the recording file.</summary>
    public string Path { get; }

    /// <summary>
    /// Opens <paramref name="path"/> for recording: creates the file and schema, or appends to an existing recording
    /// (<c>seq</c> continues after the last stored record).
    /// </summary>
    /// <exception cref="KisStorageException">The path is not writable, is a directory, is not a DuckDB database, is not a
    /// KisFeed recording, or is in use by another process.</exception>
    public static ProgramTradeRecorder Open(string path, RecorderOptions? options = null)
    {
        options ??= RecorderOptions.Default;
        options.Validate();
        string full = StorageFile.FullPath(path);
        if (!OpenPaths.TryAdd(full, true))
        {
            throw new KisStorageException(full, KisStorageError.InUse,
                $"Cannot record to '{full}': another recorder in this process is already writing it. Use that recorder or another file.");
        }

        DuckDBConnection connection;
        try
        {
            connection = StorageFile.OpenForWrite(full);
        }
        catch
        {
            OpenPaths.TryRemove(full, out _);
            throw;
        }

        try
        {
            using DuckDBCommand command = connection.CreateCommand();
            command.CommandText = "SELECT coalesce(max(seq), 0) FROM program_trades";
            long lastSeq = Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            command.CommandText = StorageSchema.MigrateToV3Sql; // an older file gains the source column and gap_healing
            command.ExecuteNonQuery();
            command.CommandText = "SELECT data_type FROM information_schema.columns WHERE table_name = 'program_trades' AND column_name = 'venue'";
            bool enumColumns = command.ExecuteScalar() is string type && type.StartsWith("ENUM", StringComparison.Ordinal);
            if (enumColumns)
            {
                MigrateToBins(connection);
                StorageFile.Execute(connection, StorageSchema.BinsStageSql); // the connection's staging table of folded bins
            }

            command.CommandText = StorageSchema.MigrateToV5Sql; // the rejected table (after the bins: a v2/v3 file is 4 by now)
            command.ExecuteNonQuery();
            command.CommandText = StorageSchema.MigrateToV6Sql; // the prices table
            command.ExecuteNonQuery();
            command.CommandText = StorageSchema.MigrateToV7Sql; // the index table
            command.ExecuteNonQuery();
            command.CommandText = "SELECT coalesce(max(seq), 0) FROM index_program_trades";
            long lastIndexSeq = Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);

            if (options.Source is { } source)
            {
                StorageFile.ApplySource(connection, full, source, lastSeq + 1);
            }

            ProgramTradeRecorder recorder = new(full, connection, options, lastSeq + 1, enumColumns) { _nextIndexSeq = lastIndexSeq + 1 };
            if (enumColumns)
            {
                recorder.LoadLastBins();
            }

            Log.Opened(recorder._logger, full, lastSeq + 1, lastSeq == 0 ? "new" : "append");
            return recorder;
        }
        catch (Exception ex) when (ex is DuckDBException or KisStorageException)
        {
            connection.Dispose();
            OpenPaths.TryRemove(full, out _);
            throw StorageFile.Translate(ex, full, "record to");
        }
    }

    /// <summary>
    /// Version 4: a file of version 2 or 3 gains <c>program_trade_bins</c>, built from the rows it holds, in one
    /// transaction (a crash leaves it as it was).
    /// </summary>
    private static void MigrateToBins(DuckDBConnection connection)
    {
        if (StorageFile.HasTable(connection, StorageSchema.BinsTable))
        {
            return;
        }

        using DuckDBTransaction tx = connection.BeginTransaction();
        StorageFile.Execute(connection, StorageSchema.BinsSql);
        StorageFile.Execute(connection, StorageSchema.FoldIntoBinsSql("true"));
        StorageFile.Execute(connection, "UPDATE meta SET value = '4' WHERE key = 'schema_version' AND value IN ('2', '3')");
        tx.Commit();
    }

    /// <summary>
    /// Chart queries on this recording that share the recorder's DuckDB database (one database instance in the
    /// process, so recording and reading the same file do not conflict: DuckDB allows one writing process). The queries
    /// see every committed batch. Dispose them before or after the recorder; each has its own connection.
    /// </summary>
    public ProgramTradeQueries OpenQueries()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            // DuckDB.NET keeps one database instance per file in a process (reference-counted by path), so this
            // connection opens the recorder's database rather than the file a second time.
            DuckDBConnection duplicate = StorageFile.OpenForRead(Path);
            return new ProgramTradeQueries(Path, duplicate);
        }
    }

    /// <summary>Buffers one update; commits a batch when <see cref="RecorderOptions.BatchSize"/> are buffered.</summary>
    /// <exception cref="KisStorageException">Committing the full batch failed (the batch stays buffered).</exception>
    public void Append(in ProgramTrade trade)
    {
        ArgumentNullException.ThrowIfNull(trade.Code, nameof(trade));
        if ((uint)trade.Venue >= (uint)VenueNames.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(trade), trade.Venue, "Unknown venue.");
        }

        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            AddLocked(trade);
        }
    }

    private void AddLocked(in ProgramTrade trade)
    {
        if (_count == _options.BatchSize)
        {
            FlushLocked(); // the last commit of a full batch failed; try again before taking more
        }

        if (_count == _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, _options.BatchSize));
        }

        _buffer[_count++] = trade;
        if (_count == _options.BatchSize)
        {
            FlushLocked();
        }
    }

    /// <summary>
    /// Buffers one price of a stock (KIS <c>inquire-price</c> as read, or a simulator's price path), committed with the
    /// next batch (<see cref="Flush"/> commits it too), into <see cref="StorageSchema.PricesTable"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The code is empty or the price is not positive.</exception>
    public void AppendPrice(in RecordedPrice price)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(price.Code, nameof(price));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(price.Price, nameof(price));
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _prices.Add(price);
            if (_prices.Count >= _options.BatchSize)
            {
                FlushLocked();
            }
        }
    }

    /// <summary>
    /// Buffers one index program-trading update (<c>H0UPPGM0</c>), committed with the next batch (<see cref="Flush"/>
    /// commits it too), into <see cref="StorageSchema.IndexTradesTable"/>; read back with
    /// <see cref="ProgramTradeReplay.ReadIndexAsync"/>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="update"/> is null.</exception>
    public void AppendIndex(IndexProgramTrade update)
    {
        ArgumentNullException.ThrowIfNull(update);
        ArgumentException.ThrowIfNullOrWhiteSpace(update.IndexCode, nameof(update));
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _indices.Add(update);
            if (_indices.Count >= _options.BatchSize)
            {
                FlushLocked();
            }
        }
    }

    /// <summary>Index updates committed to the file by this recorder.</summary>
    public long IndexUpdatesWritten
    {
        get
        {
            lock (_lock)
            {
                return _indicesWritten;
            }
        }
    }

    /// <summary>Commits the buffered records as one batch.</summary>
    /// <exception cref="KisStorageException">The write failed (e.g. disk full); the records stay buffered and earlier
    /// batches stay in the file.</exception>
    public void Flush()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            FlushLocked();
        }
    }

    /// <summary>A snapshot of the progress (cheap; safe to poll for a progress display).</summary>
    public RecorderStatistics Statistics
    {
        get
        {
            lock (_lock)
            {
                return new RecorderStatistics(
                    Path, _written, _count, _batches, _perVenue[0], _perVenue[1], _perVenue[2], _nextSeq - 1, _gaps,
                    StorageFile.SizeOnDisk(Path), _lastFlushAt);
            }
        }
    }

    /// <summary>
    /// Why the last commit failed (disk full, a damaged file), or null when the last one succeeded or none failed yet: a
    /// health check (<c>/healthz</c> of <c>kisfeed record</c>) reports the recorder unhealthy while this is set.
    /// </summary>
    public KisStorageException? LastFailure
    {
        get
        {
            lock (_lock)
            {
                return _lastFailure;
            }
        }
    }

    private void FlushLocked()
    {
        if (_count == 0)
        {
            FlushPricesLocked();
            return;
        }

        long start = Stopwatch.GetTimestamp();
        long seq = _nextSeq;
        Span<long> perVenue = stackalloc long[3];
        try
        {
            using DuckDBTransaction tx = _connection.BeginTransaction();
            using (DuckDBAppender appender = _connection.CreateAppender(StorageSchema.ProgramTradesTable))
            {
                for (int i = 0; i < _count; i++)
                {
                    ref readonly ProgramTrade t = ref _buffer[i];
                    int v = (int)t.Venue;
                    IDuckDBAppenderRow row = appender.CreateRow()
                        .AppendValue(seq++)
                        .AppendValue(t.TradingDate);
                    row = _enumColumns
                        ? row.AppendValue(t.Venue).AppendValue(t.Venue)
                        : row.AppendValue(VenueNames[v]).AppendValue(TrIds[v]);
                    row.AppendValue(t.Code)
                        .AppendValue(t.Time)
                        .AppendValue(t.ReceivedAt)
                        .AppendValue(t.SellVolume)
                        .AppendValue(t.SellValue)
                        .AppendValue(t.BuyVolume)
                        .AppendValue(t.BuyValue)
                        .AppendValue(t.NetBuyVolume)
                        .AppendValue(t.NetBuyValue)
                        .AppendValue(t.AskResidual)
                        .AppendValue(t.BidResidual)
                        .AppendValue(t.NetBidResidual)
                        .AppendValue((int)t.Missing)
                        .AppendValue((sbyte)t.Source)
                        .EndRow();
                    perVenue[v]++;
                }
            }

            if (_enumColumns && _options.KeepBins)
            {
                // Keep the 10-second bins up in the same transaction, so queries never see rows without their bins.
                UpsertBinsLocked(_nextSeq);
            }

            AppendStreamPositionsLocked(_nextSeq);
            AppendPricesLocked();
            tx.Commit();
        }
        catch (Exception ex) when (ex is DuckDBException or IOException)
        {
            Log.FlushFailed(_logger, ex, _count, Path);
            StorageMetrics.Failed.Add(1);
            KisStorageException failure = StorageFile.Translate(ex, Path, "record to");
            _lastFailure = failure;
            throw failure;
        }

        int committed = _count;
        _pendingPositions.Clear();
        PricesCommitted();
        // Not cleared: the committed entries are overwritten by the next batch, and the only references they hold are the
        // feed's shared code strings (clearing a full batch was a 15 MB memset per commit).
        BinsCommittedLocked();
        _count = 0;
        _nextSeq = seq;
        _written += committed;
        _batches++;
        for (int v = 0; v < 3; v++)
        {
            _perVenue[v] += perVenue[v];
        }

        _lastFlushAt = _options.TimeProvider.GetUtcNow();
        _lastFailure = null;
        StorageMetrics.Written.Add(committed);
        StorageMetrics.Committed.Add(1);
        Log.Flushed(_logger, committed, seq - 1, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }

    // Prices alone (no trade buffered): their own transaction.
    private void FlushPricesLocked()
    {
        if (_prices.Count == 0 && _indices.Count == 0)
        {
            return;
        }

        try
        {
            using DuckDBTransaction tx = _connection.BeginTransaction();
            AppendPricesLocked();
            tx.Commit();
        }
        catch (Exception ex) when (ex is DuckDBException or IOException)
        {
            Log.FlushFailed(_logger, ex, _prices.Count + _indices.Count, Path);
            throw StorageFile.Translate(ex, Path, "record to");
        }

        PricesCommitted();
    }

    private void AppendPricesLocked()
    {
        AppendIndicesLocked();
        if (_prices.Count == 0)
        {
            return;
        }

        using DuckDBAppender appender = _connection.CreateAppender(StorageSchema.PricesTable);
        foreach (RecordedPrice p in _prices)
        {
            IDuckDBAppenderRow row = appender.CreateRow()
                .AppendValue(p.TradingDate)
                .AppendValue(p.Code)
                .AppendValue(p.Time)
                .AppendValue(p.Price);
            row = p.PreviousClose is long reference ? row.AppendValue(reference) : row.AppendNullValue();
            row.AppendValue(p.ReadAt).EndRow();
        }
    }

    private void PricesCommitted()
    {
        _pricesWritten += _prices.Count;
        _prices.Clear();
        _indicesWritten += _indices.Count;
        _nextIndexSeq += _indices.Count;
        _indices.Clear();
    }

    /// <summary>The buffered index updates, in the transaction of the batch (or of the prices alone).</summary>
    private void AppendIndicesLocked()
    {
        if (_indices.Count == 0)
        {
            return;
        }

        long seq = _nextIndexSeq;
        using DuckDBAppender appender = _connection.CreateAppender(StorageSchema.IndexTradesTable);
        foreach (IndexProgramTrade u in _indices)
        {
            IDuckDBAppenderRow row = appender.CreateRow()
                .AppendValue(seq++)
                .AppendValue(u.TradingDate)
                .AppendValue(u.IndexCode)
                .AppendValue(u.Time)
                .AppendValue(u.ReceivedAt);
            foreach (IndexProgramFlow f in (ReadOnlySpan<IndexProgramFlow>)[u.ArbitrageCustomer, u.ArbitrageOwn, u.NonArbitrageCustomer, u.NonArbitrageOwn, u.Arbitrage, u.NonArbitrage, u.Customer, u.Own, u.Total])
            {
                row = row.AppendValue(f.SellVolume).AppendValue(f.SellValue).AppendValue(f.BuyVolume).AppendValue(f.BuyValue).AppendValue(f.NetBuyVolume).AppendValue(f.NetBuyValue);
            }

            foreach (IndexProgramShares r in (ReadOnlySpan<IndexProgramShares>)[u.ArbitrageShares, u.NonArbitrageShares, u.CustomerShares, u.OwnShares, u.TotalShares])
            {
                row = row.AppendValue(r.SellVolume).AppendValue(r.SellValue).AppendValue(r.BuyVolume).AppendValue(r.BuyValue).AppendValue(r.NetBuyVolume).AppendValue(r.NetBuyValue);
            }

            row.AppendValue(u.MarketVolume)
                .AppendValue(u.MarketValue)
                .AppendValue(string.Join(',', u.Missing))
                .AppendValue((sbyte)u.Source)
                .EndRow();
        }
    }

    /// <summary>Commits the buffer and closes the file.</summary>
    /// <exception cref="KisStorageException">The final commit failed; the file is closed anyway and earlier batches stay in it.</exception>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Commits the buffer and closes the file.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            try
            {
                FlushLocked();
            }
            finally
            {
                _connection.Dispose();
                OpenPaths.TryRemove(Path, out _);
                Log.Closed(_logger, Path, _written, _batches);
            }
        }
    }
}
