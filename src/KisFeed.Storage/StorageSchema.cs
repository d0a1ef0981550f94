namespace KisFeed.Storage;

/// <summary>
/// The schema of a KisFeed recording (a DuckDB database file). Documented for users in <c>docs/storage.md</c>.
/// </summary>
/// <remarks>
/// <para>Table <c>program_trades</c>, one row per <see cref="ProgramTrade"/>:</para>
/// <list type="table">
/// <item><term><c>seq BIGINT NOT NULL</c></term><description>insertion order, 1, 2, 3, … continuing across runs on the same file.</description></item>
/// <item><term><c>trading_date DATE NOT NULL</c></term><description><see cref="ProgramTrade.TradingDate"/> (KST).</description></item>
/// <item><term><c>venue kisfeed_venue NOT NULL</c></term><description>an ENUM of <c>krx</c>, <c>nxt</c>, <c>unified</c>
/// (<c>VARCHAR</c> in version 1 files).</description></item>
/// <item><term><c>tr_id kisfeed_tr_id NOT NULL</c></term><description>an ENUM of <c>H0STPGM0</c>, <c>H0NXPGM0</c>,
/// <c>H0UNPGM0</c> (<c>VARCHAR</c> in version 1 files).</description></item>
/// <item><term><c>code VARCHAR NOT NULL</c></term><description>short stock code, e.g. <c>005930</c>.</description></item>
/// <item><term><c>kis_time TIME NOT NULL</c></term><description><see cref="ProgramTrade.Time"/> (KST time of day, <c>STCK_CNTG_HOUR</c>).</description></item>
/// <item><term><c>received_at TIMESTAMPTZ NOT NULL</c></term><description><see cref="ProgramTrade.ReceivedAt"/> as an instant
/// (DuckDB stores UTC microseconds; the sub-microsecond part is truncated; read back with offset +00:00).</description></item>
/// <item><term><c>sell_volume</c>, <c>sell_value</c>, <c>buy_volume</c>, <c>buy_value</c>, <c>net_buy_volume</c>,
/// <c>net_buy_value</c>, <c>ask_residual</c>, <c>bid_residual</c>, <c>net_bid_residual</c> (all <c>BIGINT NOT NULL</c>)</term>
/// <description>the cumulative amounts as received (shares / KRW).</description></item>
/// <item><term><c>missing_fields INTEGER NOT NULL</c></term><description><see cref="ProgramTradeFields"/> flags of fields that were empty on the wire.</description></item>
/// <item><term><c>source TINYINT</c></term><description><see cref="TradeSource"/>: 0 live WebSocket, 1 REST history (a healed gap or
/// the seeded day); version 3 (older files read as 0).</description></item>
/// </list>
/// <para>Table <c>gaps</c>: <c>from_time TIMESTAMPTZ</c>, <c>to_time TIMESTAMPTZ</c>, <c>venue VARCHAR</c> (NULL = all
/// venues), <c>codes VARCHAR[]</c> (empty = all codes), <c>reason VARCHAR</c>, <c>recorded_at TIMESTAMPTZ</c>.</para>
/// <para>Table <c>meta</c>: <c>key VARCHAR PRIMARY KEY</c>, <c>value VARCHAR</c>; key <c>schema_version</c> holds
/// <see cref="Version"/>.</para>
/// <para>Version 2 made <c>venue</c> and <c>tr_id</c> ENUMs instead of <c>VARCHAR</c>: DuckDB's commit spent most of its
/// time hashing and gathering statistics on those two three-valued strings. Version 1 files are read and appended to
/// as they are (their version is left at 1); exports write both columns as text either way.</para>
/// <para>Version 3 added <c>program_trades.source</c> and the table <c>gap_healing</c> (one row per healed registration:
/// the gap's bounds, venue, code, outcome <c>Healed</c>/<c>PartlyHealed</c>/<c>NotHealed</c>, REST rows, what is still
/// missing, detail). A recorder that opens an older file adds both (a version 2 file becomes version 3; a version 1
/// file keeps its text columns and its version); files that are only read are never changed, and read as all-live.</para>
/// <para>Version 4 added <c>program_trade_bins</c>: per (date, venue, code, 10-second bin of <c>kis_time</c>) the last
/// update's cumulative values and the number of updates, kept up by the recorder in the transaction of each batch, so
/// a day curve or minute bars read a few thousand rows instead of scanning the day. A recorder that opens a version 2
/// or 3 file builds the table from the rows it holds and makes it version 4; files that are only read are never
/// changed, and their queries scan <c>program_trades</c> as before. Version 1 files get no bins.</para>
/// <para>Version 5 added <c>rejected</c>: a raw copy of each stream message a <c>record --from</c>/<c>serve --from</c>
/// recorder rejected (bad, damaged or forged): <c>stream VARCHAR</c>, <c>stream_seq BIGINT</c>, <c>subject VARCHAR</c>,
/// <c>reason VARCHAR</c> (e.g. <c>BadTime</c>, <c>SubjectMismatch</c>), <c>detail VARCHAR</c> (what was wrong),
/// <c>payload BLOB</c> (the message's bytes), <c>stored_at TIMESTAMPTZ</c> (when the server stored it; NULL when not
/// known), <c>recorded_at TIMESTAMPTZ</c>. Its stream position is written with it (<c>stream_positions</c>, no row), so
/// a restarted recorder resumes after it. A recorder that opens an older file adds the table; a version 4 file becomes
/// version 5 (older versions keep their number); files only read are never changed and count 0 rejected.</para>
/// <para>Version 6 added <c>prices</c>: the stock's price as read while recording (KIS <c>inquire-price</c>
/// <c>stck_prpr</c> on a live board; the simulator's price path in a <c>generate</c>d day), so a replay has a real
/// price line: <c>trading_date DATE</c>, <c>code VARCHAR</c>, <c>kis_time TIME</c> (KST, when the price was read or
/// starts), <c>price BIGINT</c> (KRW), <c>previous_close BIGINT</c> (the reference of the change; NULL when not known),
/// <c>read_at TIMESTAMPTZ</c>. A recorder that opens an older file adds the table; a version 5 file becomes version 6
/// (older versions keep their number); files only read are never changed and have no prices.</para>
/// <para>Version 7 added <c>index_program_trades</c>: one row per <see cref="IndexProgramTrade"/> (<c>H0UPPGM0</c>):
/// <c>seq BIGINT</c> (insertion order within the table), <c>trading_date DATE</c>, <c>index_code VARCHAR</c>,
/// <c>kis_time TIME</c>, <c>received_at TIMESTAMPTZ</c>, then for each part (<c>arbitrage_customer</c>,
/// <c>arbitrage_own</c>, <c>non_arbitrage_customer</c>, <c>non_arbitrage_own</c>, <c>arbitrage</c>, <c>non_arbitrage</c>,
/// <c>customer</c>, <c>own</c>, <c>total</c>) the six <c>BIGINT</c> columns <c>{part}_sell_volume</c>,
/// <c>{part}_sell_value</c>, <c>{part}_buy_volume</c>, <c>{part}_buy_value</c>, <c>{part}_net_buy_volume</c>,
/// <c>{part}_net_buy_value</c>; for each sum (<c>arbitrage</c> … <c>total</c>) the six rates <c>{sum}_rate_sell_volume</c>
/// … <c>{sum}_rate_net_buy_value</c> (<c>DECIMAL(18,6)</c>, as KIS sends them); <c>market_volume</c>,
/// <c>market_value</c> (<c>BIGINT</c>); <c>missing VARCHAR</c> (the KIS names of missing fields, comma-separated, empty
/// when complete); <c>source TINYINT</c>. A recorder that opens an older file adds the table; a version 6 file becomes
/// version 7 (older versions keep their number); files only read are never changed and have no index rows.</para>
/// </remarks>
public static class StorageSchema
{
    /// <summary>The schema version this library writes and reads.</summary>
    public const int Version = 7;

    /// <summary>Name of the table of updates.</summary>
    public const string ProgramTradesTable = "program_trades";

    /// <summary>Name of the table of live-session gaps.</summary>
    public const string GapsTable = "gaps";

    /// <summary>Name of the table of gap-healing outcomes (version 3).</summary>
    public const string GapHealingTable = "gap_healing";

    /// <summary>Brings an older file up to the version 3 columns and tables (idempotent).</summary>
    internal const string MigrateToV3Sql = """
        ALTER TABLE program_trades ADD COLUMN IF NOT EXISTS source TINYINT DEFAULT 0;
        """ + GapHealingSql + """
        UPDATE meta SET value = '3' WHERE key = 'schema_version' AND value = '2';
        """;

    /// <summary>The <c>gap_healing</c> table (version 3), for new files and for migrated ones.</summary>
    private const string GapHealingSql = """
        CREATE TABLE IF NOT EXISTS gap_healing (
            from_time TIMESTAMPTZ NOT NULL,
            to_time TIMESTAMPTZ NOT NULL,
            venue VARCHAR NOT NULL,
            code VARCHAR NOT NULL,
            outcome VARCHAR NOT NULL,
            rest_rows INTEGER NOT NULL,
            still_missing_from TIMESTAMPTZ,
            still_missing_to TIMESTAMPTZ,
            detail VARCHAR NOT NULL,
            recorded_at TIMESTAMPTZ NOT NULL
        );
        """;

    /// <summary>Name of the table of rejected stream messages (version 5).</summary>
    public const string RejectedTable = "rejected";

    /// <summary>The <c>rejected</c> table (version 5), for new files and for migrated ones.</summary>
    internal const string RejectedSql = """
        CREATE TABLE IF NOT EXISTS rejected (
            stream VARCHAR NOT NULL,
            stream_seq BIGINT NOT NULL,
            subject VARCHAR NOT NULL,
            reason VARCHAR NOT NULL,
            detail VARCHAR NOT NULL,
            payload BLOB NOT NULL,
            stored_at TIMESTAMPTZ,
            recorded_at TIMESTAMPTZ NOT NULL
        );
        """;

    /// <summary>Brings a file up to version 5 (idempotent): the <c>rejected</c> table; a version 4 file is marked 5.</summary>
    internal const string MigrateToV5Sql = RejectedSql + """
        UPDATE meta SET value = '5' WHERE key = 'schema_version' AND value = '4';
        """;

    /// <summary>Name of the table of prices read while recording (version 6).</summary>
    public const string PricesTable = "prices";

    /// <summary>The <c>prices</c> table (version 6), for new files and for migrated ones.</summary>
    internal const string PricesSql = """
        CREATE TABLE IF NOT EXISTS prices (
            trading_date DATE NOT NULL,
            code VARCHAR NOT NULL,
            kis_time TIME NOT NULL,
            price BIGINT NOT NULL,
            previous_close BIGINT,
            read_at TIMESTAMPTZ NOT NULL
        );
        """;

    /// <summary>Brings a file up to version 6 (idempotent): the <c>prices</c> table; a version 5 file is marked 6.</summary>
    internal const string MigrateToV6Sql = PricesSql + """
        UPDATE meta SET value = '6' WHERE key = 'schema_version' AND value = '5';
        """;

    /// <summary>Name of the table of index program trading (version 7).</summary>
    public const string IndexTradesTable = "index_program_trades";

    /// <summary>The parts of an <see cref="IndexProgramTrade"/> as column prefixes of <see cref="IndexTradesTable"/>, in table order.</summary>
    internal static readonly string[] IndexParts = ["arbitrage_customer", "arbitrage_own", "non_arbitrage_customer", "non_arbitrage_own", "arbitrage", "non_arbitrage", "customer", "own", "total"];

    /// <summary>The sums that carry rates, as column prefixes, in table order.</summary>
    internal static readonly string[] IndexSums = ["arbitrage", "non_arbitrage", "customer", "own", "total"];

    private static readonly string[] FlowFields = ["sell_volume", "sell_value", "buy_volume", "buy_value", "net_buy_volume", "net_buy_value"];

    /// <summary>The columns of <see cref="IndexTradesTable"/>, in table order (also the columns of its exports).</summary>
    public static IReadOnlyList<string> IndexTradeColumns { get; } =
    [
        "seq", "trading_date", "index_code", "kis_time", "received_at",
        .. IndexParts.SelectMany(p => FlowFields.Select(f => $"{p}_{f}")),
        .. IndexSums.SelectMany(p => FlowFields.Select(f => $"{p}_rate_{f}")),
        "market_volume", "market_value", "missing", "source",
    ];

    /// <summary>The <c>index_program_trades</c> table (version 7), for new files and for migrated ones.</summary>
    internal static string IndexTradesSql { get; } =
        "CREATE TABLE IF NOT EXISTS index_program_trades (\n" + string.Join(",\n", IndexTradeColumns.Select(c => "    " + c + " " + c switch
        {
            "trading_date" => "DATE NOT NULL",
            "index_code" or "missing" => "VARCHAR NOT NULL",
            "kis_time" => "TIME NOT NULL",
            "received_at" => "TIMESTAMPTZ NOT NULL",
            "source" => "TINYINT NOT NULL",
            _ when c.Contains("_rate_", StringComparison.Ordinal) => "DECIMAL(18,6) NOT NULL",
            _ => "BIGINT NOT NULL",
        })) + "\n);\n";

    /// <summary>Brings a file up to version 7 (idempotent): the index table; a version 6 file is marked 7.</summary>
    internal static string MigrateToV7Sql { get; } = IndexTradesSql + "UPDATE meta SET value = '7' WHERE key = 'schema_version' AND value = '6';\n";

    /// <summary>Name of the table of 10-second bins (version 4).</summary>
    public const string BinsTable = "program_trade_bins";

    /// <summary>The width of a bin of <see cref="BinsTable"/>, seconds.</summary>
    public const int BinSeconds = 10;

    // Orders updates by kis_time (whole seconds, as KIS sends them), then seq: seconds of the day (< 2^17) in the high
    // bits, seq (< 2^40) in the low ones, so arg_max over one BIGINT picks the last update.
    internal const string OrderKey = "((epoch_us(kis_time) // 1000000) * 1099511627776 + seq)";

    /// <summary>The <c>program_trade_bins</c> table (version 4; only for files with ENUM venues, version 2 and later).</summary>
    internal const string BinsSql = """
        CREATE TABLE IF NOT EXISTS program_trade_bins (
            trading_date DATE NOT NULL,
            venue kisfeed_venue NOT NULL,
            code VARCHAR NOT NULL,
            bin INTEGER NOT NULL,
            last_key BIGINT NOT NULL,
            net_buy_value BIGINT NOT NULL,
            buy_value BIGINT NOT NULL,
            sell_value BIGINT NOT NULL,
            volume BIGINT NOT NULL,
            records BIGINT NOT NULL,
            PRIMARY KEY (trading_date, venue, code, bin)
        );
        """;

    /// <summary>
    /// Folds the rows of <c>program_trades</c> matching <paramref name="where"/> into <c>program_trade_bins</c>: per bin the
    /// update with the highest <see cref="OrderKey"/> wins (old or new), the counts add up.
    /// </summary>
    internal static string FoldIntoBinsSql(string where) => UpsertBinsSql($"""
        SELECT trading_date, venue, code, CAST(epoch_us(kis_time) // {BinSeconds * 1_000_000} AS INTEGER), max(k),
            arg_max(net_buy_value, k), arg_max(buy_value, k), arg_max(sell_value, k), arg_max(buy_volume + sell_volume, k), count(*)
        FROM (SELECT trading_date, venue, code, kis_time, net_buy_value, buy_value, sell_value, buy_volume, sell_volume, {OrderKey} AS k
              FROM program_trades WHERE {where})
        GROUP BY 1, 2, 3, 4
        """);

    /// <summary>
    /// Inserts the bin rows of <paramref name="select"/> (the columns of <c>program_trade_bins</c>, one row per bin) into
    /// <c>program_trade_bins</c>: a bin already there keeps the update with the higher <c>last_key</c>, the counts add up.
    /// </summary>
    private static string UpsertBinsSql(string select) => $"""
        INSERT INTO program_trade_bins
        {select}
        ON CONFLICT DO UPDATE SET
            net_buy_value = CASE WHEN excluded.last_key > last_key THEN excluded.net_buy_value ELSE net_buy_value END,
            buy_value = CASE WHEN excluded.last_key > last_key THEN excluded.buy_value ELSE buy_value END,
            sell_value = CASE WHEN excluded.last_key > last_key THEN excluded.sell_value ELSE sell_value END,
            volume = CASE WHEN excluded.last_key > last_key THEN excluded.volume ELSE volume END,
            records = records + excluded.records,
            last_key = greatest(last_key, excluded.last_key);
        """;

    /// <summary>
    /// The recorder's staging table of bins folded from a batch in memory (a temporary table of its connection, never
    /// in the file): the columns of <c>program_trade_bins</c>, filled through the appender in the batch's transaction.
    /// </summary>
    internal const string BinsStageTable = "kisfeed_bins_stage";

    /// <summary>Creates <see cref="BinsStageTable"/> on a connection (idempotent).</summary>
    internal const string BinsStageSql = """
        CREATE TEMP TABLE IF NOT EXISTS kisfeed_bins_stage (
            trading_date DATE NOT NULL,
            venue kisfeed_venue NOT NULL,
            code VARCHAR NOT NULL,
            bin INTEGER NOT NULL,
            last_key BIGINT NOT NULL,
            net_buy_value BIGINT NOT NULL,
            buy_value BIGINT NOT NULL,
            sell_value BIGINT NOT NULL,
            volume BIGINT NOT NULL,
            records BIGINT NOT NULL
        );
        """;

    /// <summary>Upserts the staged bins (<see cref="BinsStageTable"/>) into <c>program_trade_bins</c> with the rule of
    /// <see cref="FoldIntoBinsSql"/>, then empties the stage.</summary>
    internal static string UpsertStagedBinsSql { get; } = UpsertBinsSql("SELECT * FROM kisfeed_bins_stage") + "\nDELETE FROM kisfeed_bins_stage;\n";

    /// <summary>Name of the key/value metadata table.</summary>
    public const string MetaTable = "meta";

    /// <summary>The columns of <c>program_trades</c>, in table order (also the column names of every export).</summary>
    public static IReadOnlyList<string> ProgramTradeColumns { get; } =
    [
        "seq", "trading_date", "venue", "tr_id", "code", "kis_time", "received_at",
        "sell_volume", "sell_value", "buy_volume", "buy_value", "net_buy_volume", "net_buy_value",
        "ask_residual", "bid_residual", "net_bid_residual", "missing_fields", "source",
    ];

    /// <summary>
    /// How exports and <c>watch --format csv|jsonl</c> write <c>source</c>: <c>websocket</c> for live records (and every
    /// row of a v1/v2 file, which predate the column), <c>rest</c> for REST history rows (a seeded day or a healed gap).
    /// </summary>
    public static string SourceText(TradeSource source) => source == TradeSource.Rest ? "rest" : "websocket";

    // The ENUM orders are Venue's values (Krx 0, Nxt 1, Unified 2): the recorder appends Venue as the index of both.
    internal const string CreateSql = """
        CREATE TYPE kisfeed_venue AS ENUM ('krx', 'nxt', 'unified');
        CREATE TYPE kisfeed_tr_id AS ENUM ('H0STPGM0', 'H0NXPGM0', 'H0UNPGM0');
        CREATE TABLE IF NOT EXISTS program_trades (
            seq BIGINT NOT NULL,
            trading_date DATE NOT NULL,
            venue kisfeed_venue NOT NULL,
            tr_id kisfeed_tr_id NOT NULL,
            code VARCHAR NOT NULL,
            kis_time TIME NOT NULL,
            received_at TIMESTAMPTZ NOT NULL,
            sell_volume BIGINT NOT NULL,
            sell_value BIGINT NOT NULL,
            buy_volume BIGINT NOT NULL,
            buy_value BIGINT NOT NULL,
            net_buy_volume BIGINT NOT NULL,
            net_buy_value BIGINT NOT NULL,
            ask_residual BIGINT NOT NULL,
            bid_residual BIGINT NOT NULL,
            net_bid_residual BIGINT NOT NULL,
            missing_fields INTEGER NOT NULL,
            source TINYINT DEFAULT 0
        );
        CREATE TABLE IF NOT EXISTS gaps (
            from_time TIMESTAMPTZ NOT NULL,
            to_time TIMESTAMPTZ NOT NULL,
            venue VARCHAR,
            codes VARCHAR[] NOT NULL,
            reason VARCHAR NOT NULL,
            recorded_at TIMESTAMPTZ NOT NULL
        );
        """ + GapHealingSql + BinsSql + RejectedSql + PricesSql + """
        CREATE TABLE IF NOT EXISTS meta (
            key VARCHAR PRIMARY KEY,
            value VARCHAR NOT NULL
        );
        """;

    /// <summary>
    /// The columns of every export and of <c>kisfeed watch --format csv|jsonl</c>: those of <c>program_trades</c>, then
    /// <c>simulated</c> (true for simulator data, false for live data, empty/null when the file does not say).
    /// </summary>
    public static IReadOnlyList<string> ExportColumns { get; } = [.. ProgramTradeColumns, "simulated"];

    /// <summary>
    /// The format of <c>received_at</c> in CSV and JSONL (exports and <c>watch</c>): ISO 8601 in UTC with microseconds,
    /// e.g. <c>2026-11-24T00:30:00.123456Z</c>. As a .NET format string.
    /// </summary>
    public const string ReceivedAtTextFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    /// <summary>
    /// Columns selected for exports, in order; <c>venue</c> and <c>tr_id</c> as text whatever the file's version, so export
    /// files look the same for every recording; <c>received_at</c> as ISO 8601 text in CSV/JSONL (<paramref name="textTimestamps"/>);
    /// <c>source</c> as text (<see cref="SourceText"/>; <c>websocket</c> for files without the column); <c>simulated</c>
    /// from the file's source metadata.
    /// </summary>
    internal static string ExportColumnList(bool textTimestamps, RecordingSource? source, long sourceSinceSeq, bool hasSourceColumn = true)
    {
        IEnumerable<string> columns = ProgramTradeColumns.Select(c => c switch
        {
            "venue" or "tr_id" => $"CAST({c} AS VARCHAR) AS {c}",
            "source" => hasSourceColumn ? "CASE WHEN coalesce(source, 0) = 1 THEN 'rest' ELSE 'websocket' END AS source" : "'websocket' AS source",
            "received_at" when textTimestamps => "strftime(received_at, '%Y-%m-%dT%H:%M:%S.%fZ') AS received_at",
            _ => c,
        });
        string simulated = source?.IsSimulated is null
            ? "CAST(NULL AS BOOLEAN) AS simulated"
            : string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"CASE WHEN seq >= {sourceSinceSeq} THEN {(source.IsSimulated == true ? "true" : "false")} ELSE NULL END AS simulated");
        return string.Join(", ", columns.Append(simulated));
    }
}
