using System.Globalization;
using System.Text.Json;

using KisFeed.Cli;
using KisFeed.IntegrationTests.Nats;
using KisFeed.Simulator;
using KisFeed.Storage;
using KisFeed.TestKit;
using KisFeed.Web;

using Microsoft.Playwright;

using static KisFeed.IntegrationTests.Web.PageChecks;

namespace KisFeed.IntegrationTests.Web;

/// <summary>
/// A replayed day has a real price: <c>generate</c> keeps the simulator's inquire-price path with the records, and
/// <c>serve --replay</c> shows it as the price column and the chart's price line, named as recorded.
/// </summary>
public sealed class ReplayPriceTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static readonly DateOnly Day = new(2026, 11, 24);

    [Fact]
    public async Task A_generated_days_replay_shows_the_simulators_price_path_on_the_tick_grid_as_its_price()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(180);
        CancellationToken ct = deadline.Token;
        using var dir = new TempDirectory();
        string db = Path.Combine(dir.Path, "day.duckdb");
        (int exit, _, string stderr) = await SimulatedSourceTests.CliAsync(ct, "generate", "--db", db, "--records", "20000", "--date", "2026-11-24", "--codes", "005930", "000660", "--seed", "5");
        Assert.True(exit == 0, stderr);

        // The file holds the simulator's price path: the same function of (seed, code, date, second).
        SimulatedPrice[] truth = [.. SimulatedDay.Prices(Day, ["005930"], 5)];
        Assert.True(truth.Length > 20, $"a price that moves through the day ({truth.Length} prices)");
        using (ProgramTradeQueries q = ProgramTradeQueries.Open(db))
        {
            IReadOnlyList<RecordedPrice> kept = await q.PricesAsync(Day, "005930", ct);
            Assert.Equal(truth.Select(t => (TimeOnly.FromTimeSpan(t.At.TimeOfDay), t.Price)), kept.Select(k => (k.Time, k.Price)));
            Assert.All(kept, k => Assert.True(KrxTicks.IsOnGrid(k.Price), $"{k.Price} at {k.Time} is off the tick grid"));
            Assert.All(kept, k => Assert.Equal(truth[0].PreviousClose, k.PreviousClose));
        }

        await using ServeHost host = await ServeHost.StartReplayAsync(db, null, WebBoardOptions.Default with { Port = 0 }, ct);
        using var http = new HttpClient { BaseAddress = host.Url };
        using JsonDocument meta = JsonDocument.Parse(await http.GetStringAsync("api/meta", ct));
        string label = meta.RootElement.GetProperty("priceSource").GetString()!;
        Assert.Contains("recorded", label, StringComparison.Ordinal);
        Assert.Contains("simulator", label, StringComparison.Ordinal);

        using JsonDocument dayDoc = JsonDocument.Parse(await http.GetStringAsync("api/day?code=005930", ct));
        long[] line = [.. dayDoc.RootElement.GetProperty("price").EnumerateArray().Select(p => p.GetProperty("price").GetInt64())];
        Assert.Equal(truth.Select(t => t.Price), line);

        long last = truth[^1].Price;
        double change = (last - truth[^1].PreviousClose) * 100.0 / truth[^1].PreviousClose;
        foreach ((int width, int height) in Sizes)
        {
            await using IBrowserContext context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
            IPage page = await context.NewPageAsync();
            await page.GotoAsync(host.Url.ToString());
            await WaitForAsync(page, "window.__kisBoard?.ready === true", $"the replay page at {width}×{height}");
            string cell = "tr[data-code='005930'] td[data-field='price']";
            await WaitForAsync(page, $"document.querySelector(\"{cell}\")?.dataset.value === '{last}'", $"the price of 005930 at {width}×{height}");
            Assert.Equal(last.ToString("N0", CultureInfo.InvariantCulture), (await page.InnerTextAsync(cell)).Trim());
            await AssertInViewportAsync(page, cell, $"the price column at {width}×{height}");
            if (width >= 1280)
            {
                string chg = "tr[data-code='005930'] td[data-field='chg']";
                Assert.Equal(change.ToString("+0.00;-0.00;0.00", CultureInfo.InvariantCulture) + "%", (await page.InnerTextAsync(chg)).Trim());
                await AssertInViewportAsync(page, chg, "the change column at 1280×800");
            }
        }
    }
}
