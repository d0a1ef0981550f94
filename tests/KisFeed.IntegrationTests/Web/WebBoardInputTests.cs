using System.Globalization;
using System.Net;
using System.Text;

using KisFeed.Cli;
using KisFeed.IntegrationTests.Storage;
using KisFeed.Storage;
using KisFeed.Web;

using Microsoft.Playwright;

using Spectre.Console.Testing;

using static KisFeed.IntegrationTests.Cli.CliHarness;

namespace KisFeed.IntegrationTests.Web;

/// <summary>Issue 17 item 9: the board's API with bad input (400, never 500), its access token, and <c>serve --host</c>.</summary>
public sealed class WebBoardInputTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static readonly DateOnly Day = new(2026, 11, 24);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(KisFeedWebServer Server, ProgramTradeQueries Queries, TempDir Dir)> ReplayServerAsync(string? token = null)
    {
        var dir = new TempDir();
        string path = dir.File("day.duckdb");
        await using (ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(path))
        {
            recorder.Append(new ProgramTrade(Venue.Krx, "005930", Day, new TimeOnly(9, 0, 5), 10, 700, 30, 2_100, 20, 1_400, 0, 0, 0, new DateTimeOffset(2026, 11, 24, 0, 0, 5, TimeSpan.Zero)));
        }

        ProgramTradeQueries queries = ProgramTradeQueries.Open(path);
        KisFeedWebServer server = await KisFeedWebServer.StartAsync(
            WebBoardOptions.Default with { Replay = true, Date = Day, AccessToken = token },
            new FixedFeedStatus(new FeedStatus("Replay", 0, 0, true, "test")), queries, cancellationToken: Ct);
        return (server, queries, dir);
    }

    private static async Task<HttpStatusCode> StatusOfAsync(HttpClient http, Uri url)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        using HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
        return response.StatusCode;
    }

    [Theory]
    [InlineData("api/day?code=%00%ff", "code")]
    [InlineData("api/day?code=", "code")]
    [InlineData("api/day", "code")]
    [InlineData("api/day?code=005930%27%3B%20DROP%20TABLE%20meta", "code")]
    [InlineData("api/day?code=0059301234567890", "code")]
    [InlineData("api/day?code=005930&date=2026-13-01", "date")]
    [InlineData("api/day?code=005930&date=%ff", "date")]
    [InlineData("api/ranking?asOf=25:00:00", "asOf")]
    [InlineData("api/ranking?asOf=%00", "asOf")]
    [InlineData("api/ranking?asOf=9", "asOf")]
    [InlineData("api/events?lastEventId=abc", "lastEventId")]
    [InlineData("api/events?lastEventId=-1", "lastEventId")]
    [InlineData("api/events?lastEventId=99999999999999999999999", "lastEventId")]
    public async Task A_bad_query_is_answered_400_with_what_was_wrong(string query, string field)
    {
        (KisFeedWebServer server, ProgramTradeQueries queries, TempDir dir) = await ReplayServerAsync();
        await using (server)
        using (queries)
        using (dir)
        {
            using HttpClient http = new();
            using HttpResponseMessage response = await http.GetAsync(new Uri(server.Url, query), HttpCompletionOption.ResponseHeadersRead, Ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains(field, await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Fuzzed_query_strings_never_get_a_500()
    {
        (KisFeedWebServer server, ProgramTradeQueries queries, TempDir dir) = await ReplayServerAsync();
        await using (server)
        using (queries)
        using (dir)
        {
            using HttpClient http = new();
            var random = new Random(17);
            string[] paths = ["api/day", "api/ranking", "api/meta", "api/status", "api/events", "assets/x.js", string.Empty];
            string[] names = ["code", "date", "asOf", "lastEventId", "token", "x", "code[]", "%00", ""];
            string[] seeds = ["005930", "2026-11-24", "09:00:05", "12", "Q500001", "", "-1", "..%2f..%2fetc%2fpasswd", "9999-99-99", "1e9", "null"];
            var failures = new List<string>();
            for (int i = 0; i < 600; i++)
            {
                var query = new StringBuilder();
                int pairs = random.Next(0, 4);
                for (int p = 0; p < pairs; p++)
                {
                    query.Append(p == 0 ? '?' : '&').Append(names[random.Next(names.Length)]).Append('=').Append(Value(random, seeds));
                }

                string path = paths[random.Next(paths.Length)];
                var url = new Uri(server.Url, path + query);
                HttpStatusCode status = await StatusOfAsync(http, url);
                if ((int)status >= 500)
                {
                    failures.Add($"{(int)status} {url}");
                }
            }

            Assert.True(failures.Count == 0, string.Join('\n', failures));
        }
    }

    private static string Value(Random random, string[] seeds)
    {
        switch (random.Next(4))
        {
            case 0:
                return Uri.EscapeDataString(seeds[random.Next(seeds.Length)]);
            case 1:
                // Raw percent-encoded bytes, invalid UTF-8 and control characters included.
                var bytes = new StringBuilder();
                for (int k = random.Next(1, 12); k > 0; k--)
                {
                    bytes.Append('%').Append(random.Next(256).ToString("x2", CultureInfo.InvariantCulture));
                }

                return bytes.ToString();
            case 2:
                return new string('9', random.Next(1, 40));
            default:
                return Uri.EscapeDataString(seeds[random.Next(seeds.Length)] + (char)random.Next(0x20, 0x7f));
        }
    }

    [Fact]
    public async Task With_an_access_token_every_request_needs_it_and_the_page_works_with_the_printed_address()
    {
        const string token = "board-token-0123456789";
        (KisFeedWebServer server, ProgramTradeQueries queries, TempDir dir) = await ReplayServerAsync(token);
        await using (server)
        using (queries)
        using (dir)
        {
            using var handler = new HttpClientHandler { UseCookies = false };
            using HttpClient http = new(handler);
            foreach (string path in new[] { string.Empty, "api/meta", "api/status", "api/day?code=005930", "api/ranking", "api/events", "assets/index.js" })
            {
                Assert.Equal(HttpStatusCode.Unauthorized, await StatusOfAsync(http, new Uri(server.Url, path)));
                Assert.Equal(HttpStatusCode.Unauthorized, await StatusOfAsync(http, new Uri(server.Url, path + (path.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "token=wrong-token-0123456789")));
            }

            using (var bearer = new HttpRequestMessage(HttpMethod.Get, new Uri(server.Url, "api/status")))
            {
                bearer.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
                using HttpResponseMessage ok = await http.SendAsync(bearer, Ct);
                Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            }

            using HttpResponseMessage page = await http.GetAsync(new Uri(server.Url, "?token=" + token), Ct);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            string cookie = Assert.Single(page.Headers.GetValues("Set-Cookie"));
            Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);

            // In a browser, the printed address is enough: the page's own requests carry the cookie.
            await using IBrowserContext context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
            IPage tab = await context.NewPageAsync();
            await tab.GotoAsync(ServeAccess.PageUrl(server.Url, token).ToString());
            await tab.WaitForFunctionAsync("window.__kisBoard?.ready === true && document.querySelector(\"tr[data-code='005930']\") !== null", null,
                new PageWaitForFunctionOptions { Timeout = 15_000 });
            Assert.Equal("1400", await tab.GetAttributeAsync("tr[data-code='005930'] td[data-field='net-krx']", "data-value"));

            // Another browser without the token gets nothing.
            await using IBrowserContext stranger = await browser.Browser.NewContextAsync();
            IPage other = await stranger.NewPageAsync();
            IResponse? refused = await other.GotoAsync(server.Url.ToString());
            Assert.Equal(401, refused?.Status);
        }
    }

    [Fact]
    public async Task Serve_on_every_interface_warns_generates_a_token_and_prints_it_in_the_address()
    {
        using var dir = new TempDir();
        string path = dir.File("day.duckdb");
        await using (ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(path))
        {
            recorder.Append(new ProgramTrade(Venue.Krx, "005930", Day, new TimeOnly(9, 0, 5), 10, 700, 30, 2_100, 20, 1_400, 0, 0, 0, new DateTimeOffset(2026, 11, 24, 0, 0, 5, TimeSpan.Zero)));
        }

        var stdout = new FirstLineWriter();
        var stderr = new StringWriter();
        var console = new CliConsole(new TestConsole(), stdout, stderr, IsTerminal: false);
        using CancellationTokenSource stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        Task<int> run = CliApp.RunAsync(["serve", "--db", path, "--replay", "--port", "0", "--host", "0.0.0.0"], console, stop.Token);
        string first = await stdout.FirstLineAsync(Ct);
        Assert.Matches(@"^KisFeed board: http://127\.0\.0\.1:\d+/\?token=[A-Za-z0-9_-]{24}$", first);
        Assert.Contains("warning: --host 0.0.0.0 serves the board on every interface", stderr.ToString(), StringComparison.Ordinal);
        var url = new Uri(first["KisFeed board: ".Length..]);

        using var handler = new HttpClientHandler { UseCookies = false };
        using HttpClient http = new(handler);
        Assert.Equal(HttpStatusCode.OK, await StatusOfAsync(http, url));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusOfAsync(http, new Uri(url, "api/meta")));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusOfAsync(http, new UriBuilder(url) { Query = string.Empty }.Uri));

        await stop.CancelAsync();
        Assert.Equal(0, await run);
    }

    [Theory]
    [InlineData("--host", "notahost", "--host 'notahost' is not an IP address")]
    [InlineData("--host", "10.1.2.3", "--host 10.1.2.3 is not an address of this machine")]
    [InlineData("--port", "99999", "--port 99999: use a TCP port from 1 to 65535")]
    [InlineData("--port", "-1", "--port -1: use a TCP port from 1 to 65535")]
    [InlineData("--token", "short", "--token: at least 16 characters")]
    public async Task A_bad_host_port_or_token_is_one_line_and_exit_code_2(string option, string value, string message)
    {
        using var dir = new TempDir();
        (int exit, string stdout, string stderr) = await RunAsync("serve", "005930", "--demo", "--db", dir.File("x.duckdb"), option, value, "--duration", "5s");
        Assert.Equal(2, exit);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", stderr, StringComparison.Ordinal);
        Assert.True(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length == 1, stderr);
        Assert.DoesNotContain("KisFeed board", stdout, StringComparison.Ordinal);
    }
}
