using KisFeed.Rest;

namespace KisFeed.Tests.Rest;

/// <summary>How far the REST rows reach decides a gap's outcome; a seed from the opening is healed by a row in its first minute.</summary>
public sealed class GapHealerOutcomeTests
{
    private static readonly DateOnly Day = new(2026, 11, 24);
    private static readonly Registration Samsung = new(Venue.Krx, "005930");

    private static DateTimeOffset At(int h, int m, int s) => KoreaTime.At(Day, new TimeOnly(h, m, s));

    // Rows every minute from `first`, cumulative, up to 10:00.
    private sealed class History(TimeOnly first) : IProgramTradeHistory
    {
        public Task<(IReadOnlyList<ProgramTradeHistoryRow> Rows, int Pages)> HistoryAsync(string code, Venue venue, DateTimeOffset since, CancellationToken cancellationToken)
        {
            var rows = new List<ProgramTradeHistoryRow>();
            long n = 1;
            for (TimeOnly t = first; t <= new TimeOnly(10, 0); t = t.AddMinutes(1), n++)
            {
                rows.Add(new ProgramTradeHistoryRow(venue, code, Day, t, 70_000, 100, PriceChangeSign.Up, 0.14m, n * 1000,
                    n * 10, n * 700_000, n * 20, n * 1_400_000, n * 10, n * 700_000, 10, 700_000));
            }

            return Task.FromResult<(IReadOnlyList<ProgramTradeHistoryRow>, int)>((rows, 1));
        }
    }

    private static async Task<GapHealingReport> HealAsync(TimeOnly firstRow, DataGap gap) =>
        Assert.Single((await new GapHealer(new History(firstRow)).HealAsync(gap, TestContext.Current.CancellationToken)).Reports);

    private static DataGap Seed() => new(1, At(9, 0, 0), At(10, 0, 30), [Samsung], "before the subscription: the day so far, seeded from REST") { IsSeed = true };

    [Fact]
    public async Task ASeedWhoseFirstRowIsInTheOpeningMinuteIsHealed()
    {
        GapHealingReport report = await HealAsync(new TimeOnly(9, 0, 59), Seed());
        Assert.Equal(GapHealing.Healed, report.Outcome);
        Assert.Null(report.StillMissingFrom);
        Assert.Contains("reached back to 09:00:59 KST", report.Detail, StringComparison.Ordinal);
        Assert.Contains("opening minute", report.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASeedWhoseFirstRowIsLaterIsPartlyHealedFromTheOpening()
    {
        GapHealingReport report = await HealAsync(new TimeOnly(9, 1, 0), Seed());
        Assert.Equal(GapHealing.PartlyHealed, report.Outcome);
        Assert.Equal(At(9, 0, 0), report.StillMissingFrom);
        Assert.Equal(At(9, 1, 0), report.StillMissingTo);
    }

    [Fact]
    public async Task AnOutageInTheDayIsNotCoveredByALaterRowHoweverClose()
    {
        // Mid-session the values before the gap are not zero: a row 30 s after its start leaves those 30 s missing.
        var outage = new DataGap(2, At(9, 30, 0), At(9, 45, 0), [Samsung], "connection lost");
        GapHealingReport report = await HealAsync(new TimeOnly(9, 30, 30), outage);
        Assert.Equal(GapHealing.PartlyHealed, report.Outcome);
        Assert.Equal(At(9, 30, 0), report.StillMissingFrom);
    }
}
