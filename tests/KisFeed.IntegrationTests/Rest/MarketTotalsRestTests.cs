using KisFeed.Simulator;

using Microsoft.Extensions.Time.Testing;

namespace KisFeed.IntegrationTests.Rest;

/// <summary>
/// Issue 20 item 1: the market totals typed in <see cref="KisRestClient"/> — by time (FHPPG04600101), by day
/// (FHPPG04600001) and by investor type today (HHPPG046600C1) — against the simulator's REST and its market model, paced
/// by the app key's shared limiter.
/// </summary>
public sealed class MarketTotalsRestTests : IDisposable
{
    /// <summary>Tuesday 2026-11-24 14:00:20.25 KST, KRX open, between two of the simulator's updates.</summary>
    private static readonly DateTimeOffset At = new(2026, 11, 24, 14, 0, 20, 250, TimeSpan.FromHours(9));

    private readonly RestTestKit _kit = new();

    public void Dispose() => _kit.Dispose();

    /// <summary>A client whose limiter gives a permit every millisecond of the fake clock (the pace itself is tested below).</summary>
    private KisRestClient Client(KisSimulator sim, FakeTimeProvider time, HttpMessageHandler? handler = null) =>
        _kit.Client(sim, time, _kit.Rest with { RequestsPerSecond = 1000 }, handler);

    /// <summary>Moves the fake clock a millisecond at a time until the call is answered (the limiter waits on that clock).</summary>
    private static async Task<T> Pumped<T>(Task<T> call, FakeTimeProvider time)
    {
        using CancellationTokenSource deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        return await RestTestKit.PumpAsync(call, time, TimeSpan.FromMilliseconds(1), deadline.Token);
    }

    private static Task<KisSimulator> StartAsync(FakeTimeProvider time) =>
        KisSimulator.StartAsync(SimulatorOptions.Default with { TimeProvider = time, Hours = MarketHours.Real, UpdatesPerSecond = 2, ApprovalRateLimitPerSecond = 0 }, TestContext.Current.CancellationToken);

    [Fact]
    public async Task By_time_gives_the_minutes_oldest_first_equal_to_the_market_model()
    {
        var time = new FakeTimeProvider(At);
        await using KisSimulator sim = await StartAsync(time);
        using KisRestClient rest = Client(sim, time);
        IReadOnlyList<MarketProgramTradeRow> rows = await Pumped(rest.MarketProgramTradeByTimeAsync(Venue.Krx, KrxMarket.Kospi, TestContext.Current.CancellationToken), time);

        Assert.Equal(30, rows.Count);
        Assert.Equal(new TimeOnly(13, 31), rows[0].Time);
        Assert.Equal(new TimeOnly(14, 0), rows[^1].Time);
        Assert.All(rows, r => Assert.Equal((Venue.Krx, KrxMarket.Kospi, new DateOnly(2026, 11, 24)), (r.Venue, r.Market, r.Date)));
        Assert.Equal(rows.OrderBy(r => r.Time), rows);

        // A finished minute holds the market (KOSPI = index 0001's members on KRX) at its end, in the units served (백만원).
        foreach (MarketProgramTradeRow row in rows.SkipLast(1))
        {
            IndexState end = sim.Market.IndexAt(IndexCode.Kospi, KoreaTime.At(row.Date, row.Time!.Value.Add(TimeSpan.FromSeconds(59))));
            Assert.Equal(end.ArbitrageSellValue / 1_000_000, row.Arbitrage.SellValue);
            Assert.Equal(end.ArbitrageBuyValue / 1_000_000, row.Arbitrage.BuyValue);
            Assert.Equal(end.NonArbitrageSellValue / 1_000_000, row.NonArbitrage.SellValue);
            Assert.Equal((end.NonArbitrageBuyValue / 1_000_000) - (end.NonArbitrageSellValue / 1_000_000), row.NonArbitrage.NetBuyValue);
            Assert.Equal(row.Arbitrage.NetBuyValue + row.NonArbitrage.NetBuyValue, row.Total.NetBuyValue);
            Assert.InRange(row.IndexLevel!.Value, 2_650 * 0.9m, 2_650 * 1.1m);
        }

        // The by-time reply carries the values and the nets only: the volumes and the customer/own split are named missing, not zeros passed off as figures.
        MarketProgramTradeRow last = rows[^1];
        Assert.Contains("arbt_smtn_seln_vol", last.Missing);
        Assert.Contains("whol_entm_seln_tr_pbmn", last.Missing);
        Assert.DoesNotContain("arbt_smtn_seln_tr_pbmn", last.Missing);
        Assert.DoesNotContain("whol_smtn_ntby_tr_pbmn", last.Missing);
    }

    [Fact]
    public async Task By_time_asks_for_the_venue_and_market_given()
    {
        var time = new FakeTimeProvider(At);
        await using KisSimulator sim = await StartAsync(time);
        var stamps = new StampingHandler(time);
        using KisRestClient rest = Client(sim, time, stamps);
        foreach (Venue venue in VenueExtensions.All)
        {
            foreach (KrxMarket market in new[] { KrxMarket.Kospi, KrxMarket.Kosdaq })
            {
                IReadOnlyList<MarketProgramTradeRow> rows = await Pumped(rest.MarketProgramTradeByTimeAsync(venue, market, TestContext.Current.CancellationToken), time);
                Assert.NotEmpty(rows);
                MarketProgramTradeRow row = rows[^2]; // a finished minute
                IndexState end = sim.Market.IndexAt(market == KrxMarket.Kospi ? IndexCode.Kospi : IndexCode.Kosdaq, KoreaTime.At(row.Date, row.Time!.Value.Add(TimeSpan.FromSeconds(59))), venue switch
                {
                    Venue.Krx => SimulatorVenue.Krx,
                    Venue.Nxt => SimulatorVenue.Nxt,
                    _ => SimulatorVenue.Unified,
                });
                Assert.Equal(end.NonArbitrageSellValue / 1_000_000, row.NonArbitrage.SellValue);
            }
        }

        Assert.Equal(6, stamps.Sent.Count(s => s.Path.EndsWith("/comp-program-trade-today", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Daily_rows_are_oldest_first_and_add_up_part_by_part()
    {
        var time = new FakeTimeProvider(At);
        await using KisSimulator sim = await StartAsync(time);
        using KisRestClient rest = Client(sim, time);
        IReadOnlyList<MarketProgramTradeRow> days = await Pumped(rest.MarketProgramTradeDailyAsync(Venue.Unified, KrxMarket.Kosdaq, cancellationToken: TestContext.Current.CancellationToken), time);

        Assert.True(days.Count >= 5, $"{days.Count} day(s)");
        Assert.Equal(days.Select(d => d.Date).Distinct().Order(), days.Select(d => d.Date));
        Assert.Equal(new DateOnly(2026, 11, 24), days[^1].Date);
        Assert.All(days, d =>
        {
            Assert.Null(d.Time);
            Assert.Equal((Venue.Unified, KrxMarket.Kosdaq), (d.Venue, d.Market));
            Assert.Equal(d.ArbitrageCustomer + d.ArbitrageOwn, d.Arbitrage);
            Assert.Equal(d.NonArbitrageCustomer + d.NonArbitrageOwn, d.NonArbitrage);
            Assert.Equal(d.ArbitrageCustomer + d.NonArbitrageCustomer, d.Customer);
            Assert.Equal(d.Arbitrage.SellValue + d.NonArbitrage.SellValue, d.Total.SellValue);
            Assert.Equal(d.Total.BuyVolume - d.Total.SellVolume, d.Total.NetBuyVolume);
            Assert.True(d.Total.SellValue > 0, d.ToString());
        });

        await Assert.ThrowsAsync<ArgumentException>(() => rest.MarketProgramTradeDailyAsync(Venue.Krx, KrxMarket.Kospi, new DateOnly(2026, 11, 20), new DateOnly(2026, 11, 10), TestContext.Current.CancellationToken));
        KisApiException tooOld = await Assert.ThrowsAsync<KisApiException>(() => Pumped(rest.MarketProgramTradeDailyAsync(Venue.Krx, KrxMarket.Kospi, new DateOnly(2025, 1, 2), new DateOnly(2025, 1, 10), TestContext.Current.CancellationToken), time));
        Assert.Equal("OPSQ3002", tooOld.ErrorCode);
    }

    [Fact]
    public async Task Investor_rows_cover_the_market_seen_by_time_at_the_same_moment()
    {
        var time = new FakeTimeProvider(At);
        await using KisSimulator sim = await StartAsync(time);
        // Two clients with their own limiters (the token is shared through the cache file): each one's first call gets its
        // permit at once, so both are answered at the same frozen moment, whatever the stocks did since.
        using KisRestClient rest = Client(sim, time);
        using KisRestClient other = _kit.Client(sim, time, _kit.Rest with { RequestsPerSecond = 1000 }, shared: new KisFeed.Rest.RestShared());
        IReadOnlyList<InvestorProgramTradeRow> investors = await rest.InvestorProgramTradeTodayAsync(KrxMarket.Kospi, TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        IReadOnlyList<MarketProgramTradeRow> byTime = await other.MarketProgramTradeByTimeAsync(Venue.Krx, KrxMarket.Kospi, TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Equal(At, time.GetUtcNow());

        Assert.Contains(investors, i => i.InvestorCode == "9100");
        Assert.All(investors, i =>
        {
            Assert.Empty(i.Missing);
            Assert.Equal(i.Arbitrage + i.NonArbitrage, i.All);
            Assert.Equal(i.All.BuyValue - i.All.SellValue, i.All.NetBuyValue);
        });

        // 8888 (기관) is the sum of the institutions; without it the classes make up the whole market, which the by-time
        // call shows for the same (frozen) moment.
        InvestorProgramTradeRow[] classes = [.. investors.Where(i => i.InvestorCode != "8888")];
        MarketProgramTradeRow now = byTime[^1];
        Assert.Equal(now.Arbitrage.SellValue, classes.Sum(i => i.Arbitrage.SellValue));
        Assert.Equal(now.NonArbitrage.BuyValue, classes.Sum(i => i.NonArbitrage.BuyValue));
    }

    [Fact]
    public async Task Market_calls_go_through_the_app_keys_shared_limiter()
    {
        using CancellationTokenSource cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(60));
        var time = new FakeTimeProvider(At);
        await using KisSimulator sim = await StartAsync(time);
        var stamps = new StampingHandler(time);
        KisRestOptions paced = _kit.Rest with { RequestsPerSecond = 2 };
        using KisRestClient a = _kit.Client(sim, time, paced, stamps);
        using KisRestClient b = _kit.Client(sim, time, paced, stamps); // same app key: the same limiter
        await RestTestKit.PumpAsync(a.EnsureAccessTokenAsync(cts.Token), time, TimeSpan.FromMilliseconds(50), cts.Token);
        Task[] calls =
        [
            a.MarketProgramTradeByTimeAsync(Venue.Krx, KrxMarket.Kospi, cts.Token),
            b.MarketProgramTradeDailyAsync(Venue.Krx, KrxMarket.Kospi, cancellationToken: cts.Token),
            a.InvestorProgramTradeTodayAsync(KrxMarket.Kosdaq, cts.Token),
            b.MarketProgramTradeByTimeAsync(Venue.Nxt, KrxMarket.Kosdaq, cts.Token),
            a.HistoryAsync("005930", Venue.Krx, cts.Token),
            b.InvestorProgramTradeTodayAsync(KrxMarket.Kospi, cts.Token),
        ];
        await RestTestKit.PumpAsync(Task.WhenAll(calls).ContinueWith(_ => 0, TaskScheduler.Default), time, TimeSpan.FromMilliseconds(50), cts.Token);
        await Task.WhenAll(calls);

        List<DateTimeOffset> sent = [.. stamps.Sent.Where(s => s.Path.Contains("/quotations/", StringComparison.Ordinal)).Select(s => s.At).Order()];
        Assert.True(sent.Count >= 6, $"{sent.Count} calls"); // the history may take more than one page
        for (int i = 1; i < sent.Count; i++)
        {
            Assert.True(sent[i] - sent[i - 1] >= TimeSpan.FromMilliseconds(500), $"calls {i} and {i + 1} {(sent[i] - sent[i - 1]).TotalMilliseconds} ms apart at 2/s");
        }

        Assert.Equal(0, sim.RestRateLimited);
    }
}
