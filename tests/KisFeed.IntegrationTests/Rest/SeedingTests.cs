using KisFeed.IntegrationTests.Simulator;
using KisFeed.Simulator;
using KisFeed.TestKit;

using Microsoft.Extensions.Time.Testing;

using static KisFeed.IntegrationTests.Client.ClientTestKit;

using SimVenue = KisFeed.Simulator.Venue;

namespace KisFeed.IntegrationTests.Rest;

/// <summary>
/// Seeding a feed with the day so far (<see cref="FeedOptions.FromStartOfDay"/>) on the simulator at 13:00 KST: the
/// REST rows come first, then the live records, and together they are every second the simulator's market changed,
/// once each, with the market's values. The REST answer is held until live records have arrived, so the rows it
/// returns overlap the live ones and the client must cut them at the first live second.
/// </summary>
public sealed class SeedingTests : IDisposable
{
    // Tuesday 2026-11-24, 13:00:00 KST.
    private static readonly DateTimeOffset At1300 = new(2026, 11, 24, 4, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Opening = new(2026, 11, 24, 9, 0, 0, TimeSpan.FromHours(9));
    private static readonly string[] Codes = ["005930", "000660"];

    private readonly TempDirectory _dir = new("kisfeed-seed-");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Seeding_from_1300_gives_a_continuous_day()
    {
        // Five hours of window, and a page large enough for the day (a row every 10 s since 09:00).
        Seeded run = await SeedAsync(TimeSpan.FromHours(5), pageSize: 2000);

        foreach (string code in Codes)
        {
            var reg = new Registration(Venue.Krx, code);
            GapHealingReport report = Assert.Single(run.Reports, r => r.Registration == reg);
            Assert.True(report.Outcome == GapHealing.Healed, report.Detail);
            Assert.Contains("09:00:00", report.Detail, StringComparison.Ordinal);
            Assert.Null(report.StillMissingFrom);

            (List<ProgramTrade> rest, List<ProgramTrade> live) = run.Of(reg);
            Assert.Equal(report.Rows, rest.Count);
            Assert.True(rest.Count > 1000, $"{code}: 4 hours of history every 10 s ({rest.Count} rows)");
            AssertContinuous(run, reg, rest, live, Opening);
        }

        // The live records are exactly what the simulator sent: nothing lost or doubled behind the seed.
        Assert.Equal(run.Ledger.Count, run.Items.Count(i => i.Kind == FeedItemKind.Trade && i.Trade.Source == TradeSource.WebSocket));
    }

    /// <summary>
    /// 00:10 KST on the always-open demo market (CI runs at any hour; this is 15:10 UTC): the day so far is the ten
    /// minutes since midnight. The simulator's day starts at midnight KST at zero (its 30-minute demo history used to
    /// reach back into the previous evening, rows the seed dropped as not of today), REST reaches back to 00:00:00, and
    /// the seeded feed is the whole day, continuous, with no second twice.
    /// </summary>
    [Fact]
    public async Task Seeding_ten_minutes_after_midnight_KST_gives_the_day_since_midnight()
    {
        var at0010 = new DateTimeOffset(2026, 11, 24, 0, 10, 0, TimeSpan.FromHours(9));
        var midnight = new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.FromHours(9));
        Seeded run = await SeedAsync(TimeSpan.FromMinutes(30), pageSize: 500, at0010, MarketHours.AlwaysOpen, midnight);

        foreach (string code in Codes)
        {
            var reg = new Registration(Venue.Krx, code);
            GapHealingReport report = Assert.Single(run.Reports, r => r.Registration == reg);
            Assert.True(report.Outcome == GapHealing.Healed, report.Detail);
            Assert.Contains("reached back to 00:00:00 KST", report.Detail, StringComparison.Ordinal);

            // The simulator's day starts at midnight KST, from nothing: no point of the evening before.
            var day = run.History[reg];
            Assert.Equal(midnight, day[0].Second);
            Assert.Equal((0L, 0L, 0L, 0L), (day[0].SellQty, day[0].SellValue, day[0].BuyQty, day[0].BuyValue));

            (List<ProgramTrade> rest, List<ProgramTrade> live) = run.Of(reg);
            Assert.Equal(report.Rows, rest.Count);
            Assert.True(rest.Count >= 55, $"{code}: ten minutes of history every 10 s ({rest.Count} rows)");
            Assert.All(rest, t => Assert.Equal(DateOnly.FromDateTime(midnight.DateTime), t.TradingDate));
            AssertContinuous(run, reg, rest, live, midnight);
        }
    }

    [Fact]
    public async Task A_window_shallower_than_the_day_says_how_far_back_it_reached()
    {
        Seeded run = await SeedAsync(TimeSpan.FromMinutes(30), pageSize: 500);

        foreach (string code in Codes)
        {
            var reg = new Registration(Venue.Krx, code);
            GapHealingReport report = Assert.Single(run.Reports, r => r.Registration == reg);
            (List<ProgramTrade> rest, List<ProgramTrade> live) = run.Of(reg);
            Assert.Equal(GapHealing.PartlyHealed, report.Outcome);
            Assert.Equal(Opening, report.StillMissingFrom);
            DateTimeOffset reached = report.StillMissingTo!.Value;
            Assert.InRange(reached, At1300 - TimeSpan.FromMinutes(30), At1300 - TimeSpan.FromMinutes(29));
            Assert.Contains($"reached back to {reached.ToOffset(TimeSpan.FromHours(9)):HH:mm:ss} KST", report.Detail, StringComparison.Ordinal);
            Assert.Contains("still missing", report.Detail, StringComparison.Ordinal);
            Assert.Equal(report.Rows, rest.Count);
            AssertContinuous(run, reg, rest, live, reached - TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>
    /// REST rows then live records, no second twice, and the merged day equals the simulator's market history (one
    /// point per second it changed) after <paramref name="after"/>.
    /// </summary>
    private static void AssertContinuous(Seeded run, Registration reg, List<ProgramTrade> rest, List<ProgramTrade> live, DateTimeOffset after)
    {
        Assert.NotEmpty(live);
        Assert.All(rest, t => Assert.Equal((TradeSource.Rest, ProgramTrade.ResidualFields), (t.Source, t.Missing)));
        long firstLive = Second(live[0]);
        Assert.All(rest, t => Assert.True(Second(t) < firstLive, $"{t.Time} before the first live record {live[0].Time}"));
        Assert.Equal(rest.Select(Second).Order(), rest.Select(Second)); // in time order
        Assert.Equal(rest.Count, rest.Select(Second).Distinct().Count());
        Assert.Empty(rest.Select(Second).Intersect(live.Select(Second)));

        // The held REST answer overlapped the live records: the client had to cut it (not a vacuous check).
        Assert.True(run.RestReplyAfter > firstLive, "the REST answer came after the first live record");

        // Every second the market changed, once: REST rows for the morning, the last live record of each later second.
        var merged = rest.Select(t => (Second(t), t.SellVolume, t.SellValue, t.BuyVolume, t.BuyValue))
            .Concat(live.GroupBy(Second).Select(g => g.Last()).Select(t => (Second(t), t.SellVolume, t.SellValue, t.BuyVolume, t.BuyValue)))
            .ToList();
        var market = run.History[reg]
            .Where(p => p.Second > after)
            .Select(p => (p.Second.ToUnixTimeSeconds(), p.SellQty, p.SellValue, p.BuyQty, p.BuyValue))
            .ToList();
        Assert.Equal(market.Count, merged.Count);
        Assert.Equal(market, merged);
    }

    private static long Second(ProgramTrade t) => new DateTimeOffset(t.TradingDate.ToDateTime(t.Time), TimeSpan.FromHours(9)).ToUnixTimeSeconds();

    private sealed record Seeded(List<FeedItem> Items, IReadOnlyList<SimulatorLedgerEntry> Ledger, Dictionary<Registration, List<(DateTimeOffset Second, long SellQty, long SellValue, long BuyQty, long BuyValue)>> History, long RestReplyAfter)
    {
        public IEnumerable<GapHealingReport> Reports => Items.Where(i => i.Kind == FeedItemKind.GapHealed).Select(i => i.Healing!);

        public (List<ProgramTrade> FromRest, List<ProgramTrade> Live) Of(Registration reg)
        {
            var trades = Items.Where(i => i.Kind == FeedItemKind.Trade && i.Trade.Venue == reg.Venue && i.Trade.Code == reg.Code).Select(i => i.Trade).ToList();
            return ([.. trades.Where(t => t.Source == TradeSource.Rest)], [.. trades.Where(t => t.Source == TradeSource.WebSocket)]);
        }
    }

    /// <summary>
    /// The simulator and the client on one fake clock at 13:00 KST; a seeded feed; live seconds published while the REST
    /// answer is held back; then more live seconds. Checks the order of the feed: seed gap, REST rows, reports, live.
    /// </summary>
    private async Task<Seeded> SeedAsync(TimeSpan historyDepth, int pageSize, DateTimeOffset? at = null, MarketHours hours = MarketHours.Real, DateTimeOffset? from = null)
    {
        using CancellationTokenSource deadline = Deadline(60);
        CancellationToken ct = deadline.Token;
        var time = new FakeTimeProvider(at ?? At1300);
        await using KisSimulator sim = await KisSimulator.StartAsync(SimTestKit.Quiet with
        {
            TimeProvider = time,
            Hours = hours,
            Rest = SimulatorRestOptions.Default with { HistoryDepth = historyDepth, PageSize = pageSize },
        }, ct);
        using var handler = new HeldHistoryHandler();
        KisOptions options = Options(sim) with
        {
            TimeProvider = time,
            IdleTimeout = Timeout.InfiniteTimeSpan,
            HttpHandler = handler,
            Rest = KisRestOptions.Default with { TokenCacheDirectory = _dir.File("tokens") },
        };
        await using var client = new KisRealtimeClient(options);
        using var clock = new ClockPump(time);

        DateTimeOffset asked = time.GetUtcNow();
        IKisSubscription<FeedItem> feed = await client.SubscribeFeedAsync(Registration.Of(Codes, [Venue.Krx]), new FeedOptions { FromStartOfDay = true }, ct);
        DateTimeOffset live = time.GetUtcNow();
        var items = new List<FeedItem>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task reading = Task.Run(async () =>
        {
            try
            {
                await foreach (FeedItem item in feed.ReadAllAsync(stop.Token))
                {
                    lock (items)
                    {
                        items.Add(item);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }, CancellationToken.None);

        // Live seconds while the REST answer waits: the market moves after the subscription and before REST replies.
        await Wait.UntilAsync(() => handler.Waiting == Codes.Length, ct, "both history calls are held");
        await LiveSecondsAsync(3);
        long replyAfter = time.GetUtcNow().ToUnixTimeSeconds();
        Assert.Empty(Snapshot()); // nothing is read before the seed: the live records are held back
        handler.Release();
        await Wait.UntilAsync(() => Snapshot().Count(i => i.Kind == FeedItemKind.GapHealed) == Codes.Length, ct, "a seed report per registration");
        await LiveSecondsAsync(3);
        IReadOnlyList<SimulatorLedgerEntry> ledger = sim.GetLedger();
        await Wait.UntilAsync(() => Snapshot().Count(i => i.Kind == FeedItemKind.Trade && i.Trade.Source == TradeSource.WebSocket) == ledger.Count, ct, "every live record read");
        await stop.CancelAsync();
        await reading;
        await feed.DisposeAsync();

        FeedItem[] seen = Snapshot();
        // In order: the seed gap, its REST rows, a report per registration, then only live records.
        DataGap gap = seen[0].Gap!;
        Assert.True(gap.IsSeed);
        Assert.Equal(from ?? Opening, gap.From);
        Assert.InRange(gap.To, asked, live); // when the registrations were live
        int lastReport = Array.FindLastIndex(seen, i => i.Kind == FeedItemKind.GapHealed);
        int firstLive = Array.FindIndex(seen, i => i.Kind == FeedItemKind.Trade && i.Trade.Source == TradeSource.WebSocket);
        Assert.True(lastReport < firstLive, "every report before the first live record");
        Assert.All(seen[1..lastReport], i => Assert.True(i.Kind == FeedItemKind.GapHealed || i.Trade.Source == TradeSource.Rest, i.ToString()));
        Assert.All(seen[firstLive..], i => Assert.Equal((FeedItemKind.Trade, TradeSource.WebSocket), (i.Kind, i.Trade.Source)));
        Assert.Equal(0, client.GetStatistics().Gaps); // a seed is not an outage

        var history = Codes.ToDictionary(c => new Registration(Venue.Krx, c), c => sim.MarketHistory(SimVenue.Krx, c).Select(p => (p.Second, p.SellQty, p.SellValue, p.BuyQty, p.BuyValue)).ToList());
        return new Seeded([.. seen], ledger, history, replyAfter);

        FeedItem[] Snapshot()
        {
            lock (items)
            {
                return [.. items];
            }
        }

        async Task LiveSecondsAsync(int seconds)
        {
            for (int i = 0; i < seconds; i++)
            {
                int before = sim.GetLedger().Count;
                DateTimeOffset next = time.GetUtcNow() + TimeSpan.FromSeconds(1);
                await Wait.UntilAsync(() => time.GetUtcNow() >= next, ct, "the clock moves on a second");
                sim.PublishNow(2);
                await Wait.UntilAsync(() => sim.GetLedger().Count == before + (2 * Codes.Length), ct, "a live second is sent");
            }
        }
    }

    /// <summary>Holds every history call until released (token calls pass), so the REST answer comes after live records.</summary>
    private sealed class HeldHistoryHandler() : DelegatingHandler(new SocketsHttpHandler())
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _waiting;

        public int Waiting => Volatile.Read(ref _waiting);

        public void Release() => _release.TrySetResult();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri!.AbsolutePath.Contains("program-trade", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _waiting);
                await _release.Task.WaitAsync(cancellationToken);
            }

            return await base.SendAsync(request, cancellationToken);
        }
    }
}
