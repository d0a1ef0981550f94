using KisFeed.Storage;

namespace KisFeed.IntegrationTests.Storage;

/// <summary>The chart queries (day curve, minute bars, ranking as of a time) against a recording with known values.</summary>
public sealed class ChartQueryTests
{
    private static readonly DateOnly Day = new(2026, 11, 24);

    // A cumulative update: buy/sell volumes and a price give the values.
    private static ProgramTrade T(string code, Venue venue, string time, long buyVolume, long sellVolume, long buyValue, long sellValue, DateOnly? day = null)
    {
        TimeOnly t = TimeOnly.Parse(time, System.Globalization.CultureInfo.InvariantCulture);
        DateOnly d = day ?? Day;
        return new ProgramTrade(venue, code, d, t, sellVolume, sellValue, buyVolume, buyValue, buyVolume - sellVolume, buyValue - sellValue,
            0, 0, 0, new DateTimeOffset(d.ToDateTime(t), TimeSpan.FromHours(9)));
    }

    private static async Task<string> RecordAsync(TempDir dir, IEnumerable<ProgramTrade> trades)
    {
        string path = dir.File("day.duckdb");
        await using ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(path);
        foreach (ProgramTrade t in trades)
        {
            recorder.Append(t);
        }

        return path;
    }

    private static List<ProgramTrade> Sample() =>
    [
        // 005930 krx: minute 09:00 (two updates), 09:01 (none), 09:02 (one, price 101), a late row for 09:00:10 recorded last.
        T("005930", Venue.Krx, "09:00:05", 10, 0, 1_000, 0),
        T("005930", Venue.Krx, "09:00:40", 10, 5, 1_000, 500),
        T("005930", Venue.Krx, "09:02:30", 30, 15, 3_020, 1_510),
        T("005930", Venue.Nxt, "09:00:07", 0, 4, 0, 400),
        T("000660", Venue.Krx, "09:01:00", 100, 0, 50_000, 0),
        T("000660", Venue.Krx, "09:06:00", 100, 300, 50_000, 150_000),
        T("005930", Venue.Krx, "09:00:10", 5, 0, 500, 0),          // recorded after 09:02:30 but earlier in the day
        T("005930", Venue.Krx, "09:30:00", 999, 0, 99_900, 0, day: Day.AddDays(-1)), // another day
    ];

    [Fact]
    public async Task Minute_bars_give_the_flow_per_minute_and_the_cumulative_close()
    {
        using var dir = new TempDir();
        string path = await RecordAsync(dir, Sample());
        using ProgramTradeQueries q = ProgramTradeQueries.Open(path);

        IReadOnlyList<ProgramTradeBucket> bars = await q.MinuteBarsAsync(Day, "005930", Venue.Krx, TestContext.Current.CancellationToken);

        Assert.Equal([new TimeOnly(9, 0), new TimeOnly(9, 2)], bars.Select(b => b.Time));
        // 09:00: the last update by kis_time is 09:00:40 (the late 09:00:10 row does not win), net 1000-500.
        Assert.Equal(new ProgramTradeBucket(new TimeOnly(9, 0), 500, 1_000, 500, 500, 1_000, 500, 100, 3), bars[0]);
        // 09:02: flow is the difference to 09:00's close; price = (2020 + 1010) / (20 + 10) = 101.
        Assert.Equal(new ProgramTradeBucket(new TimeOnly(9, 2), 1_510, 3_020, 1_510, 1_010, 2_020, 1_010, 101, 1), bars[1]);
        Assert.Equal(bars[^1].NetBuyValue, bars.Sum(b => b.NetFlow));
    }

    [Fact]
    public async Task Day_curve_buckets_at_the_resolution_asked_for()
    {
        using var dir = new TempDir();
        string path = await RecordAsync(dir, Sample());
        using ProgramTradeQueries q = ProgramTradeQueries.Open(path);
        CancellationToken ct = TestContext.Current.CancellationToken;

        IReadOnlyList<ProgramTradeBucket> curve = await q.DayCurveAsync(Day, "005930", Venue.Krx, TimeSpan.FromSeconds(10), ct);
        Assert.Equal(
            [(new TimeOnly(9, 0, 0), 1_000L), (new TimeOnly(9, 0, 10), 500L), (new TimeOnly(9, 0, 40), 500L), (new TimeOnly(9, 2, 30), 1_510L)],
            curve.Select(b => (b.Time, b.NetBuyValue)));
        // The 09:00:10 bucket holds only the late row (buy 500): its flow against 09:00:00's close is -500.
        Assert.Equal(-500, curve[1].NetFlow);

        IReadOnlyDictionary<Venue, IReadOnlyList<ProgramTradeBucket>> all = await q.DayCurvesAsync(Day, "005930", TimeSpan.FromSeconds(10), ct);
        Assert.Equal([Venue.Krx, Venue.Nxt], all.Keys.Order());
        Assert.Equal(curve, all[Venue.Krx]);
        Assert.Equal(await q.DayCurveAsync(Day, "005930", Venue.Nxt, TimeSpan.FromSeconds(10), ct), all[Venue.Nxt]);
        Assert.Empty(await q.DayCurveAsync(Day, "005930", Venue.Unified, cancellationToken: ct));
        Assert.Single(await q.DayCurveAsync(Day, "005930", Venue.Nxt, cancellationToken: ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => q.DayCurveAsync(Day, "005930", Venue.Krx, TimeSpan.FromMilliseconds(1500), ct));
    }

    [Fact]
    public async Task Ranking_as_of_a_time_takes_the_last_update_then_and_the_changes_over_1_and_5_minutes()
    {
        using var dir = new TempDir();
        string path = await RecordAsync(dir, Sample());
        using ProgramTradeQueries q = ProgramTradeQueries.Open(path);
        CancellationToken ct = TestContext.Current.CancellationToken;

        IReadOnlyList<RankingRow> end = await q.RankingAsync(Day, cancellationToken: ct);
        Assert.Equal([("005930", Venue.Krx), ("005930", Venue.Nxt), ("000660", Venue.Krx)], end.Select(r => (r.Code, r.Venue)));
        RankingRow sk = end[2];
        Assert.Equal(new RankingRow("000660", Venue.Krx, new TimeOnly(9, 6), 150_000, 50_000, -100_000, -200, -150_000, -150_000, 2), sk);

        IReadOnlyList<RankingRow> at0901 = await q.RankingAsync(Day, new TimeOnly(9, 1, 30), ct);
        Assert.Equal([("000660", Venue.Krx), ("005930", Venue.Krx), ("005930", Venue.Nxt)], at0901.Select(r => (r.Code, r.Venue)));
        RankingRow samsung = at0901[1];
        Assert.Equal(new TimeOnly(9, 0, 40), samsung.Time);
        Assert.Equal(500, samsung.NetBuyValue);
        Assert.Equal(0, samsung.Change1m);   // at 09:00:30 the last was the 09:00:10 row, already net 500
        Assert.Null(samsung.Change5m);       // nothing before 08:56:30: not covered, so no figure (it used to read 500)
        Assert.Equal(3, samsung.Records);

        Assert.Empty(await q.RankingAsync(Day, new TimeOnly(8, 0), ct));
    }

    [Fact]
    public async Task Queries_shared_with_a_recorder_see_each_committed_batch_while_it_records()
    {
        using var dir = new TempDir();
        string path = dir.File("live.duckdb");
        CancellationToken ct = TestContext.Current.CancellationToken;
        await using ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(path);
        using ProgramTradeQueries q = recorder.OpenQueries();

        Assert.Null(await q.LatestDateAsync(ct));
        recorder.Append(T("005930", Venue.Nxt, "10:00:00", 10, 0, 1_000, 0));
        Assert.Empty(await q.MinuteBarsAsync(Day, "005930", Venue.Nxt, ct)); // buffered, not committed
        recorder.Flush();
        Assert.Equal(1_000, Assert.Single(await q.MinuteBarsAsync(Day, "005930", Venue.Nxt, ct)).NetBuyValue);

        recorder.Append(T("005930", Venue.Nxt, "10:00:30", 20, 0, 2_000, 0));
        recorder.Flush();
        Assert.Equal(2_000, Assert.Single(await q.RankingAsync(Day, cancellationToken: ct)).NetBuyValue);
        Assert.Equal(Day, await q.LatestDateAsync(ct));

        // A second recorder on the file is still refused; the queries keep working.
        Assert.Throws<KisStorageException>(() => ProgramTradeRecorder.Open(path));
        Assert.Single(await q.DayCurveAsync(Day, "005930", Venue.Nxt, TimeSpan.FromMinutes(1), ct));
    }

    [Fact]
    public async Task Gaps_of_a_day_are_those_overlapping_its_KST_calendar_day()
    {
        using var dir = new TempDir();
        string path = dir.File("gaps.duckdb");
        CancellationToken ct = TestContext.Current.CancellationToken;
        static DateTimeOffset kst(int day, int h, int m) => new(2026, 11, day, h, m, 0, TimeSpan.FromHours(9));
        await using (ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(path))
        {
            recorder.RecordGap(new RecordingGap(kst(23, 10, 0), kst(23, 10, 5), Venue.Krx, ["005930"], "reconnect"));
            recorder.RecordGap(new RecordingGap(kst(24, 10, 0), kst(24, 10, 1), null, [], "server closed"));
        }

        using ProgramTradeQueries q = ProgramTradeQueries.Open(path);
        RecordingGap gap = Assert.Single(await q.GapsAsync(Day, ct));
        Assert.Equal(kst(24, 10, 0), gap.From);
        Assert.Null(gap.Venue);
        Assert.Equal("server closed", gap.Reason);
    }

    [Fact]
    public async Task In_a_pools_feed_two_sessions_gaps_with_the_same_id_keep_their_own_outcomes_and_bounds()
    {
        using var dir = new TempDir();
        string path = dir.File("pool.duckdb");
        CancellationToken ct = TestContext.Current.CancellationToken;
        DateTimeOffset from = new(2026, 11, 24, 10, 0, 0, TimeSpan.FromHours(9));
        Registration a = new(Venue.Krx, "005930"), b = new(Venue.Krx, "000660");
        // Session 1 carries 005930, session 2 carries 000660; each numbers its gaps from 1.
        DataGap first = new(1, from, from.AddMinutes(1), [a], "session 1 reconnect");
        DataGap second = new(1, from.AddMinutes(5), from.AddMinutes(7), [b], "session 2 reconnect");
        FeedItem[] feed =
        [
            FeedItem.FromGap(first),
            FeedItem.FromGap(second),
            FeedItem.FromHealing(new GapHealingReport(1, a, GapHealing.Healed, 5, null, null, "REST covered it")),
            FeedItem.FromHealing(new GapHealingReport(1, b, GapHealing.NotHealed, 0, second.From, second.To, "REST failed")),
        ];
        await using (ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(path))
        {
            await recorder.RecordAsync(feed.ToAsyncEnumerable(), ct);
            Assert.Equal(2, recorder.Statistics.GapsWritten);
        }

        using ProgramTradeQueries q = ProgramTradeQueries.Open(path);
        IReadOnlyList<RecordedGapHealing> rows = await q.GapHealingAsync(Day, ct);
        Assert.Equal((first.From, first.To, GapHealing.Healed), rows.Where(r => r.Registration == a).Select(r => (r.GapFrom, r.GapTo, r.Outcome)).Single());
        Assert.Equal((second.From, second.To, GapHealing.NotHealed), rows.Where(r => r.Registration == b).Select(r => (r.GapFrom, r.GapTo, r.Outcome)).Single());
    }

    [Fact]
    public async Task Gap_healing_of_a_day_gives_each_registrations_outcome_and_nothing_for_a_file_without_it()
    {
        using var dir = new TempDir();
        string path = dir.File("healing.duckdb");
        CancellationToken ct = TestContext.Current.CancellationToken;
        DateTimeOffset from = new(2026, 11, 24, 10, 0, 0, TimeSpan.FromHours(9));
        Registration krx = new(Venue.Krx, "005930"), nxt = new(Venue.Nxt, "005930");
        DataGap gap = new(3, from, from.AddMinutes(2), [krx, nxt], "reconnect");
        DataGap dayBefore = new(4, from.AddDays(-1), from.AddDays(-1).AddMinutes(1), [krx], "reconnect");
        FeedItem[] feed =
        [
            FeedItem.FromGap(gap),
            FeedItem.FromHealing(new GapHealingReport(3, krx, GapHealing.Healed, 12, null, null, "REST covered it")),
            FeedItem.FromHealing(new GapHealingReport(3, nxt, GapHealing.PartlyHealed, 4, from.AddSeconds(30), from.AddMinutes(2), "REST reached back to 10:00:30")),
            FeedItem.FromGap(dayBefore),
            FeedItem.FromHealing(new GapHealingReport(4, krx, GapHealing.NotHealed, 0, dayBefore.From, dayBefore.To, "no REST credentials")),
        ];
        await using (ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(path))
        {
            await recorder.RecordAsync(feed.ToAsyncEnumerable(), ct);
        }

        using (ProgramTradeQueries q = ProgramTradeQueries.Open(path))
        {
            IReadOnlyList<RecordedGapHealing> rows = await q.GapHealingAsync(Day, ct);
            Assert.Equal([(krx, GapHealing.Healed, 12), (nxt, GapHealing.PartlyHealed, 4)], rows.Select(r => (r.Registration, r.Outcome, r.RestRows)));
            Assert.All(rows, r => Assert.Equal((gap.From, gap.To), (r.GapFrom, r.GapTo))); // the bounds of the gap rows they belong to
            Assert.All(await q.GapsAsync(Day, ct), g => Assert.Equal((gap.From, gap.To), (g.From, g.To)));
            Assert.Equal((null, null), (rows[0].StillMissingFrom, rows[0].StillMissingTo));
            Assert.Equal((from.AddSeconds(30), from.AddMinutes(2)), (rows[1].StillMissingFrom, rows[1].StillMissingTo));
            Assert.Equal("REST reached back to 10:00:30", rows[1].Detail);
            Assert.Equal(GapHealing.NotHealed, Assert.Single(await q.GapHealingAsync(Day.AddDays(-1), ct)).Outcome);
        }

        using (DuckDB.NET.Data.DuckDBConnection c = new($"Data Source={path}"))
        {
            c.Open();
            using DuckDB.NET.Data.DuckDBCommand drop = c.CreateCommand();
            drop.CommandText = "DROP TABLE gap_healing"; // as a file from before schema version 3
            drop.ExecuteNonQuery();
        }

        using ProgramTradeQueries older = ProgramTradeQueries.Open(path);
        Assert.Empty(await older.GapHealingAsync(Day, ct));
        Assert.Equal(2, (await older.GapsAsync(Day, ct)).Count);
    }
}
