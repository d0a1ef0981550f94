using System.Globalization;
using System.Text.Json;

using KisFeed.Cli;

using KisFeed.IntegrationTests.Client;
using KisFeed.IntegrationTests.Rest;
using KisFeed.IntegrationTests.Simulator;
using KisFeed.Simulator;
using KisFeed.Storage;
using KisFeed.TestKit;
using KisFeed.Web;

using Microsoft.Playwright;

using Spectre.Console.Testing;

namespace KisFeed.IntegrationTests.Web;

/// <summary>
/// The board's price from REST inquire-price (<see cref="RestPriceSource"/>, FHKST01010100): the simulator's
/// <c>stck_prpr</c> in the ranking's price column, the chart's price line and the terminal board, paced.
/// </summary>
public sealed class RestPriceTests(BrowserFixture browser) : IClassFixture<BrowserFixture>, IDisposable
{
    private readonly RestTestKit _kit = new();

    public void Dispose() => _kit.Dispose();

    /// <summary>The simulator's price of <paramref name="code"/> (its truth) at each second in [from, to].</summary>
    private static HashSet<long> TruthBetween(KisFeed.Simulator.SimulatedMarket market, string code, DateTimeOffset from, DateTimeOffset to)
    {
        HashSet<long> prices = [];
        for (DateTimeOffset t = from.AddSeconds(-1); t <= to.AddSeconds(1); t = t.AddMilliseconds(500))
        {
            prices.Add(market.StateAt(code, SimulatorVenue.Krx, t).Price);
        }

        return prices;
    }

    [Fact]
    public async Task The_pages_price_column_and_price_line_are_the_simulators_inquire_price_stck_prpr_named_in_words()
    {
        using CancellationTokenSource deadline = ClientTestKit.Deadline(90);
        CancellationToken ct = deadline.Token;
        await using LiveBoard board = await LiveBoard.StartAsync(ct);
        RestPriceSource prices = Assert.IsType<RestPriceSource>(board.Host.Prices);
        await ClientTestKit.WaitUntilAsync(() => LiveBoard.Codes.All(c => prices.Get(c) is not null), ct, "a REST price for every code");
        await board.PublishAsync(ct);
        board.Host.Recorder!.Flush();

        await using IBrowserContext context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
        IPage page = await context.NewPageAsync();
        await page.GotoAsync(board.Host.Url.ToString());
        await PageChecks.WaitForAsync(page, "window.__kisBoard?.ready === true && window.__kisBoard.chart.code === '005930'", "the page and the first stock's day");

        foreach (string code in LiveBoard.Codes)
        {
            // The price the page shows is the one the source read, and that is the simulator's stck_prpr of its moment.
            await PageChecks.WaitForAsync(page, $"document.querySelector(\"tr[data-code='{code}'] td[data-field='price']\")?.dataset.value === '{prices.Get(code)!.Value.Price}' || " +
                $"document.querySelector(\"tr[data-code='{code}'] td[data-field='price']\")?.dataset.value === String({prices.Get(code)!.Value.Price})", $"the price of {code}");
            long shown = long.Parse(await page.GetAttributeAsync($"tr[data-code='{code}'] td[data-field='price']", "data-value") ?? "0", CultureInfo.InvariantCulture);
            PriceSample sample = prices.Samples(code).Last(s => s.Price == shown);
            Assert.Contains(shown, TruthBetween(board.Sim.Market, code, sample.At.AddSeconds(-2), sample.At));
            Assert.True(KrxTicks.IsOnGrid(shown), $"{shown} is off the KRX tick grid (an average, not a price)");
            string text = await page.InnerTextAsync($"tr[data-code='{code}'] td[data-field='price']");
            Assert.Equal(shown.ToString("N0", CultureInfo.InvariantCulture), text);
        }

        // The chart's price line is the source's prices too (the derived average is gone).
        JsonElement chart = await page.EvaluateAsync<JsonElement>("window.__kisBoard.chart");
        Assert.True(chart.GetProperty("pricePoints").GetInt32() >= 1, chart.ToString());
        Assert.Contains(chart.GetProperty("lastPrice").GetInt64(), prices.Samples("005930").Select(s => s.Price));
        using var http = new HttpClient { BaseAddress = board.Host.Url };
        using JsonDocument day = JsonDocument.Parse(await http.GetStringAsync("api/day?code=005930", ct));
        Assert.All(day.RootElement.GetProperty("price").EnumerateArray(), p => Assert.Contains(p.GetProperty("price").GetInt64(), prices.Samples("005930").Select(s => s.Price)));
        Assert.False(day.RootElement.GetProperty("curve").GetProperty("krx")[0].TryGetProperty("price", out _), "no derived price in the curve");

        // The source in words, never a class name.
        string note = await page.InnerTextAsync("#price-note");
        Assert.Contains("inquire-price", note, StringComparison.Ordinal);
        Assert.Contains("stck_prpr", note, StringComparison.Ordinal);
        Assert.Contains("simulator", note, StringComparison.Ordinal);
        string all = await page.InnerTextAsync("body");
        Assert.DoesNotContain("PriceSource", all, StringComparison.Ordinal);
        Assert.DoesNotContain("avg", all, StringComparison.OrdinalIgnoreCase);

        // Every price read is kept in the recording (table prices), so a replay of the file has the same price line.
        board.Host.Recorder.Flush();
        using ProgramTradeQueries recorded = board.Host.Recorder.OpenQueries();
        foreach (string code in LiveBoard.Codes)
        {
            long[] read = [.. prices.Samples(code).Select(s => s.Price)];
            long[] kept = [.. (await recorded.PricesAsync(KoreaTime.Today(), code, ct)).Select(p => p.Price)];
            Assert.True(kept.Length >= 1, $"no price of {code} in the recording");
            Assert.Equal(read.Take(kept.Length), kept); // in order; the source may have read more since the flush
            Assert.Equal(prices.Get(code)!.Value.Reference, (await recorded.LatestPricesAsync(KoreaTime.Today(), ct)).Single(p => p.Code == code).PreviousClose);
        }
    }

    [Fact]
    public async Task The_terminal_boards_price_column_is_the_simulators_inquire_price()
    {
        var terminal = new TestConsole();
        terminal.Profile.Width = 120;
        terminal.Profile.Height = 30;
        var console = new CliConsole(terminal, new StringWriter(), new StringWriter(), IsTerminal: true, _ => null);
        DateTimeOffset started = DateTimeOffset.UtcNow;
        int exit = await CliApp.RunAsync(["watch", "005930", "000660", "--venue", "krx", "--duration", "12s"], console, TestContext.Current.CancellationToken);
        DateTimeOffset ended = DateTimeOffset.UtcNow;
        Assert.True(exit == 0, console.Error.ToString() + terminal.Output);
        string last = terminal.Output[terminal.Output.LastIndexOf('╭')..];
        string[] lines = last.Split('\n');
        string header = Assert.Single(lines, l => l.Contains("가격", StringComparison.Ordinal));
        Assert.Contains("등락%", header, StringComparison.Ordinal);

        // The demo's market is a function of its seed and the time: its truth over the run holds the price shown.
        var market = KisFeed.Simulator.SimulatedMarket.Create(SimulatorOptions.Demo with { UpdatesPerSecond = 2 });
        foreach (string code in new[] { "005930", "000660" })
        {
            string name = BoardNames.Default.Of(code) ?? code;
            string row = Assert.Single(lines, l => l.Contains(name, StringComparison.Ordinal) || l.Contains(code, StringComparison.Ordinal));
            HashSet<long> truth = TruthBetween(market, code, started, ended);
            long[] numbers = [.. System.Text.RegularExpressions.Regex.Matches(row, @"\d{1,3}(,\d{3})+|\d{4,}").Select(m => long.Parse(m.Value.Replace(",", string.Empty, StringComparison.Ordinal), CultureInfo.InvariantCulture))];
            Assert.True(numbers.Any(truth.Contains), $"{code}: no price of the simulator ({string.Join(", ", truth)}) in the row: {row}\n{console.Error}");
        }
    }

    [Fact]
    public async Task With_the_day_so_far_the_price_line_starts_with_the_REST_rows_stck_prpr_and_every_price_is_reported_for_the_recording()
    {
        using CancellationTokenSource deadline = ClientTestKit.Deadline(60);
        CancellationToken ct = deadline.Token;
        var time = new ManualTime(SimulatorRestTests.T0); // 10:00 KST on a trading day: an hour of KRX so far
        await using KisSimulator sim = await KisSimulator.StartAsync(SimTestKit.Quiet with { TimeProvider = time }, ct);
        using KisRestClient rest = _kit.Client(sim, time);

        var sampled = new System.Collections.Concurrent.ConcurrentQueue<(string Code, PriceSample Sample, long? Reference)>();
        await using var prices = new RestPriceSource(rest, ["005930"], Venue.Krx, refresh: TimeSpan.FromSeconds(30), time: time, dayHistory: true);
        prices.Sampled += (code, sample, reference) => sampled.Enqueue((code, sample, reference));
        prices.Start();
        // The history's pages and the quote go through the key's limiter, which runs on this clock: move it along.
        while (prices.Answers < 1)
        {
            ct.ThrowIfCancellationRequested();
            time.Advance(TimeSpan.FromMilliseconds(50));
            await Task.Delay(5, ct);
        }

        // The line: the day's history rows at their own times, then the quote; all on the simulator's price path.
        IReadOnlyList<PriceSample> line = prices.Samples("005930");
        PriceSample[] history = [.. line.SkipLast(1)];
        Assert.True(history.Length > 10, $"the day so far on the line ({history.Length} prices)");
        Assert.True(line.Zip(line.Skip(1)).All(p => p.First.At <= p.Second.At), "in time order");
        foreach (PriceSample p in history)
        {
            Assert.Contains(p.Price, TruthBetween(sim.Market, "005930", p.At, p.At));
        }

        IReadOnlyList<ProgramTradeHistoryRow> rows = await rest.HistoryAsync("005930", Venue.Krx, ct);
        Assert.Equal(rows.Where(r => r.Timestamp <= history[^1].At).Select(r => (r.Timestamp, r.Price)), history.Select(p => (p.At, p.Price)));

        // Every price went to Sampled, with its previous close.
        Assert.Equal(line.Select(p => p.Price), sampled.Select(s => s.Sample.Price));
        long reference = prices.Get("005930")!.Value.Reference!.Value;
        Assert.All(sampled, s => Assert.Equal(reference, s.Reference));
    }

    [Fact]
    public async Task Codes_are_asked_one_at_a_time_spread_over_the_refresh_period()
    {
        using CancellationTokenSource deadline = ClientTestKit.Deadline(60);
        CancellationToken ct = deadline.Token;
        var time = new ManualTime(SimulatorRestTests.T0);
        await using KisSimulator sim = await KisSimulator.StartAsync(SimTestKit.Quiet with { TimeProvider = time }, ct);
        using KisRestClient rest = _kit.Client(sim, time);
        string[] codes = ["005930", "000660", "035420"];
        await using var prices = new RestPriceSource(rest, codes, Venue.Krx, refresh: TimeSpan.FromSeconds(30), time: time);
        DateTimeOffset started = time.GetUtcNow();
        TimeSpan step = TimeSpan.FromSeconds(10); // 30 s / 3 codes
        prices.Start();

        // Each answer comes one step after the previous one, never sooner: no burst. The clock moves only once the
        // source waits on its step timer, so however slow the machine, the figures are exact.
        for (int n = 1; n <= 4; n++)
        {
            await Wait.UntilAsync(() => prices.Answers >= n, ct, $"answer {n}");
            Assert.Equal(n, prices.Answers);
            Assert.Equal(n, rest.CallsMade);
            Assert.Equal(step * (n - 1), time.GetUtcNow() - started);
            if (n == 4)
            {
                break;
            }

            await time.WaitForTimerAsync(step, ct, since: time.GetUtcNow());
            time.Advance(step - TimeSpan.FromMilliseconds(100));
            await Task.Yield();
            Assert.Equal(n, rest.CallsMade); // not before the step is up
            time.Advance(TimeSpan.FromMilliseconds(100));
        }

        Assert.All(codes, c => Assert.Equal(prices.Label, prices.Get(c)!.Value.Source));
        Assert.Contains("inquire-price", prices.Label, StringComparison.Ordinal);
        Assert.Equal(0, prices.Failures);
    }
}
