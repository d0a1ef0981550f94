using System.Text.Json;

using Microsoft.Playwright;

namespace KisFeed.IntegrationTests.Web;

/// <summary>What a person checks on the page: an element's text, that it is shown, and that it lies inside the window.</summary>
internal static class PageChecks
{
    public static readonly (int Width, int Height)[] Sizes = [(1280, 800), (390, 844)];

    public static async Task WaitForAsync(IPage page, string condition, string what, double seconds = 20)
    {
        try
        {
            await page.WaitForFunctionAsync(condition, null, new PageWaitForFunctionOptions { Timeout = (float)(seconds * 1000), PollingInterval = 20 });
        }
        catch (TimeoutException)
        {
            Assert.Fail($"Timed out after {seconds} s waiting until {what} ({condition})");
        }
    }

    /// <summary>The element's box, after asserting it is visible and wholly inside the viewport (no scrolling needed to read it).</summary>
    public static async Task<LocatorBoundingBoxResult> AssertInViewportAsync(IPage page, string selector, string what)
    {
        ILocator element = page.Locator(selector).First;
        Assert.True(await element.IsVisibleAsync(), $"{what} ({selector}) is not visible");
        LocatorBoundingBoxResult box = await element.BoundingBoxAsync() ?? throw new Xunit.Sdk.XunitException($"{what} ({selector}) has no box");
        PageViewportSizeResult size = page.ViewportSize!;
        Assert.True(box.Width > 0 && box.Height > 0, $"{what} is empty: {Describe(box)}");
        Assert.True(box.X >= 0 && box.Y >= 0 && box.X + box.Width <= size.Width + 0.5 && box.Y + box.Height <= size.Height + 0.5,
            $"{what} ({selector}) at {Describe(box)} is not inside the {size.Width}×{size.Height} viewport");
        // Not covered by another element at its centre (the pinned header, a chart, an overlay).
        string x = (box.X + (box.Width / 2)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        string y = (box.Y + (box.Height / 2)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        bool onTop = await page.EvaluateAsync<bool>(
            $"s => {{ const e = document.querySelector(s); const hit = document.elementFromPoint({x}, {y}); return !!e && !!hit && (e === hit || e.contains(hit)); }}",
            selector);
        Assert.True(onTop, $"{what} ({selector}) is covered by another element at its centre");
        return box;
    }

    public static string Describe(LocatorBoundingBoxResult b) => $"x {b.X:0.#} y {b.Y:0.#} w {b.Width:0.#} h {b.Height:0.#}";

    public static async Task<JsonElement> StatusAsync(HttpClient http, Uri board, CancellationToken ct)
    {
        using JsonDocument doc = JsonDocument.Parse(await http.GetStringAsync(new Uri(board, "api/status"), ct));
        return doc.RootElement.Clone();
    }
}
