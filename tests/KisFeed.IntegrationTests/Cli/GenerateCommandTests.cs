using KisFeed.Storage;
using KisFeed.TestKit;

using static KisFeed.IntegrationTests.Cli.CliHarness;

namespace KisFeed.IntegrationTests.Cli;

/// <summary><c>kisfeed generate</c>: a whole simulated day written into a new recording.</summary>
public sealed class GenerateCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new("kisfeed-generate");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task WritesExactlyTheRecordsAskedForAcrossTheDayInSessionHoursMarkedSimulated()
    {
        string db = _dir.File("day.duckdb");
        (int exit, string stdout, string stderr) = await RunAsync("generate", "--db", db, "--records", "30000", "--date", "2026-11-24", "--codes", "005930", "000660", "--seed", "7");
        Assert.True(exit == 0, stderr);
        Assert.Contains("Wrote 30,000 record(s) for 2026-11-24", stdout, StringComparison.Ordinal);
        Assert.Contains("SIMULATED", stderr, StringComparison.Ordinal);

        Assert.Equal(RecordingSource.Simulated("kisfeed generate"), await ProgramTradeCatalog.GetSourceAsync(db, TestContext.Current.CancellationToken));
        List<ProgramTrade> rows = [];
        await foreach (ProgramTrade t in ProgramTradeReplay.ReadAsync(db, ReplayQuery.Default, TestContext.Current.CancellationToken))
        {
            rows.Add(t);
        }

        Assert.Equal(30_000, rows.Count);
        Assert.All(rows, t => Assert.Equal(new DateOnly(2026, 11, 24), t.TradingDate));
        Assert.Equal(["000660", "005930"], rows.Select(t => t.Code).Distinct().Order(StringComparer.Ordinal));
        Assert.Equal([Venue.Krx, Venue.Nxt, Venue.Unified], rows.Select(t => t.Venue).Distinct().Order());

        // Session hours: NXT from 08:00 (pre-market), KRX from 09:00; nothing in NXT's 08:50–09:00:30 break on NXT.
        Assert.True(rows.Where(t => t.Venue == Venue.Krx).Min(t => t.Time) >= new TimeOnly(9, 0));
        Assert.True(rows.Where(t => t.Venue == Venue.Nxt).Min(t => t.Time) < new TimeOnly(8, 50));
        Assert.DoesNotContain(rows, t => t.Venue == Venue.Nxt && t.Time >= new TimeOnly(8, 50) && t.Time < new TimeOnly(9, 0, 30));
        // Spread over the day, not bunched at its start.
        Assert.True(rows.Max(t => t.Time) > new TimeOnly(19, 0));

        // Cumulative values: each series only grows, and unified is KRX + NXT at every unified record.
        foreach (IGrouping<(Venue, string), ProgramTrade> series in rows.GroupBy(t => (t.Venue, t.Code)))
        {
            ProgramTrade[] s = [.. series];
            for (int i = 1; i < s.Length; i++)
            {
                Assert.True(s[i].BuyValue >= s[i - 1].BuyValue && s[i].SellValue >= s[i - 1].SellValue, $"{series.Key} shrank at {s[i].Time}");
                Assert.True(s[i].Time >= s[i - 1].Time);
            }
        }

        // The same arguments make the same day; a file that exists is refused and left alone.
        string again = _dir.File("again.duckdb");
        Assert.Equal(0, (await RunAsync("generate", "--db", again, "--records", "30000", "--date", "2026-11-24", "--codes", "005930", "000660", "--seed", "7")).Exit);
        List<ProgramTrade> rows2 = [];
        await foreach (ProgramTrade t in ProgramTradeReplay.ReadAsync(again, ReplayQuery.Default, TestContext.Current.CancellationToken))
        {
            rows2.Add(t);
        }

        Assert.Equal(rows.Select(t => t with { ReceivedAt = default }), rows2.Select(t => t with { ReceivedAt = default }));
        (int refused, _, string err) = await RunAsync("generate", "--db", db, "--records", "10");
        Assert.Equal(2, refused);
        Assert.Contains("already exists", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AWeekendIsRefusedWithAClearError()
    {
        (int exit, _, string err) = await RunAsync("generate", "--db", _dir.File("sat.duckdb"), "--records", "10", "--date", "2026-11-28");
        Assert.Equal(2, exit);
        Assert.Contains("Saturday", err, StringComparison.Ordinal);
        Assert.Contains("Pick a trading day, e.g. 2026-11-27", err, StringComparison.Ordinal);
        Assert.False(File.Exists(_dir.File("sat.duckdb")));
    }
}
