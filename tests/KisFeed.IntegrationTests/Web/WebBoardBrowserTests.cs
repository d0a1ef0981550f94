using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

using KisFeed.Cli;
using KisFeed.IntegrationTests.Client;
using KisFeed.Simulator;
using KisFeed.Storage;
using KisFeed.Web;

using Microsoft.Playwright;

namespace KisFeed.IntegrationTests.Web;

/// <summary>The <c>kisfeed serve</c> page in a real (headless Debian) Chromium, against the simulator.</summary>
public sealed class WebBoardBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static async Task WaitForAsync(IPage page, string condition, string what, double seconds = 15)
    {
        try
        {
            await page.WaitForFunctionAsync(condition, null, new PageWaitForFunctionOptions { Timeout = (float)(seconds * 1000), PollingInterval = 10 });
        }
        catch (TimeoutException)
        {
            Assert.Fail($"Timed out after {seconds} s waiting until {what} ({condition})");
        }
    }

    private static async Task<long> CellAsync(IPage page, string code, string field) =>
        long.Parse(await page.GetAttributeAsync($"tr[data-code='{code}'] td[data-field='{field}']", "data-value") ?? "nan", CultureInfo.InvariantCulture);

    private static string Matches(Dictionary<(Venue, string), (long Buy, long Sell, long Net)> last) =>
        string.Join(" && ", last.Select(kv =>
        {
            string v = kv.Key.Item1.ToString().ToLowerInvariant();
            string cell = $"document.querySelector(\"tr[data-code='{kv.Key.Item2}'] td[data-field='net-{v}']\")";
            return $"({cell}?.dataset.value === '{kv.Value.Net}')";
        }));

    [Fact]
    public async Task The_page_ranks_the_codes_draws_the_day_follows_a_new_record_and_switches_stock_and_venue()
    {
        using CancellationTokenSource deadline = ClientTestKit.Deadline(60);
        CancellationToken ct = deadline.Token;
        await using LiveBoard board = await LiveBoard.StartAsync(ct);
        for (int i = 0; i < 4; i++)
        {
            await board.PublishAsync(ct);
        }

        board.Host.Recorder!.Flush(); // so the day's curve (from DuckDB) holds them

        await using IBrowserContext context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
        IPage page = await context.NewPageAsync();
        await page.GotoAsync(board.Host.Url.ToString());
        await WaitForAsync(page, "window.__kisBoard?.ready === true && window.__kisBoard.chart.code === '005930'", "the page has its snapshot and the first stock's day");

        // The ranking lists the simulator's codes with the values of the last records it sent.
        Dictionary<(Venue, string), (long Buy, long Sell, long Net)> last = board.LastSent();
        Assert.Equal(LiveBoard.Codes.Length * 3, last.Count);
        await WaitForAsync(page, Matches(last), "every net cell equals the last record sent");
        foreach (((Venue venue, string code), (long buy, long sell, long net)) in last)
        {
            string v = venue.ToString().ToLowerInvariant();
            Assert.Equal(buy, await CellAsync(page, code, $"buy-{v}"));
            Assert.Equal(sell, await CellAsync(page, code, $"sell-{v}"));
            Assert.Equal(net, await CellAsync(page, code, $"net-{v}"));
        }

        string[] order = [.. await page.Locator("#ranking-body tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.code)")];
        Assert.Equal(LiveBoard.Codes.Order(StringComparer.Ordinal), order.Order(StringComparer.Ordinal));
        long[] nets = [.. await Task.WhenAll(order.Select(c => CellAsync(page, c, "net-unified")))];
        Assert.Equal(nets.OrderDescending(), nets); // default sort: net buy value (unified), largest first

        // The chart drew the recorded day of the selected stock, ending at its last record.
        JsonElement chart = await page.EvaluateAsync<JsonElement>("window.__kisBoard.chart");
        Assert.True(chart.GetProperty("points").GetProperty("krx").GetInt32() > 0, chart.ToString());
        Assert.Equal(last[(Venue.Krx, "005930")].Net, chart.GetProperty("lastNet").GetProperty("krx").GetInt64());
        Assert.Equal(1, await page.Locator("#chart canvas").CountAsync() > 0 ? 1 : 0);

        // A new record moves the row and the chart within a second.
        int updatesBefore = chart.GetProperty("updates").GetInt32();
        var clock = Stopwatch.StartNew();
        await board.PublishAsync(ct);
        last = board.LastSent();
        long newNet = last[(Venue.Krx, "005930")].Net;
        await WaitForAsync(page, $"{Matches(last)} && window.__kisBoard.chart.lastNet.krx === {newNet} && window.__kisBoard.chart.updates > {updatesBefore}",
            "the new record reached the row and the chart", seconds: 1);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed.TotalMilliseconds:N0} ms");

        // Pick another stock, then a venue.
        await page.ClickAsync("tr[data-code='000660']");
        await WaitForAsync(page, "window.__kisBoard.chart.code === '000660' && window.__kisBoard.chart.points.nxt > 0", "the chart shows 000660");
        Assert.Contains("000660", await page.TextContentAsync("#chart-title"), StringComparison.Ordinal);
        Assert.Equal("true", await page.GetAttributeAsync("tr[data-code='000660']", "class") is { } cls && cls.Contains("selected", StringComparison.Ordinal) ? "true" : "false");
        await page.ClickAsync("#venues button[data-venue='nxt']");
        Assert.Equal("nxt", await page.EvaluateAsync<string>("window.__kisBoard.chart.venue"));
        Assert.Equal("true", await page.GetAttributeAsync("#venues button[data-venue='nxt']", "aria-pressed"));
        Assert.Equal("false", await page.GetAttributeAsync("#venues button[data-venue='all']", "aria-pressed"));

        // A header click sorts by another column.
        await page.ClickAsync("th[data-sort='name']");
        Assert.Equal("ascending", await page.GetAttributeAsync("th[data-sort='name']", "aria-sort"));
    }

    [Fact]
    public async Task When_the_feed_is_cut_the_status_strip_shows_the_reconnect_and_the_gap_and_the_line_breaks()
    {
        using CancellationTokenSource deadline = ClientTestKit.Deadline(60);
        CancellationToken ct = deadline.Token;
        await using LiveBoard board = await LiveBoard.StartAsync(ct);
        await board.PublishAsync(ct);
        await board.PublishAsync(ct);

        await using IBrowserContext context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 390, Height = 844 } });
        IPage page = await context.NewPageAsync();
        await page.GotoAsync(board.Host.Url.ToString());
        await WaitForAsync(page, "window.__kisBoard?.ready === true && window.__kisBoard.status?.state === 'Connected'", "the page is connected");
        Assert.Equal("0", await page.TextContentAsync("#st-reconnects"));
        Assert.Equal("0", await page.TextContentAsync("#st-gaps"));
        Assert.Contains("SIMULATED", await page.TextContentAsync("#st-mode"), StringComparison.Ordinal);

        await board.Sim.DropAllSessionsAsync(DropMode.Abort);
        await WaitForAsync(page, "document.getElementById('st-reconnects').textContent === '1' && document.getElementById('st-gaps').textContent === '1'",
            "the status strip shows one reconnect and one gap");
        await WaitForAsync(page, "document.getElementById('st-state').dataset.state === 'Connected'", "connected again");
        await board.PublishAsync(ct);
        await WaitForAsync(page, "window.__kisBoard.chart.breaks > 0", "the chart shows the gap as a break in the line");
    }

    [Fact]
    public async Task A_replayed_day_marks_its_healed_gap_and_breaks_the_line_at_the_one_still_missing()
    {
        using CancellationTokenSource deadline = ClientTestKit.Deadline(60);
        CancellationToken ct = deadline.Token;
        using KisFeed.TestKit.TempDirectory dir = new("kisfeed-web-replay-");
        string path = dir.File("day.duckdb");
        DateOnly day = new(2026, 11, 24);
        DateTimeOffset At(int minute) => new(day.ToDateTime(new TimeOnly(9, minute)), TimeSpan.FromHours(9));
        Registration krx = new(Venue.Krx, "005930");
        List<FeedItem> feed = [];
        long buy = 0;
        for (DateTimeOffset at = At(0); at < At(20); at = at.AddSeconds(10))
        {
            if (at >= At(12) && at < At(13))
            {
                continue; // the gap nothing healed
            }

            buy += 1_000;
            bool healed = at >= At(5) && at < At(6); // the gap REST filled
            feed.Add(FeedItem.FromTrade(new ProgramTrade(Venue.Krx, "005930", day, TimeOnly.FromTimeSpan(at.TimeOfDay), 0, 0, buy, buy * 70_000, buy, buy * 70_000,
                0, 0, 0, at, Source: healed ? TradeSource.Rest : TradeSource.WebSocket)));
        }

        feed.Add(FeedItem.FromGap(new DataGap(1, At(5), At(6), [krx], "reconnect")));
        feed.Add(FeedItem.FromHealing(new GapHealingReport(1, krx, GapHealing.Healed, 6, null, null, "REST covered it")));
        feed.Add(FeedItem.FromGap(new DataGap(2, At(12), At(13), [krx], "reconnect")));
        feed.Add(FeedItem.FromHealing(new GapHealingReport(2, krx, GapHealing.NotHealed, 0, At(12), At(13), "no REST credentials")));
        await using (ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(path))
        {
            await recorder.RecordAsync(feed.ToAsyncEnumerable(), ct);
        }

        await using ServeHost host = await ServeHost.StartReplayAsync(path, null, WebBoardOptions.Default with { Port = 0 }, ct);
        await using IBrowserContext context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
        IPage page = await context.NewPageAsync();
        await page.GotoAsync(host.Url.ToString());
        await WaitForAsync(page, "window.__kisBoard?.ready === true && window.__kisBoard.chart.code === '005930' && window.__kisBoard.chart.points.krx > 0",
            "the replayed day is drawn");
        await WaitForAsync(page, "window.__kisBoard.chart.healedMarks === 1 && window.__kisBoard.chart.breaks === 1",
            "one healed mark (09:05) and one break (09:12) on the KRX line");
        Assert.Contains("REPLAY", await page.TextContentAsync("#st-mode"), StringComparison.Ordinal);
        Assert.Equal("2", await page.TextContentAsync("#st-gaps"));
    }
}
