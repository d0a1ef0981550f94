using KisFeed.Simulator;

using Microsoft.Extensions.Time.Testing;

using SimVenue = KisFeed.Simulator.Venue;

namespace KisFeed.IntegrationTests.Rest;

/// <summary>
/// The client follows KIS's continuation (<c>tr_cont</c> F/M, next page asked with <c>tr_cont: N</c>) on the simulator:
/// a window of two hours served 50 rows a page comes back whole, once, oldest first, one call per page, each through the
/// limiter; the page cap bounds it.
/// </summary>
public sealed class RestPagingTests : IDisposable
{
    // Tuesday 2026-11-24 13:00 KST: a stock first seen now has a history every 10 s since 09:00.
    private static readonly DateTimeOffset At1300 = new(2026, 11, 24, 4, 0, 0, TimeSpan.Zero);

    private readonly RestTestKit _kit = new();

    public void Dispose() => _kit.Dispose();

    [Fact]
    public async Task HistoryAsync_follows_the_pages_and_returns_every_row_once_oldest_first()
    {
        using CancellationTokenSource cts = Client.ClientTestKit.Deadline(60);
        var time = new FakeTimeProvider(At1300);
        await using KisSimulator sim = await StartAsync(time);
        var held = sim.MarketHistory(SimVenue.Krx, "005930").Where(p => p.Second >= At1300 - TimeSpan.FromHours(2)).ToList();
        Assert.InRange(held.Count, 700, 730); // two hours, a point every 10 s
        using var stamps = new StampingHandler(time);
        using KisRestClient client = _kit.Client(sim, time, handler: stamps);

        IReadOnlyList<ProgramTradeHistoryRow> rows = await RestTestKit.PumpAsync(client.HistoryAsync("005930", Venue.Krx, cts.Token), time, TimeSpan.FromMilliseconds(20), cts.Token);

        int pages = (held.Count + 49) / 50;
        Assert.Equal(pages, client.CallsMade);
        Assert.Equal(pages, sim.RestCalls);
        Assert.Equal(0, sim.RestRateLimited);
        Assert.Equal(held.Select(p => p.Second), rows.Select(r => r.Timestamp));
        Assert.Equal(held.Select(p => (p.SellQty, p.SellValue, p.BuyQty, p.BuyValue)), rows.Select(r => (r.SellVolume, r.SellValue, r.BuyVolume, r.BuyValue)));

        // Each page went through the shared limiter (18/s): the calls are spread, not a burst.
        var sent = stamps.Sent.Where(s => s.Path.Contains("program-trade", StringComparison.Ordinal)).Select(s => s.At).ToList();
        Assert.Equal(pages, sent.Count);
        Assert.True(sent[^1] - sent[0] >= TimeSpan.FromSeconds((pages - 1) / 18.0) - TimeSpan.FromMilliseconds(25), $"{pages} calls within {sent[^1] - sent[0]}");
    }

    [Fact]
    public async Task Two_callers_paging_the_same_stock_at_once_each_get_every_row()
    {
        // tr_cont N means "the next page of this request", kept per app key and query: two interleaved pagers (a seed
        // and a board's price history) would split the pages between them. The client pages one of them at a time.
        using CancellationTokenSource cts = Client.ClientTestKit.Deadline(60);
        var time = new FakeTimeProvider(At1300);
        await using KisSimulator sim = await StartAsync(time);
        var held = sim.MarketHistory(SimVenue.Krx, "005930").Where(p => p.Second >= At1300 - TimeSpan.FromHours(2)).ToList();
        using KisRestClient client = _kit.Client(sim, time);
        using KisRestClient other = _kit.Client(sim, time); // the same app key: as the seed's client and a board's

        Task<IReadOnlyList<ProgramTradeHistoryRow>> first = client.HistoryAsync("005930", Venue.Krx, cts.Token);
        Task<IReadOnlyList<ProgramTradeHistoryRow>> second = other.HistoryAsync("005930", Venue.Krx, cts.Token);
        Task<IReadOnlyList<ProgramTradeHistoryRow>> third = client.HistoryAsync("005930", Venue.Krx, cts.Token);
        IReadOnlyList<ProgramTradeHistoryRow>[] all = await RestTestKit.PumpAsync(Task.WhenAll(first, second, third), time, TimeSpan.FromMilliseconds(20), cts.Token);

        Assert.All(all, rows => Assert.Equal(held.Select(p => p.Second), rows.Select(r => r.Timestamp)));
        Assert.Equal(3 * ((held.Count + 49) / 50), client.CallsMade + other.CallsMade);
    }

    [Fact]
    public async Task The_page_cap_bounds_the_calls_and_keeps_the_newest_rows()
    {
        using CancellationTokenSource cts = Client.ClientTestKit.Deadline(60);
        var time = new FakeTimeProvider(At1300);
        await using KisSimulator sim = await StartAsync(time);
        var held = sim.MarketHistory(SimVenue.Krx, "005930").Where(p => p.Second >= At1300 - TimeSpan.FromHours(2)).ToList();
        using KisRestClient client = _kit.Client(sim, time, _kit.Rest with { MaxHistoryPages = 3 });

        IReadOnlyList<ProgramTradeHistoryRow> rows = await RestTestKit.PumpAsync(client.HistoryAsync("005930", Venue.Krx, cts.Token), time, TimeSpan.FromMilliseconds(20), cts.Token);

        Assert.Equal(3, client.CallsMade);
        Assert.Equal(held.TakeLast(150).Select(p => p.Second), rows.Select(r => r.Timestamp));
    }

    [Fact]
    public async Task Paging_stops_once_a_page_reaches_back_to_the_time_asked_for()
    {
        using CancellationTokenSource cts = Client.ClientTestKit.Deadline(60);
        var time = new FakeTimeProvider(At1300);
        await using KisSimulator sim = await StartAsync(time);
        var held = sim.MarketHistory(SimVenue.Krx, "005930").Where(p => p.Second >= At1300 - TimeSpan.FromHours(2)).ToList();
        using KisRestClient client = _kit.Client(sim, time);

        // The 120th newest point lies on the third page (rows 100–149 newest first).
        DateTimeOffset since = held[^120].Second;
        IReadOnlyList<ProgramTradeHistoryRow> rows = await RestTestKit.PumpAsync(client.HistoryAsync("005930", Venue.Krx, since, cts.Token), time, TimeSpan.FromMilliseconds(20), cts.Token);

        Assert.Equal(3, client.CallsMade);
        Assert.Equal(held.TakeLast(150).Select(p => p.Second), rows.Select(r => r.Timestamp));
    }

    private static Task<KisSimulator> StartAsync(FakeTimeProvider time) =>
        KisSimulator.StartAsync(Simulator.SimTestKit.Quiet with
        {
            TimeProvider = time,
            Hours = MarketHours.Real,
            Rest = SimulatorRestOptions.Default with { PageSize = 50, HistoryDepth = TimeSpan.FromHours(2) },
        }, TestContext.Current.CancellationToken);
}
