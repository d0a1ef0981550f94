using DuckDB.NET.Data;

using KisFeed.Storage;

using Microsoft.Extensions.Time.Testing;

using static KisFeed.IntegrationTests.Storage.StorageTestData;

namespace KisFeed.IntegrationTests.Storage;

public sealed class ReplayAndExportTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ReplayFiltersByDateCodesAndVenues()
    {
        string path = _dir.File("trades.duckdb");
        List<ProgramTrade> trades = Make(3_000);
        await WriteAsync(path, trades);
        List<ProgramTrade> stored = trades.Select(Stored).ToList();

        Assert.Equal(stored.Where(t => t.TradingDate == Day2), await ReadAllAsync(path, ReplayQuery.Default with { Date = Day2 }));
        Assert.Equal(stored.Where(t => t.Code is "005930" or "O'QUOTE"),
            await ReadAllAsync(path, ReplayQuery.Default with { Codes = ["005930", "O'QUOTE"] }));
        Assert.Equal(stored.Where(t => t.Venue is Venue.Krx or Venue.Unified),
            await ReadAllAsync(path, ReplayQuery.Default with { Venues = [Venue.Krx, Venue.Unified] }));
        Assert.Equal(stored.Where(t => t.TradingDate == Day1 && t.Code == "000660" && t.Venue == Venue.Nxt),
            await ReadAllAsync(path, ReplayQuery.Default with { Date = Day1, Codes = ["000660"], Venues = [Venue.Nxt] }));
        Assert.Empty(await ReadAllAsync(path, ReplayQuery.Default with { Date = new DateOnly(2020, 1, 1) }));
    }

    [Fact]
    public async Task ReplayPacesByReceivedAtThroughTheTimeProvider()
    {
        string path = _dir.File("trades.duckdb");
        DateTimeOffset t0 = new(2026, 11, 24, 0, 0, 0, TimeSpan.Zero);
        List<ProgramTrade> trades = Make(4);
        trades[0] = trades[0] with { ReceivedAt = t0 };
        trades[1] = trades[1] with { ReceivedAt = t0.AddSeconds(2) };
        trades[2] = trades[2] with { ReceivedAt = t0.AddSeconds(2) };
        trades[3] = trades[3] with { ReceivedAt = t0.AddSeconds(6) };
        await WriteAsync(path, trades);

        FakeTimeProvider time = new(t0.AddDays(3));
        ReplayQuery query = ReplayQuery.Default with { Speed = 2, TimeProvider = time };
        await using IAsyncEnumerator<ProgramTrade> e = ProgramTradeReplay.ReadAsync(path, query, Ct).GetAsyncEnumerator(Ct);

        // The first record comes at once.
        Assert.True(await e.MoveNextAsync());
        Assert.Equal(t0, e.Current.ReceivedAt);

        // 2 s of recording at speed 2 = 1 s of (fake) time.
        ValueTask<bool> next = e.MoveNextAsync();
        Assert.False(next.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(next.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(await next);
        Assert.Equal(t0.AddSeconds(2), e.Current.ReceivedAt);

        // Same received_at: no wait.
        next = e.MoveNextAsync();
        Assert.True(next.IsCompleted);
        Assert.True(await next);

        // 4 s later at speed 2 = 2 s.
        next = e.MoveNextAsync();
        time.Advance(TimeSpan.FromMilliseconds(1_999));
        Assert.False(next.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(await next);
        Assert.Equal(t0.AddSeconds(6), e.Current.ReceivedAt);

        Assert.False(await e.MoveNextAsync());
    }

    [Fact]
    public async Task ReplayAsFastAsPossibleDoesNotWait()
    {
        string path = _dir.File("trades.duckdb");
        await WriteAsync(path, Make(100));
        FakeTimeProvider time = new();
        int count = 0;
        await foreach (ProgramTrade _ in ProgramTradeReplay.ReadAsync(path, ReplayQuery.Default with { TimeProvider = time }, Ct))
        {
            count++;
        }

        Assert.Equal(100, count);
    }

    [Theory]
    [InlineData(ExportFormat.Csv, "trades.csv")]
    [InlineData(ExportFormat.Parquet, "trades.parquet")]
    [InlineData(ExportFormat.Jsonl, "trades.jsonl")]
    public async Task ExportReadsBackEqualToTheTable(ExportFormat format, string fileName)
    {
        string path = _dir.File("trades.duckdb");
        string output = _dir.File(fileName);
        // Every 7th row from REST (a seeded day or a healed gap): the export says so in 'source'.
        await WriteAsync(path, Make(2_000).Select((t, i) => i % 7 == 0 ? t with { Source = TradeSource.Rest, Missing = ProgramTrade.ResidualFields } : t));

        long rows = await ProgramTradeExporter.ExportAsync(path, format, output, ExportQuery.Default, Ct);
        Assert.Equal(2_000, rows);

        string reader = format switch
        {
            ExportFormat.Csv => $"read_csv('{output}', header = true, columns = {ColumnTypes})",
            ExportFormat.Parquet => $"read_parquet('{output}')",
            _ => $"read_json('{output}', format = 'newline_delimited', columns = {ColumnTypes})",
        };

        using DuckDBConnection connection = new("Data Source=:memory:");
        connection.Open();
        Execute(connection, $"ATTACH '{path}' AS rec (READ_ONLY)");
        Assert.Equal(2_000, Scalar(connection, $"SELECT count(*) FROM {reader}"));
        // The table's rows, plus 'simulated' (NULL: this file records no source).
        string columns = string.Join(", ", StorageSchema.ProgramTradeColumns.Select(c => c == "source" ? "CASE source WHEN 1 THEN 'rest' ELSE 'websocket' END AS source" : c));
        string table = $"(SELECT {columns}, CAST(NULL AS BOOLEAN) AS simulated FROM rec.program_trades)";
        Assert.Equal(0, Scalar(connection, $"SELECT count(*) FROM (SELECT * FROM {reader} EXCEPT ALL SELECT * FROM {table})"));
        Assert.Equal(0, Scalar(connection, $"SELECT count(*) FROM (SELECT * FROM {table} EXCEPT ALL SELECT * FROM {reader})"));
        Assert.Equal(286, Scalar(connection, $"SELECT count(*) FROM {reader} WHERE source = 'rest'"));
        Assert.Equal(2_000 - 286, Scalar(connection, $"SELECT count(*) FROM {reader} WHERE source = 'websocket'"));
        // Column names and order are the table's, then 'simulated'.
        Assert.Equal(StorageSchema.ExportColumns, Names(connection, $"SELECT * FROM {reader} LIMIT 0"));
        // Rows are in seq order.
        Assert.Equal(0, Scalar(connection, $"SELECT count(*) FROM (SELECT seq, lag(seq) OVER () AS prev FROM {reader}) WHERE seq <= prev"));
    }

    [Fact]
    public async Task ExportAppliesTheFilters()
    {
        string path = _dir.File("trades.duckdb");
        List<ProgramTrade> trades = Make(1_000);
        await WriteAsync(path, trades);
        string output = _dir.File("nxt.parquet");

        long rows = await ProgramTradeExporter.ExportAsync(
            path, ExportFormat.Parquet, output, ExportQuery.Default with { Date = Day1, Venues = [Venue.Nxt], Codes = ["005930"] }, Ct);

        Assert.Equal(trades.Count(t => t.TradingDate == Day1 && t.Venue == Venue.Nxt && t.Code == "005930"), rows);
        using DuckDBConnection connection = new("Data Source=:memory:");
        connection.Open();
        Assert.Equal(rows, Scalar(connection, $"SELECT count(*) FROM read_parquet('{output}') WHERE venue = 'nxt' AND code = '005930' AND tr_id = 'H0NXPGM0'"));
    }

    private const string ColumnTypes =
        "{'seq': 'BIGINT', 'trading_date': 'DATE', 'venue': 'VARCHAR', 'tr_id': 'VARCHAR', 'code': 'VARCHAR', " +
        "'kis_time': 'TIME', 'received_at': 'TIMESTAMPTZ', 'sell_volume': 'BIGINT', 'sell_value': 'BIGINT', " +
        "'buy_volume': 'BIGINT', 'buy_value': 'BIGINT', 'net_buy_volume': 'BIGINT', 'net_buy_value': 'BIGINT', " +
        "'ask_residual': 'BIGINT', 'bid_residual': 'BIGINT', 'net_bid_residual': 'BIGINT', 'missing_fields': 'INTEGER', 'source': 'VARCHAR', 'simulated': 'BOOLEAN'}";

    private static void Execute(DuckDBConnection connection, string sql)
    {
        using DuckDBCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static long Scalar(DuckDBConnection connection, string sql)
    {
        using DuckDBCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static List<string> Names(DuckDBConnection connection, string sql)
    {
        using DuckDBCommand command = connection.CreateCommand();
        command.CommandText = sql;
        using DuckDBDataReader reader = command.ExecuteReader();
        return Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToList();
    }
}
