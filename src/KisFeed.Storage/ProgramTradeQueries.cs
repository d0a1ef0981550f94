using System.Globalization;

using DuckDB.NET.Data;

namespace KisFeed.Storage;

/// <summary>
/// One bucket of a stock's trading day on one venue (see <see cref="ProgramTradeQueries.DayCurveAsync"/> and
/// <see cref="ProgramTradeQueries.MinuteBarsAsync"/>). Amounts are KRW.
/// </summary>
/// <param name="Time">Start of the bucket, KST time of day (<c>kis_time</c> rounded down to the bucket).</param>
/// <param name="NetBuyValue">Cumulative net buy value at the end of the bucket (the last update in it).</param>
/// <param name="BuyValue">Cumulative buy value at the end of the bucket.</param>
/// <param name="SellValue">Cumulative sell value at the end of the bucket.</param>
/// <param name="NetFlow">Net buy value traded within the bucket: <see cref="NetBuyValue"/> minus the previous bucket's (0 before the first).</param>
/// <param name="BuyFlow">Buy value traded within the bucket.</param>
/// <param name="SellFlow">Sell value traded within the bucket.</param>
/// <param name="Price">The average price of the program trades within the bucket (value traded ÷ shares traded, KRW,
/// rounded); null when no shares changed hands in it. Program trades are a part of all trades, so this is close to but
/// not the exchange's last price.</param>
/// <param name="Records">Updates in the bucket.</param>
public readonly record struct ProgramTradeBucket(
    TimeOnly Time, long NetBuyValue, long BuyValue, long SellValue, long NetFlow, long BuyFlow, long SellFlow, long? Price, long Records);

/// <summary>One (code, venue) row of <see cref="ProgramTradeQueries.RankingAsync"/>: the last update at or before the
/// time asked for, and how the net buy value changed over the minute and five minutes before it. Amounts are KRW.</summary>
/// <param name="Code">Stock code.</param>
/// <param name="Venue">Venue.</param>
/// <param name="Time">KST time of the last update at or before the time asked for.</param>
/// <param name="SellValue">Cumulative sell value.</param>
/// <param name="BuyValue">Cumulative buy value.</param>
/// <param name="NetBuyValue">Cumulative net buy value.</param>
/// <param name="NetBuyVolume">Cumulative net buy volume, shares.</param>
/// <param name="Change1m">Net buy value minus its value one minute before the time asked for; null when the recording
/// holds no update of the row at or before then (the window is not covered: a change over it would be made up).</param>
/// <param name="Change5m">Net buy value minus its value five minutes before the time asked for; null likewise.</param>
/// <param name="Records">Updates up to the time asked for.</param>
public readonly record struct RankingRow(
    string Code, Venue Venue, TimeOnly Time, long SellValue, long BuyValue, long NetBuyValue, long NetBuyVolume, long? Change1m, long? Change5m, long Records);

/// <summary>
/// Chart queries over a recording: a stock's day curve and minute bars, and a ranking of every (code, venue) as of a
/// time. Open one on a file (<see cref="Open"/>) or share a recorder's database while it records
/// (<see cref="ProgramTradeRecorder.OpenQueries"/>); queries see every committed batch.
/// </summary>
/// <remarks>Buckets are by <c>kis_time</c> (the exchange's KST time of the update). Within a bucket the last update is
/// the one with the latest <c>kis_time</c>, then the highest <c>seq</c>, so rows recorded late (a healed gap) fall into
/// place. Members are safe to call from several threads; they run one at a time on this instance's connection.</remarks>
public sealed class ProgramTradeQueries : IDisposable
{
    private readonly Lock _lock = new();
    private readonly DuckDBConnection _connection;
    private bool _disposed;

    internal ProgramTradeQueries(string path, DuckDBConnection connection)
    {
        Path = path;
        _connection = connection;
        UsesBins = StorageFile.HasTable(connection, StorageSchema.BinsTable);
    }

    /// <summary>
    /// True when the day curve and minute bars come from the recording's 10-second bins (<c>program_trade_bins</c>,
    /// schema version 4) rather than from a scan of its updates: a file a version 4 recorder has written to. Files only
    /// read since an older version are scanned (same results, slower). Settable inside the library's tests and
    /// benchmarks, to compare both.
    /// </summary>
    public bool UsesBins { get; internal set; }

    /// <summary>Full path of the recording.</summary>
    public string Path { get; }

    /// <summary>Opens an existing recording for queries (never creates a file).</summary>
    /// <exception cref="KisStorageException">The file is missing, not a recording, or in use by another process.</exception>
    public static ProgramTradeQueries Open(string path)
    {
        string full = StorageFile.FullPath(path);
        return new ProgramTradeQueries(full, StorageFile.OpenForRead(full));
    }

    /// <summary>The latest trading date in the recording, or null when it holds no records.</summary>
    public Task<DateOnly?> LatestDateAsync(CancellationToken cancellationToken = default) =>
        Run(cancellationToken, command =>
        {
            command.CommandText = "SELECT max(trading_date) FROM program_trades";
            object? value = command.ExecuteScalar();
            return value is DateOnly d ? d : value is DateTime dt ? DateOnly.FromDateTime(dt) : (DateOnly?)null;
        });

    /// <summary>
    /// The day of <paramref name="code"/> on <paramref name="venue"/> in buckets of <paramref name="resolution"/>
    /// (default 10 s; whole seconds from 1 s to 1 h), oldest first; buckets without updates are left out.
    /// </summary>
    public Task<IReadOnlyList<ProgramTradeBucket>> DayCurveAsync(DateOnly date, string code, Venue venue, TimeSpan? resolution = null, CancellationToken cancellationToken = default) =>
        Buckets(date, code, venue, CheckResolution(resolution), cancellationToken);

    /// <summary>
    /// <see cref="DayCurveAsync"/> for every venue of <paramref name="code"/> in one scan of the recording; venues
    /// without updates that day are absent.
    /// </summary>
    public Task<IReadOnlyDictionary<Venue, IReadOnlyList<ProgramTradeBucket>>> DayCurvesAsync(DateOnly date, string code, TimeSpan? resolution = null, CancellationToken cancellationToken = default) =>
        BucketsByVenue(date, code, null, CheckResolution(resolution), cancellationToken);

    private static long CheckResolution(TimeSpan? resolution)
    {
        TimeSpan bucket = resolution ?? TimeSpan.FromSeconds(10);
        if (bucket < TimeSpan.FromSeconds(1) || bucket > TimeSpan.FromHours(1) || bucket.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(resolution), bucket, "Use whole seconds from 1 s to 1 h.");
        }

        return (long)bucket.TotalSeconds;
    }

    /// <summary>Per-minute bars of <paramref name="code"/> on <paramref name="venue"/>: the flow within each minute
    /// (<see cref="ProgramTradeBucket.NetFlow"/>, …) and the cumulative values at its end; minutes without updates are left out.</summary>
    public Task<IReadOnlyList<ProgramTradeBucket>> MinuteBarsAsync(DateOnly date, string code, Venue venue, CancellationToken cancellationToken = default) =>
        Buckets(date, code, venue, 60, cancellationToken);

    /// <summary>
    /// Every (code, venue) of <paramref name="date"/> as of <paramref name="asOf"/> (KST; null = the end of the
    /// recorded day), ordered by net buy value, largest first. Codes without an update by then are left out.
    /// </summary>
    public Task<IReadOnlyList<RankingRow>> RankingAsync(DateOnly date, TimeOnly? asOf = null, CancellationToken cancellationToken = default) =>
        Run(cancellationToken, command =>
        {
            string day = DateLiteral(date);
            TimeOnly at;
            if (asOf is { } t)
            {
                at = t;
            }
            else
            {
                command.CommandText = $"SELECT epoch_us(max(kis_time)) FROM program_trades WHERE trading_date = {day}";
                object? last = command.ExecuteScalar();
                if (last is null or DBNull)
                {
                    return (IReadOnlyList<RankingRow>)[];
                }

                at = new TimeOnly(Convert.ToInt64(last, CultureInfo.InvariantCulture) * TimeSpan.TicksPerMicrosecond);
            }

            static string Time(TimeOnly t) => string.Create(CultureInfo.InvariantCulture, $"TIME '{t:HH:mm:ss.ffffff}'");
            string before1 = Time(at.Ticks >= TimeSpan.TicksPerMinute ? at.AddMinutes(-1) : TimeOnly.MinValue);
            string before5 = Time(at.Ticks >= 5 * TimeSpan.TicksPerMinute ? at.AddMinutes(-5) : TimeOnly.MinValue);
            bool early1 = at.Ticks < TimeSpan.TicksPerMinute, early5 = at.Ticks < 5 * TimeSpan.TicksPerMinute;
            command.CommandText = $"""
                WITH r AS (
                    SELECT code, venue, kis_time, sell_value, buy_value, net_buy_value, net_buy_volume, {OrderKey} AS k
                    FROM program_trades WHERE trading_date = {day} AND kis_time <= {Time(at)})
                SELECT code, CAST(venue AS VARCHAR), epoch_us(arg_max(kis_time, k)), arg_max(sell_value, k), arg_max(buy_value, k),
                    arg_max(net_buy_value, k) AS net, arg_max(net_buy_volume, k),
                    arg_max(net_buy_value, k) FILTER (WHERE {(early1 ? "false" : "kis_time <= " + before1)}),
                    arg_max(net_buy_value, k) FILTER (WHERE {(early5 ? "false" : "kis_time <= " + before5)}),
                    count(*)
                FROM r GROUP BY code, venue ORDER BY net DESC, code, venue
                """;
            using DuckDBDataReader reader = command.ExecuteReader();
            List<RankingRow> rows = [];
            while (reader.Read())
            {
                long net = reader.GetInt64(5);
                rows.Add(new RankingRow(
                    reader.GetString(0),
                    ParseVenue(reader.GetString(1)),
                    new TimeOnly(reader.GetInt64(2) * TimeSpan.TicksPerMicrosecond),
                    reader.GetInt64(3),
                    reader.GetInt64(4),
                    net,
                    reader.GetInt64(6),
                    reader.IsDBNull(7) ? null : net - reader.GetInt64(7),
                    reader.IsDBNull(8) ? null : net - reader.GetInt64(8),
                    reader.GetInt64(9)));
            }

            return (IReadOnlyList<RankingRow>)rows;
        });

    /// <summary>
    /// The prices of <paramref name="code"/> recorded for <paramref name="date"/> (<see cref="StorageSchema.PricesTable"/>),
    /// oldest first; empty when the recording holds none (a file older than schema version 6, or recorded without a
    /// price source).
    /// </summary>
    public Task<IReadOnlyList<RecordedPrice>> PricesAsync(DateOnly date, string code, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(code);
        return Run(cancellationToken, command =>
        {
            if (!StorageFile.HasTable(_connection, StorageSchema.PricesTable))
            {
                return (IReadOnlyList<RecordedPrice>)[];
            }

            command.CommandText = $"""
                SELECT code, epoch_us(kis_time), price, previous_close, epoch_us(read_at) FROM prices
                WHERE trading_date = {DateLiteral(date)} AND code = $code ORDER BY kis_time, read_at
                """;
            command.Parameters.Add(new DuckDBParameter("code", code));
            return ReadPrices(command, date);
        });
    }

    /// <summary>The last recorded price of every code of <paramref name="date"/> (empty when the recording holds none).</summary>
    public Task<IReadOnlyList<RecordedPrice>> LatestPricesAsync(DateOnly date, CancellationToken cancellationToken = default) =>
        Run(cancellationToken, command =>
        {
            if (!StorageFile.HasTable(_connection, StorageSchema.PricesTable))
            {
                return (IReadOnlyList<RecordedPrice>)[];
            }

            command.CommandText = $"""
                SELECT code, epoch_us(arg_max(kis_time, (kis_time, read_at))), arg_max(price, (kis_time, read_at)),
                    arg_max(previous_close, (kis_time, read_at)), epoch_us(max(read_at))
                FROM prices WHERE trading_date = {DateLiteral(date)} GROUP BY code ORDER BY code
                """;
            return ReadPrices(command, date);
        });

    private static IReadOnlyList<RecordedPrice> ReadPrices(DuckDBCommand command, DateOnly date)
    {
        using DuckDBDataReader reader = command.ExecuteReader();
        List<RecordedPrice> prices = [];
        while (reader.Read())
        {
            prices.Add(new RecordedPrice(
                date,
                reader.GetString(0),
                new TimeOnly(reader.GetInt64(1) * TimeSpan.TicksPerMicrosecond),
                reader.GetInt64(2),
                reader.IsDBNull(3) ? null : reader.GetInt64(3),
                DateTimeOffset.UnixEpoch.AddTicks(reader.GetInt64(4) * TimeSpan.TicksPerMicrosecond)));
        }

        return prices;
    }

    /// <summary>The gaps recorded for <paramref name="date"/> (those overlapping its KST calendar day), oldest first.</summary>
    public Task<IReadOnlyList<RecordingGap>> GapsAsync(DateOnly date, CancellationToken cancellationToken = default) =>
        Run(cancellationToken, command =>
        {
            DateTimeOffset from = KoreaTime.StartOf(date);
            DateTimeOffset to = from.AddDays(1);
            command.CommandText = string.Create(CultureInfo.InvariantCulture,
                $"SELECT epoch_us(from_time), epoch_us(to_time), venue, codes, reason FROM gaps WHERE to_time >= make_timestamptz({from.ToUnixTimeMilliseconds() * 1000}) AND from_time < make_timestamptz({to.ToUnixTimeMilliseconds() * 1000}) ORDER BY from_time, recorded_at");
            using DuckDBDataReader reader = command.ExecuteReader();
            List<RecordingGap> gaps = [];
            while (reader.Read())
            {
                Venue? venue = reader.IsDBNull(2) ? null : ParseVenue(reader.GetString(2));
                gaps.Add(new RecordingGap(
                    ProgramTradeCatalog.FromUnixMicroseconds(reader.GetInt64(0)),
                    ProgramTradeCatalog.FromUnixMicroseconds(reader.GetInt64(1)),
                    venue,
                    reader.GetFieldValue<List<string>>(3),
                    reader.GetString(4)));
            }

            return (IReadOnlyList<RecordingGap>)gaps;
        });

    /// <summary>
    /// How the gaps of <paramref name="date"/> were healed (the <c>gap_healing</c> rows of gaps overlapping its KST
    /// calendar day), oldest first; empty for a file older than schema version 3, which kept no outcome.
    /// </summary>
    public Task<IReadOnlyList<RecordedGapHealing>> GapHealingAsync(DateOnly date, CancellationToken cancellationToken = default) =>
        Run(cancellationToken, command =>
        {
            if (!StorageFile.HasTable(_connection, StorageSchema.GapHealingTable))
            {
                return (IReadOnlyList<RecordedGapHealing>)[];
            }

            DateTimeOffset from = KoreaTime.StartOf(date);
            DateTimeOffset to = from.AddDays(1);
            command.CommandText = string.Create(CultureInfo.InvariantCulture, $"""
                SELECT epoch_us(from_time), epoch_us(to_time), venue, code, outcome, rest_rows, epoch_us(still_missing_from), epoch_us(still_missing_to), detail
                FROM gap_healing
                WHERE to_time >= make_timestamptz({from.ToUnixTimeMilliseconds() * 1000}) AND from_time < make_timestamptz({to.ToUnixTimeMilliseconds() * 1000})
                ORDER BY from_time, recorded_at, venue, code
                """);
            using DuckDBDataReader reader = command.ExecuteReader();
            List<RecordedGapHealing> rows = [];
            while (reader.Read())
            {
                rows.Add(new RecordedGapHealing(
                    ProgramTradeCatalog.FromUnixMicroseconds(reader.GetInt64(0)),
                    ProgramTradeCatalog.FromUnixMicroseconds(reader.GetInt64(1)),
                    new Registration(ParseVenue(reader.GetString(2)), reader.GetString(3)),
                    Enum.TryParse(reader.GetString(4), out GapHealing outcome) ? outcome : GapHealing.NotHealed,
                    reader.GetInt32(5),
                    reader.IsDBNull(6) ? null : ProgramTradeCatalog.FromUnixMicroseconds(reader.GetInt64(6)),
                    reader.IsDBNull(7) ? null : ProgramTradeCatalog.FromUnixMicroseconds(reader.GetInt64(7)),
                    reader.GetString(8)));
            }

            return (IReadOnlyList<RecordedGapHealing>)rows;
        });

    private const string OrderKey = StorageSchema.OrderKey;

    private async Task<IReadOnlyList<ProgramTradeBucket>> Buckets(DateOnly date, string code, Venue venue, long bucketSeconds, CancellationToken cancellationToken) =>
        (await BucketsByVenue(date, code, venue, bucketSeconds, cancellationToken).ConfigureAwait(false)).GetValueOrDefault(venue) ?? [];

    // One scan for one venue or (venue null) all of them; the window runs per venue.
    private Task<IReadOnlyDictionary<Venue, IReadOnlyList<ProgramTradeBucket>>> BucketsByVenue(DateOnly date, string code, Venue? venue, long bucketSeconds, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(code);
        string where = $"trading_date = {DateLiteral(date)} AND code = {StorageFile.Literal(code.Trim())}" +
            (venue is { } v ? $" AND venue = {StorageFile.Literal(v.Name())}" : "");
        // Bins hold the last update of each 10 s of kis_time, so any multiple of 10 s is a fold of them; other
        // resolutions (and files without bins) scan the updates.
        bool fromBins = UsesBins && bucketSeconds % StorageSchema.BinSeconds == 0;
        string binned = fromBins
            ? string.Create(CultureInfo.InvariantCulture, $"""
                SELECT CAST(venue AS VARCHAR) AS v, CAST(bin // {bucketSeconds / StorageSchema.BinSeconds} AS BIGINT) AS bucket,
                    arg_max(net_buy_value, last_key) AS net, arg_max(buy_value, last_key) AS buy, arg_max(sell_value, last_key) AS sell,
                    arg_max(volume, last_key) AS vol, CAST(sum(records) AS BIGINT) AS n
                FROM {StorageSchema.BinsTable} WHERE {where}
                GROUP BY v, bucket
                """)
            : string.Create(CultureInfo.InvariantCulture, $"""
                SELECT CAST(venue AS VARCHAR) AS v, epoch_us(kis_time) // {bucketSeconds * 1_000_000} AS bucket,
                    arg_max(net_buy_value, k) AS net, arg_max(buy_value, k) AS buy, arg_max(sell_value, k) AS sell,
                    arg_max(buy_volume + sell_volume, k) AS vol, count(*) AS n
                FROM (SELECT venue, kis_time, net_buy_value, buy_value, sell_value, buy_volume, sell_volume, {OrderKey} AS k
                      FROM program_trades WHERE {where})
                GROUP BY v, bucket
                """);
        return Run(cancellationToken, command =>
        {
            command.CommandText = $"""
                WITH b AS ({binned})
                SELECT v, bucket, net, buy, sell,
                    net - coalesce(lag(net) OVER w, 0), buy - coalesce(lag(buy) OVER w, 0), sell - coalesce(lag(sell) OVER w, 0),
                    vol - coalesce(lag(vol) OVER w, 0), n
                FROM b WINDOW w AS (PARTITION BY v ORDER BY bucket) ORDER BY v, bucket
                """;
            using DuckDBDataReader reader = command.ExecuteReader();
            Dictionary<Venue, IReadOnlyList<ProgramTradeBucket>> result = [];
            List<ProgramTradeBucket>? buckets = null;
            string? current = null;
            while (reader.Read())
            {
                string name = reader.GetString(0);
                if (name != current)
                {
                    current = name;
                    buckets = [];
                    result[ParseVenue(name)] = buckets;
                }

                long buyFlow = reader.GetInt64(6);
                long sellFlow = reader.GetInt64(7);
                long volume = reader.GetInt64(8);
                long? price = volume > 0 && buyFlow + sellFlow > 0 ? (long)Math.Round((double)(buyFlow + sellFlow) / volume) : null;
                buckets!.Add(new ProgramTradeBucket(
                    new TimeOnly(reader.GetInt64(1) * bucketSeconds * TimeSpan.TicksPerSecond),
                    reader.GetInt64(2),
                    reader.GetInt64(3),
                    reader.GetInt64(4),
                    reader.GetInt64(5),
                    buyFlow,
                    sellFlow,
                    price,
                    reader.GetInt64(9)));
            }

            return (IReadOnlyDictionary<Venue, IReadOnlyList<ProgramTradeBucket>>)result;
        });
    }

    private Task<T> Run<T>(CancellationToken cancellationToken, Func<DuckDBCommand, T> query)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            try
            {
                using DuckDBCommand command = _connection.CreateCommand();
                return Task.FromResult(query(command));
            }
            catch (DuckDBException ex)
            {
                throw StorageFile.Translate(ex, Path, "read");
            }
        }
    }

    private static string DateLiteral(DateOnly date) => string.Create(CultureInfo.InvariantCulture, $"DATE '{date:yyyy-MM-dd}'");

    private static Venue ParseVenue(string name) => VenueExtensions.TryParse(name, out Venue v) ? v
        : throw new FormatException($"Unknown venue '{name}' in the recording.");

    /// <summary>Closes this instance's connection (a recorder it was opened from keeps recording).</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (!_disposed)
            {
                _disposed = true;
                _connection.Dispose();
            }
        }
    }
}
