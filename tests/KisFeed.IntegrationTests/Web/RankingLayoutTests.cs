using System.Text.Json;

using KisFeed.IntegrationTests.Client;

using Microsoft.Playwright;

using static KisFeed.IntegrationTests.Web.PageChecks;

namespace KisFeed.IntegrationTests.Web;

/// <summary>
/// The web ranking fits (issue 19, item 4): at 1280×800 every key column, at 390×844 name, price, net and Δ5m, each
/// header and cell inside the viewport, none overlapping, no sideways scroll; the pinned header stays on top; the time
/// axis never repeats a label; the chart's attribution sits outside the chart.
/// </summary>
public sealed class RankingLayoutTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static readonly string[] Wide = ["name", "price", "chg", "net-unified", "net-krx", "net-nxt", "d1", "d5"];
    private static readonly string[] Phone = ["name", "price", "net-unified", "d5"];

    [Theory]
    [InlineData(1280, 800)]
    [InlineData(390, 844)]
    public async Task The_key_columns_are_inside_the_window_without_overlap_or_sideways_scroll(int width, int height)
    {
        using CancellationTokenSource deadline = ClientTestKit.Deadline(90);
        CancellationToken ct = deadline.Token;
        await using LiveBoard board = await LiveBoard.StartAsync(ct);
        for (int i = 0; i < 3; i++)
        {
            await board.PublishAsync(ct);
        }

        board.Host.Recorder!.Flush();
        await using IBrowserContext context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        IPage page = await context.NewPageAsync();
        await page.GotoAsync(board.Host.Url.ToString());
        await WaitForAsync(page, "window.__kisBoard?.ready === true && document.querySelectorAll('#ranking-body tr td[data-field=\"net-unified\"][data-value]').length === 3", "the ranking's rows");
        await WaitForAsync(page, "document.querySelectorAll('#ranking-body tr td[data-field=\"price\"][data-value]').length === 3", "every row's price");

        string[] keys = width >= 1000 ? Wide : Phone;
        // The page's ranking is scrolled into view as a person would (on a phone it is under the chart).
        await page.Locator("#ranking").ScrollIntoViewIfNeededAsync();
        JsonElement scroll = await page.EvaluateAsync<JsonElement>(
            "() => { const w = document.querySelector('.table-wrap'); return { wrap: w.scrollWidth - w.clientWidth, page: document.documentElement.scrollWidth - window.innerWidth }; }");
        Assert.True(scroll.GetProperty("wrap").GetDouble() <= 1, $"the ranking scrolls sideways by {scroll.GetProperty("wrap")} px at {width}×{height}");
        Assert.True(scroll.GetProperty("page").GetDouble() <= 1, $"the page scrolls sideways by {scroll.GetProperty("page")} px at {width}×{height}");

        List<(string Key, LocatorBoundingBoxResult Head, LocatorBoundingBoxResult Cell)> boxes = [];
        foreach (string key in keys)
        {
            LocatorBoundingBoxResult head = await AssertInViewportAsync(page, $"#ranking-head th[data-sort='{key}']", $"the {key} header at {width}×{height}");
            LocatorBoundingBoxResult cell = await AssertInViewportAsync(page, $"#ranking-body tr:first-child td[data-field='{key}']", $"the first row's {key} cell at {width}×{height}");
            Assert.False(string.IsNullOrWhiteSpace(await page.InnerTextAsync($"#ranking-body tr:first-child td[data-field='{key}']")), $"the {key} cell is empty");
            Assert.True(Math.Abs((head.X + head.Width) - (cell.X + cell.Width)) < 1.5, $"{key}: header {Describe(head)} and cell {Describe(cell)} are not one column");
            boxes.Add((key, head, cell));
        }

        for (int i = 0; i < boxes.Count; i++)
        {
            for (int j = i + 1; j < boxes.Count; j++)
            {
                Assert.False(Overlap(boxes[i].Head, boxes[j].Head), $"headers {boxes[i].Key} {Describe(boxes[i].Head)} and {boxes[j].Key} {Describe(boxes[j].Head)} overlap");
                Assert.False(Overlap(boxes[i].Cell, boxes[j].Cell), $"cells {boxes[i].Key} and {boxes[j].Key} overlap");
            }
        }

        // The header stays pinned over the rows when the table scrolls (a short pane forces a scroll with 3 rows).
        await page.AddStyleTagAsync(new PageAddStyleTagOptions { Content = ".table-wrap { max-height: 70px !important; }" });
        await page.EvaluateAsync("() => { document.querySelector('.table-wrap').scrollTop = 30; }");
        await WaitForAsync(page, "document.querySelector('.table-wrap').scrollTop > 0", "the table scrolled");
        float wrapTop = (await page.Locator(".table-wrap").BoundingBoxAsync())!.Y;
        foreach (string key in keys)
        {
            LocatorBoundingBoxResult head = await AssertInViewportAsync(page, $"#ranking-head th[data-sort='{key}']", $"the pinned {key} header after scrolling");
            Assert.True(Math.Abs(head.Y - wrapTop) < 2, $"the {key} header left the top ({head.Y} vs {wrapTop})");
        }
    }

    [Fact]
    public async Task The_time_axis_repeats_no_label_and_the_attribution_is_not_on_the_chart()
    {
        using CancellationTokenSource deadline = ClientTestKit.Deadline(90);
        CancellationToken ct = deadline.Token;
        // Seeded with the day so far, so the axis spans hours whatever the time of day (a few live seconds alone may
        // draw a single label, and then there is nothing to compare).
        await using LiveBoard board = await LiveBoard.StartAsync(ct, new FeedOptions { FromStartOfDay = true });
        await ClientTestKit.WaitUntilAsync(() => board.Host.Recorder!.Statistics.RecordsWritten > 0, ct, "the day so far recorded");
        for (int i = 0; i < 4; i++)
        {
            await board.PublishAsync(ct);
        }

        board.Host.Recorder!.Flush();
        foreach ((int width, int height) in Sizes)
        {
            await using IBrowserContext context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
            IPage page = await context.NewPageAsync();
            await page.GotoAsync(board.Host.Url.ToString());
            await WaitForAsync(page, "window.__kisBoard?.ready === true && Object.keys(window.__kisBoard.chart.axisLabels).length >= 2", "the chart drew its time axis", seconds: 45);
            // Zoom in and out so the axis is drawn at several scales (ticks of minutes and of seconds).
            await page.Locator("#chart").HoverAsync();
            for (int i = 0; i < 6; i++)
            {
                await page.Mouse.WheelAsync(0, i < 3 ? -400 : 800);
                await page.EvaluateAsync("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"); // the chart repainted
            }

            Dictionary<string, string> labels = (await page.EvaluateAsync<JsonElement>("window.__kisBoard.chart.axisLabels"))
                .EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
            foreach (IGrouping<string, string> same in labels.GroupBy(kv => kv.Value, kv => kv.Key))
            {
                Assert.True(same.Count() == 1, $"at {width}×{height} the label '{same.Key}' stands for {same.Count()} times: {string.Join(", ", same)}");
            }

            Assert.Equal(0, await page.Locator("#chart a").CountAsync()); // no logo link on the chart's panes
            LocatorBoundingBoxResult chart = (await page.Locator("#chart").BoundingBoxAsync())!;
            ILocator attribution = page.Locator("#chart-attribution a");
            Assert.True(await attribution.IsVisibleAsync(), "the chart's attribution is not visible");
            Assert.Contains("TradingView", await attribution.InnerTextAsync(), StringComparison.Ordinal);
            LocatorBoundingBoxResult at = (await attribution.BoundingBoxAsync())!;
            Assert.False(Overlap(chart, at), $"the attribution {Describe(at)} lies on the chart {Describe(chart)}");
        }
    }

    private static bool Overlap(LocatorBoundingBoxResult a, LocatorBoundingBoxResult b) =>
        a.X + a.Width - 0.5 > b.X && b.X + b.Width - 0.5 > a.X && a.Y + a.Height - 0.5 > b.Y && b.Y + b.Height - 0.5 > a.Y;
}
