using System.Globalization;

using DuckDB.NET.Data;

using KisFeed.Storage;
using KisFeed.TestKit;

namespace KisFeed.IntegrationTests.Storage;

/// <summary>
/// The <c>index_program_trades</c> table (schema version 7): index updates recorded in their own table, read back equal,
/// exported, and an older file migrated when recorded to.
/// </summary>
public sealed class IndexRecordingTests : IDisposable
{
    private static readonly DateOnly Day = new(2026, 11, 24);

    private readonly TempDirectory _dir = new("kisfeed-index");

    public void Dispose() => _dir.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>An update with a distinct figure in every field (so a column swap shows).</summary>
    private static IndexProgramTrade Update(string code, int second, long k)
    {
        IndexProgramFlow F(long b) => new(k + b, k + b + 1, k + b + 2, k + b + 3, -(k + b + 4), -(k + b + 5));
        IndexProgramShares S(int b) => new(b + 0.25m, b + 1.5m, b + 2.125m, -(b + 3.75m), b + 4, b + 5.5m);
        return new IndexProgramTrade(code, Day, new TimeOnly(9, 0, second),
            F(10), F(20), F(30), F(40), F(50), F(60), F(70), F(80), F(90), S(1), S(2), S(3), S(4), S(5), k * 1000, k * 2000,
            KoreaTime.At(Day, new TimeOnly(9, 0, second)).AddTicks(1230))
        { Missing = second % 2 == 0 ? [] : ["arbt_seln_entm_cnqn", "acml_vol"] };
    }

    private static void AssertSame(IndexProgramTrade expected, IndexProgramTrade actual)
    {
        Assert.Equal(expected with { Missing = [], ReceivedAt = default }, actual with { Missing = [], ReceivedAt = default });
        Assert.Equal(expected.Missing, actual.Missing);
        Assert.Equal(expected.ReceivedAt.UtcTicks / 10 * 10, actual.ReceivedAt.UtcTicks); // microseconds kept
        Assert.Equal(TimeSpan.Zero, actual.ReceivedAt.Offset);
    }

    [Fact]
    public async Task Index_updates_are_recorded_in_their_own_table_and_read_back_equal()
    {
        string path = _dir.File("i.duckdb");
        IndexProgramTrade[] updates = [Update("0001", 1, 1_000), Update("1001", 1, 2_000), Update("0001", 2, 3_000), Update("1001", 3, 4_000)];
        await using (ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(path))
        {
            recorder.AppendIndex(updates[0]);
            recorder.AppendIndex(updates[1]);
            recorder.Flush(); // index updates alone: committed without a stock record
            Assert.Equal(2, recorder.IndexUpdatesWritten);
            recorder.Append(StorageTestData.Make(1)[0]);
            recorder.AppendIndex(updates[2]);
            recorder.AppendIndex(updates[3]);
        }

        List<IndexProgramTrade> read = await ProgramTradeReplay.ReadIndexAsync(path, cancellationToken: Ct).ToListAsync(Ct);
        Assert.Equal(4, read.Count);
        for (int i = 0; i < 4; i++)
        {
            AssertSame(updates[i], read[i]);
        }

        Assert.Equal(["0001", "0001"], (await ProgramTradeReplay.ReadIndexAsync(path, Day, ["0001"], Ct).ToListAsync(Ct)).Select(u => u.IndexCode));
        Assert.Empty(await ProgramTradeReplay.ReadIndexAsync(path, Day.AddDays(1), cancellationToken: Ct).ToListAsync(Ct));
        Assert.Single(await ProgramTradeReplay.ReadAsync(path, cancellationToken: Ct).ToListAsync(Ct)); // the stock table holds only the stock record

        // A second run on the same file continues the table's order.
        await using (ProgramTradeRecorder again = ProgramTradeRecorder.Open(path))
        {
            again.AppendIndex(Update("2001", 4, 5_000));
        }

        Assert.Equal(["0001", "1001", "0001", "1001", "2001"], (await ProgramTradeReplay.ReadIndexAsync(path, cancellationToken: Ct).ToListAsync(Ct)).Select(u => u.IndexCode));
    }

    [Fact]
    public async Task Index_updates_export_with_the_documented_columns()
    {
        string path = _dir.File("e.duckdb");
        await using (ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(path))
        {
            recorder.AppendIndex(Update("0001", 2, 1_000)); // complete: no quoted list of missing names in the row
            recorder.AppendIndex(Update("1001", 3, 2_000));
        }

        string csv = _dir.File("i.csv");
        Assert.Equal(2, await ProgramTradeExporter.ExportIndexAsync(path, ExportFormat.Csv, csv, cancellationToken: Ct));
        string[] lines = await File.ReadAllLinesAsync(csv, Ct);
        Assert.Equal(string.Join(',', StorageSchema.IndexTradeColumns), lines[0]);
        Assert.Equal(3, lines.Length);
        string[] first = lines[1].Split(',');
        string Col(string name) => first[StorageSchema.IndexTradeColumns.ToList().IndexOf(name)];
        Assert.Equal("0001", Col("index_code"));
        Assert.Equal("1010", Col("arbitrage_customer_sell_volume"));
        Assert.Equal("-1095", Col("total_net_buy_value"));
        Assert.Equal(1.25m, decimal.Parse(Col("arbitrage_rate_sell_volume"), CultureInfo.InvariantCulture));
        Assert.Equal("websocket", Col("source"));
        Assert.EndsWith("Z", Col("received_at"), StringComparison.Ordinal);

        string jsonl = _dir.File("i.jsonl");
        Assert.Equal(2, await ProgramTradeExporter.ExportIndexAsync(path, ExportFormat.Jsonl, jsonl, new DateOnly(2026, 11, 24), Ct));
        Assert.Contains("\"index_code\":\"1001\"", (await File.ReadAllLinesAsync(jsonl, Ct))[1], StringComparison.Ordinal);
        Assert.Equal(2, await ProgramTradeExporter.ExportIndexAsync(path, ExportFormat.Parquet, _dir.File("i.parquet"), cancellationToken: Ct));
    }

    [Fact]
    public async Task A_version_6_file_reads_as_no_index_updates_and_gains_the_table_when_recorded_to()
    {
        string path = _dir.File("v6.duckdb");
        await using (ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(path))
        {
            recorder.Append(StorageTestData.Make(1)[0]);
        }

        using (var c = new DuckDBConnection($"Data Source={path}"))
        {
            c.Open();
            using DuckDBCommand command = c.CreateCommand();
            command.CommandText = "DROP TABLE index_program_trades; UPDATE meta SET value = '6' WHERE key = 'schema_version'";
            command.ExecuteNonQuery();
        }

        Assert.Empty(await ProgramTradeReplay.ReadIndexAsync(path, cancellationToken: Ct).ToListAsync(Ct));
        string csv = _dir.File("none.csv");
        Assert.Equal(0, await ProgramTradeExporter.ExportIndexAsync(path, ExportFormat.Csv, csv, cancellationToken: Ct));
        Assert.False(File.Exists(csv));
        Assert.Equal("6", Version(path)); // reading changed nothing

        await using (ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(path))
        {
            recorder.AppendIndex(Update("0001", 1, 1_000));
        }

        Assert.Equal(StorageSchema.Version.ToString(CultureInfo.InvariantCulture), Version(path));
        Assert.Equal(7, StorageSchema.Version);
        AssertSame(Update("0001", 1, 1_000), Assert.Single(await ProgramTradeReplay.ReadIndexAsync(path, cancellationToken: Ct).ToListAsync(Ct)));
        Assert.Single(await ProgramTradeReplay.ReadAsync(path, cancellationToken: Ct).ToListAsync(Ct));
    }

    private static string Version(string path)
    {
        using var c = new DuckDBConnection($"Data Source={path};ACCESS_MODE=READ_ONLY");
        c.Open();
        using DuckDBCommand command = c.CreateCommand();
        command.CommandText = "SELECT value FROM meta WHERE key = 'schema_version'";
        return (string)command.ExecuteScalar()!;
    }
}
