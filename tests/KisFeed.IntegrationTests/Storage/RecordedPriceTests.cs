using DuckDB.NET.Data;

using KisFeed.Storage;
using KisFeed.TestKit;

namespace KisFeed.IntegrationTests.Storage;

/// <summary>The <c>prices</c> table (schema version 6): prices kept with the recording, read back in time order.</summary>
public sealed class RecordedPriceTests : IDisposable
{
    private readonly TempDirectory _dir = new("kisfeed-prices");

    public void Dispose() => _dir.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly DateOnly Day = new(2026, 11, 24);

    private static RecordedPrice P(string code, int h, int m, int s, long price, long? previous = 70_000) =>
        new(Day, code, new TimeOnly(h, m, s), price, previous, KoreaTime.At(Day, new TimeOnly(h, m, s)));

    [Fact]
    public async Task PricesAreCommittedWithTheRecordsAndReadBackInTimeOrderPerCode()
    {
        string path = _dir.File("p.duckdb");
        await using (ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(path))
        {
            recorder.AppendPrice(P("005930", 9, 0, 10, 70_100));
            recorder.AppendPrice(P("000660", 9, 0, 5, 180_500, null));
            recorder.AppendPrice(P("005930", 9, 0, 0, 70_000));
            recorder.Flush(); // prices alone: committed without a record
            using ProgramTradeQueries live = recorder.OpenQueries();
            Assert.Equal([70_000L, 70_100L], (await live.PricesAsync(Day, "005930", Ct)).Select(p => p.Price));
            recorder.AppendPrice(P("005930", 9, 1, 0, 69_900));
            recorder.Append(StorageTestData.Make(1)[0]);
        }

        using ProgramTradeQueries queries = ProgramTradeQueries.Open(path);
        IReadOnlyList<RecordedPrice> samsung = await queries.PricesAsync(Day, "005930", Ct);
        Assert.Equal([new TimeOnly(9, 0, 0), new TimeOnly(9, 0, 10), new TimeOnly(9, 1, 0)], samsung.Select(p => p.Time));
        Assert.Equal([70_000L, 70_100L, 69_900L], samsung.Select(p => p.Price));
        Assert.Equal(KoreaTime.At(Day, new TimeOnly(9, 1, 0)), samsung[^1].ReadAt);
        Assert.Equal(-0.142857, samsung[^1].ChangePercent!.Value, 5);

        IReadOnlyList<RecordedPrice> latest = await queries.LatestPricesAsync(Day, Ct);
        Assert.Equal(["000660", "005930"], latest.Select(p => p.Code));
        Assert.Equal(180_500, latest[0].Price);
        Assert.Null(latest[0].PreviousClose);
        Assert.Equal(69_900, latest[1].Price);
        Assert.Empty(await queries.PricesAsync(Day.AddDays(1), "005930", Ct));
    }

    [Fact]
    public async Task AFileFromBeforeThePricesTableReadsAsNoPricesAndGainsItWhenRecordedTo()
    {
        string path = _dir.File("v5.duckdb");
        await using (ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(path))
        {
            recorder.Append(StorageTestData.Make(1)[0]);
        }

        // Make it a version 5 file: no prices table.
        using (var c = new DuckDBConnection($"Data Source={path}"))
        {
            c.Open();
            using DuckDBCommand command = c.CreateCommand();
            command.CommandText = "DROP TABLE prices; UPDATE meta SET value = '5' WHERE key = 'schema_version'";
            command.ExecuteNonQuery();
        }

        using (ProgramTradeQueries read = ProgramTradeQueries.Open(path))
        {
            Assert.Empty(await read.LatestPricesAsync(Day, Ct));
            Assert.Empty(await read.PricesAsync(Day, "005930", Ct));
        }

        await using (ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(path))
        {
            recorder.AppendPrice(P("005930", 10, 0, 0, 71_000));
        }

        using (var c = new DuckDBConnection($"Data Source={path}"))
        {
            c.Open();
            using DuckDBCommand command = c.CreateCommand();
            command.CommandText = "SELECT value FROM meta WHERE key = 'schema_version'";
            Assert.Equal(StorageSchema.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), command.ExecuteScalar());
        }

        using ProgramTradeQueries after = ProgramTradeQueries.Open(path);
        Assert.Equal(71_000, Assert.Single(await after.PricesAsync(Day, "005930", Ct)).Price);
    }

    [Fact]
    public async Task ABadPriceIsRefusedAndNothingIsStored()
    {
        string path = _dir.File("bad.duckdb");
        await using ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(path);
        Assert.Throws<ArgumentOutOfRangeException>(() => recorder.AppendPrice(P("005930", 9, 0, 0, 0)));
        Assert.Throws<ArgumentException>(() => recorder.AppendPrice(P(" ", 9, 0, 0, 100)));
        recorder.Flush();
        using ProgramTradeQueries q = recorder.OpenQueries();
        Assert.Empty(await q.LatestPricesAsync(Day, Ct));
    }
}
