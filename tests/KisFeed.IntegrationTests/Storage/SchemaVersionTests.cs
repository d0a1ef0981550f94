using DuckDB.NET.Data;

using KisFeed.Storage;

using static KisFeed.IntegrationTests.Storage.StorageTestData;

namespace KisFeed.IntegrationTests.Storage;

/// <summary>Schema version 2 (ENUM venue and tr_id) for new files; version 1 files (VARCHAR) keep working as they are.</summary>
public sealed class SchemaVersionTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task NewRecordingsStoreVenueAndTrIdAsEnums()
    {
        string path = _dir.File("v2.duckdb");
        await WriteAsync(path, Make(50));

        using DuckDBConnection connection = Open(path);
        Assert.Equal(StorageSchema.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), SchemaVersion(connection));
        Assert.Equal("ENUM('krx', 'nxt', 'unified')", ColumnType(connection, "venue"));
        Assert.Equal("ENUM('H0STPGM0', 'H0NXPGM0', 'H0UNPGM0')", ColumnType(connection, "tr_id"));
        Assert.Equal("0", Text(connection, "SELECT count(*) FROM program_trades WHERE tr_id::VARCHAR <> CASE venue::VARCHAR WHEN 'krx' THEN 'H0STPGM0' WHEN 'nxt' THEN 'H0NXPGM0' ELSE 'H0UNPGM0' END"));
    }

    [Fact]
    public async Task VersionOneFilesAreAppendedToReplayedAndExportedAsTheyAre()
    {
        string path = _dir.File("v1.duckdb");
        List<ProgramTrade> trades = Make(300);
        CreateVersionOne(path);

        await WriteAsync(path, trades.Take(100));
        await WriteAsync(path, trades.Skip(100));

        Assert.Equal(trades.Select(Stored), await ReadAllAsync(path));
        Assert.Equal(
            trades.Count(t => t.Venue == Venue.Nxt),
            (await ReadAllAsync(path, ReplayQuery.Default with { Venues = [Venue.Nxt] })).Count);

        string csv = _dir.File("v1.csv");
        Assert.Equal(300, await ProgramTradeExporter.ExportAsync(path, ExportFormat.Csv, csv, cancellationToken: Ct));
        string[] lines = await File.ReadAllLinesAsync(csv, Ct);
        Assert.Equal(301, lines.Length);
        Assert.Contains(",H0NXPGM0,", lines[1..].First(l => l.Contains(",nxt,", StringComparison.Ordinal)), StringComparison.Ordinal);
        // A v1 file predates the source column: every row exports as a live (websocket) record.
        int sourceAt = Array.IndexOf(lines[0].Split(','), "source");
        Assert.True(sourceAt >= 0, lines[0]);
        Assert.All(lines[1..], l => Assert.Equal("websocket", l.Split(',')[sourceAt]));

        using DuckDBConnection connection = Open(path);
        Assert.Equal("1", SchemaVersion(connection));
        Assert.Equal("VARCHAR", ColumnType(connection, "venue"));
    }

    [Fact]
    public async Task TheBufferGrowsAndAFullBatchCommitsByItself()
    {
        string path = _dir.File("batches.duckdb");
        List<ProgramTrade> trades = Make(23_000);
        await using (ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(path, RecorderOptions.Default with { BatchSize = 10_000 }))
        {
            foreach (ProgramTrade t in trades)
            {
                recorder.Append(in t);
            }

            RecorderStatistics stats = recorder.Statistics;
            Assert.Equal(20_000, stats.RecordsWritten);
            Assert.Equal(3_000, stats.PendingRecords);
            Assert.Equal(2, stats.Batches);
        }

        Assert.Equal(trades.Select(Stored), await ReadAllAsync(path));
    }

    [Fact]
    public async Task VersionThreeKeepsTheSourceOfEveryRowAndTheHealingOfEveryGap()
    {
        string path = _dir.File("v3.duckdb");
        List<ProgramTrade> live = Make(4);
        ProgramTrade healed = live[1] with { Source = TradeSource.Rest, Missing = ProgramTrade.ResidualFields, AskResidual = 0, BidResidual = 0, NetBidResidual = 0 };
        var registration = new Registration(healed.Venue, healed.Code);
        var gap = new DataGap(7, live[0].ReceivedAt, live[2].ReceivedAt, [registration], "connection lost");
        var report = new GapHealingReport(7, registration, GapHealing.PartlyHealed, 1, gap.From, gap.From.AddSeconds(1), "REST reached back to 09:00:01");
        FeedItem[] feed = [FeedItem.FromTrade(live[0]), FeedItem.FromGap(gap), FeedItem.FromTrade(live[2]), FeedItem.FromTrade(healed), FeedItem.FromHealing(report)];
        await using (ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(path))
        {
            Assert.Equal(3, await recorder.RecordAsync(feed.ToAsyncEnumerable(), Ct));
        }

        List<ProgramTrade> back = await ReadAllAsync(path);
        Assert.Equal([TradeSource.WebSocket, TradeSource.WebSocket, TradeSource.Rest], back.Select(t => t.Source));
        Assert.Equal(ProgramTrade.ResidualFields, back[2].Missing);
        using DuckDBConnection connection = Open(path);
        Assert.Equal(StorageSchema.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), SchemaVersion(connection));
        Assert.Equal("PartlyHealed 1", Text(connection, "SELECT outcome || ' ' || rest_rows FROM gap_healing"));
        Assert.Equal(gap.From.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture), Text(connection, "SELECT epoch_ms(from_time) FROM gap_healing"));
    }

    [Fact]
    public async Task AnOlderFileReadsAsLiveAndGainsTheSourceColumnOnlyWhenRecordedTo()
    {
        string path = _dir.File("v1-source.duckdb");
        CreateVersionOne(path);
        await WriteAsync(path, Make(2)); // a recorder opens it: it gains the column and the table, keeps its version
        using (DuckDBConnection connection = Open(path))
        {
            Assert.Equal("1", SchemaVersion(connection));
            Assert.Equal("TINYINT", ColumnType(connection, "source"));
        }

        Assert.All(await ReadAllAsync(path), t => Assert.Equal(TradeSource.WebSocket, t.Source));

        string untouched = _dir.File("v1-read.duckdb");
        CreateVersionOne(untouched);
        Assert.Empty(await ReadAllAsync(untouched)); // read-only: no source column needed, nothing changed
        using DuckDBConnection check = Open(untouched);
        Assert.Equal("", ColumnType(check, "source"));
    }

    [Fact]
    public void TheDefaultBatchIsOneDuckDBRowGroup() => Assert.Equal(122_880, RecorderOptions.Default.BatchSize);

    /// <summary>A recording as KisFeed wrote it before version 2 (the version 1 DDL, verbatim).</summary>
    private static void CreateVersionOne(string path)
    {
        using DuckDBConnection connection = Open(path);
        using DuckDBCommand command = connection.CreateCommand();
        command.CommandText = """
            CREATE TABLE program_trades (
                seq BIGINT NOT NULL, trading_date DATE NOT NULL, venue VARCHAR NOT NULL, tr_id VARCHAR NOT NULL,
                code VARCHAR NOT NULL, kis_time TIME NOT NULL, received_at TIMESTAMPTZ NOT NULL,
                sell_volume BIGINT NOT NULL, sell_value BIGINT NOT NULL, buy_volume BIGINT NOT NULL, buy_value BIGINT NOT NULL,
                net_buy_volume BIGINT NOT NULL, net_buy_value BIGINT NOT NULL, ask_residual BIGINT NOT NULL,
                bid_residual BIGINT NOT NULL, net_bid_residual BIGINT NOT NULL, missing_fields INTEGER NOT NULL);
            CREATE TABLE gaps (from_time TIMESTAMPTZ NOT NULL, to_time TIMESTAMPTZ NOT NULL, venue VARCHAR,
                codes VARCHAR[] NOT NULL, reason VARCHAR NOT NULL, recorded_at TIMESTAMPTZ NOT NULL);
            CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
            INSERT INTO meta VALUES ('schema_version', '1'), ('created_by', 'KisFeed.Storage');
            """;
        command.ExecuteNonQuery();
    }

    private static DuckDBConnection Open(string path)
    {
        DuckDBConnection connection = new($"Data Source={path}");
        connection.Open();
        return connection;
    }

    private static string SchemaVersion(DuckDBConnection connection) => Text(connection, "SELECT value FROM meta WHERE key = 'schema_version'");

    private static string ColumnType(DuckDBConnection connection, string column) =>
        Text(connection, $"SELECT data_type FROM information_schema.columns WHERE table_name = 'program_trades' AND column_name = '{column}'");

    private static string Text(DuckDBConnection connection, string sql)
    {
        using DuckDBCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) ?? "";
    }
}
