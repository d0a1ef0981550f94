using System.Globalization;
using System.Text.Json;

using KisFeed.IntegrationTests.Simulator;
using KisFeed.Rest;
using KisFeed.Session;
using KisFeed.Simulator;

using Microsoft.Extensions.Time.Testing;

using SimVenue = KisFeed.Simulator.Venue;

namespace KisFeed.IntegrationTests.Rest;

/// <summary>
/// A dropped connection healed from the simulator's REST history: the ledger (what the WebSocket delivered) plus the
/// healed rows equals what the simulator's market holds, with no duplicates; then the same drop partly healed when the
/// REST window is shallower than the gap.
/// </summary>
public sealed class GapHealingTests : IDisposable
{
    private static readonly (string TrId, string Code, Venue Venue)[] Subscriptions =
        [("H0STPGM0", "005930", Venue.Krx), ("H0UNPGM0", "005930", Venue.Unified), ("H0NXPGM0", "000660", Venue.Nxt)];

    private readonly RestTestKit _kit = new();

    public void Dispose() => _kit.Dispose();

    /// <summary>
    /// With one page (500 rows) a call per affected (code, venue); with 3 rows a page, the healer pages back just far
    /// enough to reach the gap's start: one call per page, and the heal is just as exact.
    /// </summary>
    [Theory]
    [InlineData(500)]
    [InlineData(3)]
    public async Task A_dropped_connection_is_healed_exactly_without_duplicates(int pageSize)
    {
        (FakeTimeProvider time, KisSimulator sim, DataGap gap, IReadOnlyList<SimulatorLedgerEntry> ledger) = await DropAndReconnectAsync(SimulatorRestOptions.Default with { PageSize = pageSize });
        await using (sim)
        {
            using CancellationTokenSource cts = SimTestKit.Deadline(30);
            using KisRestClient client = _kit.Client(sim, time);
            var healer = new GapHealer(client);
            // Pages needed per registration: the rows newer than From's second, then the page holding the first row at or before it.
            long fromSecond = gap.From.ToUnixTimeSeconds();
            int pages = Subscriptions.Sum(s => (sim.MarketHistory(Sim(s.Venue), s.Code).Count(p => p.Second.ToUnixTimeSeconds() > fromSecond) / pageSize) + 1);
            Assert.Equal(pageSize >= 500 ? 3 : pages, pages);
            Assert.True(pageSize >= 500 || pages >= 3 * 5, $"{pages} pages: the gap spans several pages");
            RestHealingResult result = await RestTestKit.PumpAsync(healer.HealAsync(gap, cts.Token), time, TimeSpan.FromMilliseconds(60), cts.Token);

            Assert.Equal(pages, result.RestCalls);
            Assert.Equal(pages, client.CallsMade); // one call per affected (code, venue) and page
            Assert.All(result.Reports, r => Assert.Equal(GapHealing.Healed, r.Outcome));
            Assert.Equal(result.Trades.OrderBy(t => t.ReceivedAt), result.Trades);
            Assert.All(result.Trades, t => Assert.Equal((TradeSource.Rest, ProgramTrade.ResidualFields), (t.Source, t.Missing)));

            foreach ((string trId, string code, Venue venue) in Subscriptions)
            {
                var live = ledger.Where(e => e.TrId == trId && e.Code == code).ToList();
                var healed = result.Trades.Where(t => t.Venue == venue && t.Code == code).ToList();
                Assert.Equal(healed.Count, result.Reports.Single(r => r.Registration == new Registration(venue, code)).Rows);

                // What the simulator holds for the seconds strictly inside the gap...
                long from = gap.From.ToUnixTimeSeconds(), to = gap.To.ToUnixTimeSeconds();
                var held = sim.MarketHistory(Sim(venue), code).Where(p => p.Second.ToUnixTimeSeconds() > from && p.Second.ToUnixTimeSeconds() < to).ToList();
                Assert.True(held.Count >= 5, $"{code} {venue}: the market moved during the gap");

                // ...is exactly what healing delivered.
                Assert.Equal(held.Count, healed.Count);
                for (int i = 0; i < held.Count; i++)
                {
                    Assert.Equal(TimeOnly.FromTimeSpan(held[i].Second.ToOffset(TimeSpan.FromHours(9)).TimeOfDay), healed[i].Time);
                    Assert.Equal((held[i].SellQty, held[i].SellValue, held[i].BuyQty, held[i].BuyValue), (healed[i].SellVolume, healed[i].SellValue, healed[i].BuyVolume, healed[i].BuyValue));
                }

                // No healed row shares a second with a live record; live before + healed + live after is one cumulative day.
                var liveTimes = live.Select(e => e.Fields[1]).ToHashSet();
                Assert.All(healed, t => Assert.DoesNotContain(t.Time.ToString("HHmmss", CultureInfo.InvariantCulture), liveTimes));
                var merged = live.Select(e => (Time: e.Fields[1], Sell: long.Parse(e.Fields[2], CultureInfo.InvariantCulture), Buy: long.Parse(e.Fields[4], CultureInfo.InvariantCulture)))
                    .Concat(healed.Select(t => (Time: t.Time.ToString("HHmmss", CultureInfo.InvariantCulture), Sell: t.SellVolume, Buy: t.BuyVolume)))
                    .OrderBy(x => x.Time, StringComparer.Ordinal).ThenBy(x => x.Sell).ToList();
                Assert.True(live.Any(e => string.CompareOrdinal(e.Fields[1], healed[0].Time.ToString("HHmmss", CultureInfo.InvariantCulture)) < 0), "live records before the gap");
                Assert.True(live.Any(e => string.CompareOrdinal(e.Fields[1], healed[^1].Time.ToString("HHmmss", CultureInfo.InvariantCulture)) > 0), "live records after the gap");
                for (int i = 1; i < merged.Count; i++)
                {
                    Assert.True(merged[i].Sell >= merged[i - 1].Sell && merged[i].Buy >= merged[i - 1].Buy, $"{code} {venue}: cumulative at {merged[i].Time}");
                }
            }
        }
    }

    [Fact]
    public async Task The_same_drop_is_partly_healed_when_the_REST_window_is_shallower_than_the_gap()
    {
        // The gap lasts 10 s and 4 s pass after it; a 9-second window reaches only the last 5 s of the gap.
        (FakeTimeProvider time, KisSimulator sim, DataGap gap, _) = await DropAndReconnectAsync(SimulatorRestOptions.Default with { HistoryDepth = TimeSpan.FromSeconds(9) });
        await using (sim)
        {
            using CancellationTokenSource cts = SimTestKit.Deadline(30);
            using KisRestClient client = _kit.Client(sim, time);
            RestHealingResult result = await RestTestKit.PumpAsync(new GapHealer(client).HealAsync(gap, cts.Token), time, TimeSpan.FromMilliseconds(60), cts.Token);

            Assert.Equal(3, result.RestCalls);
            foreach (GapHealingReport r in result.Reports)
            {
                Assert.Equal(GapHealing.PartlyHealed, r.Outcome);
                Assert.Equal(gap.From, r.StillMissingFrom);
                Assert.NotNull(r.StillMissingTo);
                Assert.True(r.StillMissingTo > gap.From && r.StillMissingTo < gap.To);
                Assert.Contains("still missing", r.Detail, StringComparison.Ordinal);
                var healed = result.Trades.Where(t => t.Venue == r.Registration.Venue && t.Code == r.Registration.Code).ToList();
                Assert.Equal(r.Rows, healed.Count);
                Assert.InRange(healed.Count, 1, 9);
                Assert.All(healed, t => Assert.True(new DateTimeOffset(t.TradingDate.ToDateTime(t.Time), TimeSpan.FromHours(9)) >= r.StillMissingTo));
            }
        }
    }

    [Fact]
    public async Task A_failing_REST_side_leaves_the_gap_not_healed_and_says_why()
    {
        (FakeTimeProvider time, KisSimulator sim, DataGap gap, _) = await DropAndReconnectAsync(SimulatorRestOptions.Default);
        await using (sim)
        {
            using CancellationTokenSource cts = SimTestKit.Deadline(30);
            using KisRestClient client = _kit.Client(sim, time);
            sim.InjectRestFault(RestFault.Fail, 1);
            RestHealingResult result = await RestTestKit.PumpAsync(new GapHealer(client).HealAsync(gap, cts.Token), time, TimeSpan.FromMilliseconds(60), cts.Token);
            GapHealingReport failed = Assert.Single(result.Reports, r => r.Outcome == GapHealing.NotHealed);
            Assert.Equal((gap.From, gap.To), (failed.StillMissingFrom!.Value, failed.StillMissingTo!.Value));
            Assert.Contains("502", failed.Detail, StringComparison.Ordinal);
            Assert.Equal(2, result.Reports.Count(r => r.Outcome == GapHealing.Healed));

            // The same healer as the session sees it (KisOptions.GapHealer): the rows inside the gap and the reports.
            IGapHealer session = new GapHealer(client);
            GapHealingResult viaSession = await RestTestKit.PumpAsync(session.HealAsync(gap, cts.Token), time, TimeSpan.FromMilliseconds(60), cts.Token);
            Assert.All(viaSession.Reports, r => Assert.Equal(GapHealing.Healed, r.Outcome));
            Assert.Equal(viaSession.Reports.Sum(r => r.Rows), viaSession.Rows.Count);
            Assert.Equal(viaSession.Rows.OrderBy(t => t.ReceivedAt), viaSession.Rows);
        }
    }

    private static SimVenue Sim(Venue v) => v switch { Venue.Krx => SimVenue.Krx, Venue.Nxt => SimVenue.Nxt, _ => SimVenue.Unified };

    /// <summary>
    /// 5 s of live data, a drop (abort), 10 s of market without the client, a reconnect with the same registrations,
    /// 4 s more. The gap runs from the last live tick to the moment the registrations are back.
    /// </summary>
    private static async Task<(FakeTimeProvider, KisSimulator, DataGap, IReadOnlyList<SimulatorLedgerEntry>)> DropAndReconnectAsync(SimulatorRestOptions rest)
    {
        var time = new FakeTimeProvider(SimulatorRestTests.T0);
        KisSimulator sim = await KisSimulator.StartAsync(SimTestKit.Quiet with { TimeProvider = time, Rest = rest }, TestContext.Current.CancellationToken);
        using CancellationTokenSource cts = SimTestKit.Deadline(30);
        int expected = 0;

        async Task<RawKisSocket> ConnectAsync()
        {
            RawKisSocket ws = await RawKisSocket.ConnectAsync(sim, cts.Token);
            string approval = await SimTestKit.ApprovalKeyAsync(sim, cts.Token);
            foreach ((string trId, string code, _) in Subscriptions)
            {
                using JsonDocument reply = await ws.RequestAsync(SimTestKit.SubscribeJson(approval, trId, code), cts.Token);
                Assert.Equal("0", reply.RootElement.GetProperty("body").GetProperty("rt_cd").GetString());
            }

            return ws;
        }

        async Task LiveSecondsAsync(int seconds)
        {
            for (int i = 0; i < seconds; i++)
            {
                time.Advance(TimeSpan.FromSeconds(1));
                sim.PublishNow(2);
                expected += 8; // 2 KRX + 4 unified + 2 NXT records
                await SimTestKit.WaitUntilAsync(() => sim.GetLedger().Count == expected, cts.Token, $"{expected} records are sent");
            }
        }

        RawKisSocket first = await ConnectAsync();
        await LiveSecondsAsync(5);
        DateTimeOffset from = time.GetUtcNow() + TimeSpan.FromMilliseconds(300); // the last message the old connection delivered
        time.Advance(TimeSpan.FromMilliseconds(300));
        await sim.DropAllSessionsAsync(DropMode.Abort);
        await first.DisposeAsync();
        for (int i = 0; i < 10; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            sim.PublishNow(2); // the market goes on; nobody is subscribed
        }

        time.Advance(TimeSpan.FromMilliseconds(200));
        await using RawKisSocket second = await ConnectAsync();
        DateTimeOffset to = time.GetUtcNow();
        await LiveSecondsAsync(4);
        var gap = new DataGap(7, from, to, [.. Subscriptions.Select(s => new Registration(s.Venue, s.Code))], "test drop");
        return (time, sim, gap, sim.GetLedger());
    }
}
