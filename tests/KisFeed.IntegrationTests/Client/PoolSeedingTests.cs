using System.Collections.Concurrent;
using System.Globalization;

using KisFeed.Simulator;
using KisFeed.TestKit;

using Microsoft.Extensions.Time.Testing;

using static KisFeed.IntegrationTests.Client.ClientTestKit;

namespace KisFeed.IntegrationTests.Client;

/// <summary>
/// A <see cref="KisClientPool"/> feed seeded with the day so far (<see cref="FeedOptions.FromStartOfDay"/>): 50
/// registrations over two app keys, at 13:00 KST on a fake clock. Every session's seed comes first (each through its own
/// app key, paged), then only live records, with no second twice per registration.
/// </summary>
public sealed class PoolSeedingTests : IDisposable
{
    // Tuesday 2026-11-24, 13:00:00 KST.
    private static readonly DateTimeOffset At1300 = new(2026, 11, 24, 4, 0, 0, TimeSpan.Zero);
    private static readonly SimulatorCredential Second = new("PSSECONDAPPKEY000000000000000000000B", new string('t', 180));
    private static readonly string[] Codes = [.. Enumerable.Range(100_000, 25).Select(i => i.ToString(CultureInfo.InvariantCulture))];

    private readonly TempDirectory _dir = new("kisfeed-poolseed-");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_seeded_pool_feed_gives_the_REST_rows_of_every_registration_then_live_with_no_second_twice()
    {
        using CancellationTokenSource deadline = Deadline(90);
        CancellationToken ct = deadline.Token;
        var time = new FakeTimeProvider(At1300);
        await using KisSimulator sim = await KisSimulator.StartAsync(Simulator.SimTestKit.Quiet with
        {
            TimeProvider = time,
            Hours = MarketHours.Real,
            Credentials = [SimulatorCredential.Demo, Second],
            Rest = SimulatorRestOptions.Default with { HistoryDepth = TimeSpan.FromHours(5), PageSize = 500 },
        }, ct);
        using var calls = new CountingHandler();
        KisOptions first = Options(sim) with
        {
            TimeProvider = time,
            IdleTimeout = Timeout.InfiniteTimeSpan,
            HttpHandler = calls,
            Rest = KisRestOptions.Default with { TokenCacheDirectory = _dir.File("tokens") },
        };
        await using var pool = new KisClientPool([first, first with { AppKey = Second.AppKey, AppSecret = Second.AppSecret }]);
        using var clock = new ClockPump(time);

        Venue[] venues = [Venue.Krx, Venue.Nxt];
        await using IKisSubscription<FeedItem> feed = await pool.SubscribeFeedAsync(Registration.Of(Codes, venues), new FeedOptions { FromStartOfDay = true }, ct);
        Assert.Equal(50, pool.RegistrationCount);
        Assert.All(pool.Clients, c => Assert.NotEmpty(c.Registrations)); // both sessions hold some

        var items = new ConcurrentQueue<FeedItem>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task reading = Task.Run(async () =>
        {
            try
            {
                await foreach (FeedItem item in feed.ReadAllAsync(stop.Token))
                {
                    items.Enqueue(item);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }, CancellationToken.None);

        await LiveSecondsAsync(2); // while the seed is fetched: held back behind it
        await Wait.UntilAsync(() => items.Count(i => i.Kind == FeedItemKind.GapHealed) == 50, ct, "a seed report per registration");
        await LiveSecondsAsync(2);
        int sent = sim.GetLedger().Count;
        await Wait.UntilAsync(() => items.Count(i => i.Kind == FeedItemKind.Trade && i.Trade.Source == TradeSource.WebSocket) == sent, ct, "every live record read");
        await stop.CancelAsync();
        await reading;

        FeedItem[] seen = [.. items];
        Assert.True(seen[0].Kind == FeedItemKind.Gap && seen[0].Gap!.IsSeed, "the feed starts with a seed gap");
        int lastSeed = Array.FindLastIndex(seen, i => i.Kind == FeedItemKind.GapHealed || (i.Kind == FeedItemKind.Trade && i.Trade.Source == TradeSource.Rest));
        int firstLive = Array.FindIndex(seen, i => i.Kind == FeedItemKind.Trade && i.Trade.Source == TradeSource.WebSocket);
        Assert.True(firstLive > lastSeed, $"every seed item ({lastSeed}) before the first live record ({firstLive})");
        Assert.All(seen[firstLive..], i => Assert.Equal((FeedItemKind.Trade, TradeSource.WebSocket), (i.Kind, i.Trade.Source)));

        foreach (Registration reg in Codes.SelectMany(c => venues.Select(v => new Registration(v, c))))
        {
            GapHealingReport report = Assert.Single(seen, i => i.Kind == FeedItemKind.GapHealed && i.Healing!.Registration == reg).Healing!;
            var trades = seen.Where(i => i.Kind == FeedItemKind.Trade && i.Trade.Venue == reg.Venue && i.Trade.Code == reg.Code).Select(i => i.Trade).ToList();
            var rest = trades.Where(t => t.Source == TradeSource.Rest).Select(SecondOf).ToList();
            // KRX's day reaches its 09:00 opening. NXT's seed runs from 08:00: healed where the stock's REST history
            // starts in that opening minute (its pre-market traded), partly healed where it starts later (at 09:00:30).
            long opening = new DateTimeOffset(trades[0].TradingDate.ToDateTime(new TimeOnly(reg.Venue == Venue.Krx ? 9 : 8, 0)), TimeSpan.FromHours(9)).ToUnixTimeSeconds();
            bool fromTheOpening = rest.Count > 0 && rest.Min() - opening < 60;
            Assert.True(report.Outcome == (reg.Venue == Venue.Krx || fromTheOpening ? GapHealing.Healed : GapHealing.PartlyHealed), $"{reg}: {report.Outcome} {report.Detail}");
            var live = trades.Where(t => t.Source == TradeSource.WebSocket).Select(SecondOf).ToList();
            Assert.Equal(report.Rows, rest.Count);
            Assert.True(rest.Count > 500, $"{reg}: the morning every 10 s ({rest.Count} rows, more than one page)");
            Assert.NotEmpty(live);
            Assert.Equal(rest.Order(), rest);
            Assert.Equal(rest.Count, rest.Distinct().Count());
            Assert.True(rest[^1] < live[0], $"{reg}: REST rows before the first live second");
            Assert.Empty(rest.Intersect(live));
        }

        // Each session seeded through its own app key; paged (the morning is more than one page of 500).
        Assert.True(calls.Of(SimulatorCredential.Demo.AppKey) > 25 && calls.Of(Second.AppKey) > 25, $"{calls.Of(SimulatorCredential.Demo.AppKey)} and {calls.Of(Second.AppKey)} history calls");
        Assert.Equal(0, sim.RestRateLimited);

        async Task LiveSecondsAsync(int seconds)
        {
            for (int i = 0; i < seconds; i++)
            {
                int before = sim.GetLedger().Count;
                DateTimeOffset next = time.GetUtcNow() + TimeSpan.FromSeconds(1);
                await Wait.UntilAsync(() => time.GetUtcNow() >= next, ct, "the clock moves on a second");
                sim.PublishNow(1);
                await Wait.UntilAsync(() => sim.GetLedger().Count == before + 50, ct, "a live second is sent");
            }
        }
    }

    private static long SecondOf(ProgramTrade t) => new DateTimeOffset(t.TradingDate.ToDateTime(t.Time), TimeSpan.FromHours(9)).ToUnixTimeSeconds();

    /// <summary>Counts history calls per app key.</summary>
    private sealed class CountingHandler() : DelegatingHandler(new SocketsHttpHandler())
    {
        private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);

        public int Of(string appKey) => _calls.GetValueOrDefault(appKey);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri!.AbsolutePath.Contains("program-trade", StringComparison.Ordinal))
            {
                _calls.AddOrUpdate(request.Headers.GetValues("appkey").Single(), 1, (_, n) => n + 1);
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}
