using System.Text.Json;

using KisFeed.Cli;
using KisFeed.IntegrationTests.Nats;
using KisFeed.Nats;
using KisFeed.Storage;
using KisFeed.TestKit;
using KisFeed.Web;

using Microsoft.Playwright;

using NATS.Client.JetStream;

using Spectre.Console.Testing;

using static KisFeed.IntegrationTests.Web.PageChecks;

namespace KisFeed.IntegrationTests.Web;

/// <summary>
/// Simulated data is marked on every surface (issue 19, item 1): a real <c>kisfeed gateway</c> in demo mode → a real
/// nats-server → <c>serve --from nats://</c> (page badge in Chromium, <c>/api/status</c>) and <c>watch --from nats://</c>
/// (JSONL); live data stays LIVE; a replay of a generated day says SIMULATED, a file that does not say says unknown.
/// </summary>
public sealed class SimulatedSourceTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static readonly Registration[] Regs = [new(Venue.Nxt, "005930"), new(Venue.Nxt, "000660")];

    [Fact]
    public async Task A_demo_gateway_s_data_is_SIMULATED_on_the_page_in_api_status_and_in_every_watch_line()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(180);
        CancellationToken ct = deadline.Token;
        using var dir = new TempDirectory();
        await using NatsServer server = await NatsServer.StartAsync(ct);
        await using var nats = NatsTestKit.Connect(server);
        NatsJSContext js = NatsTestKit.Js(nats);
        NatsFeedOptions feed = NatsFeedOptions.Default; // what the CLI commands use
        await FeedPublisher.EnsureStreamAsync(js, feed, ct);
        DesiredRegistrations desired = await DesiredRegistrations.OpenAsync(js, feed, ct);
        await desired.AddAsync(Regs, ct);

        // No keys at all: the gateway runs on its built-in simulator (demo mode), as a user would start it.
        using GatewayProcess gateway = GatewayProcess.StartCli("gw-demo-mark", ["gateway", "--nats", server.Url, "--id", "gw-demo-mark"]);
        await NatsTestKit.WaitUntilAsync(async () => (await js.GetStreamAsync(feed.StreamName, cancellationToken: ct)).Info.State.LastSeq >= 20, ct,
            "20 messages from the demo gateway in the stream");
        Assert.Contains(gateway.Lines, l => l.Line.Contains("simulated data, not the market", StringComparison.Ordinal));

        // On the wire: every message the demo gateway published is version 3 with the simulated flag.
        INatsJSConsumer raw = await js.CreateOrderedConsumerAsync(feed.StreamName, cancellationToken: ct);
        int checkedRaw = 0;
        await foreach (INatsJSMsg<byte[]> msg in raw.ConsumeAsync<byte[]>(cancellationToken: ct))
        {
            byte[] data = msg.Data!;
            Assert.Equal(FeedCodec.SimulatedVersion, data[0]);
            Assert.True(FeedCodec.IsSimulated(data), $"message {msg.Metadata?.Sequence.Stream} on {msg.Subject} is not marked simulated");
            if (++checkedRaw == 20)
            {
                break;
            }
        }

        using var http = new HttpClient();
        await using (Served serving = await Served.StartAsync(["serve", "005930", "000660", "--venue", "nxt", "--from", server.Url, "--db", Path.Combine(dir.Path, "b.duckdb"), "--port", "0"], ct))
        {
            await NatsTestKit.WaitUntilAsync(async () => (await StatusAsync(http, serving.Url, ct)).GetProperty("simulated").ValueKind == JsonValueKind.True, ct,
                "/api/status says simulated:true");
            JsonElement status = await StatusAsync(http, serving.Url, ct);
            Assert.Equal("live", status.GetProperty("mode").GetString());

            foreach ((int width, int height) in Sizes)
            {
                await using IBrowserContext context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
                IPage page = await context.NewPageAsync();
                await page.GotoAsync(serving.Url.ToString());
                await WaitForAsync(page, "window.__kisBoard?.ready === true && window.__kisBoard.status?.simulated === true", $"the page has its snapshot at {width}×{height}");
                await WaitForAsync(page, "document.querySelector('#st-mode').textContent === 'SIMULATED 모의 데이터'", "the badge says SIMULATED");
                await AssertInViewportAsync(page, "#st-mode", $"the SIMULATED badge at {width}×{height}");
                Assert.Contains("simulated", await page.GetAttributeAsync("#st-mode", "class") ?? string.Empty, StringComparison.Ordinal);
                Assert.DoesNotContain("LIVE", await page.InnerTextAsync("#status"), StringComparison.Ordinal);
            }
        }

        // watch --from nats:// as JSONL: every line says simulated:true (a boolean, never null).
        (int exit, string stdout, string stderr) = await CliAsync(ct, "watch", "005930", "000660", "--venue", "nxt", "--from", server.Url, "--format", "jsonl", "--duration", "3s");
        Assert.True(exit == 0, stderr);
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length >= 10, $"{lines.Length} line(s): {stdout}");
        Assert.All(lines, l => Assert.Equal(JsonValueKind.True, JsonDocument.Parse(l).RootElement.GetProperty("simulated").ValueKind));
    }

    [Fact]
    public async Task Live_and_simulated_messages_on_one_stream_are_marked_line_by_line_and_a_live_only_board_says_LIVE()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(120);
        CancellationToken ct = deadline.Token;
        using var dir = new TempDirectory();
        await using NatsServer server = await NatsServer.StartAsync(ct);
        await using var nats = NatsTestKit.Connect(server);
        NatsJSContext js = NatsTestKit.Js(nats);
        NatsFeedOptions feed = NatsFeedOptions.Default;
        await FeedPublisher.EnsureStreamAsync(js, feed, ct);
        await using (var live = new FeedPublisher(js, feed))
        await using (var simulated = new FeedPublisher(js, feed) { Simulated = true })
        {
            for (int i = 1; i <= 3; i++)
            {
                await live.EnqueueAsync(FeedItem.FromTrade(NatsTestKit.Trade(Venue.Nxt, "005930", i)), ct);
                await simulated.EnqueueAsync(FeedItem.FromTrade(NatsTestKit.Trade(Venue.Nxt, "000660", i)), ct);
            }

            await live.DrainAsync(ct);
            await simulated.DrainAsync(ct);
        }

        (int exit, string stdout, string stderr) = await CliAsync(ct, "watch", "005930", "000660", "--venue", "nxt", "--from", server.Url, "--format", "jsonl", "--duration", "3s");
        Assert.True(exit == 0, stderr);
        List<JsonElement> rows = [.. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
        Assert.Equal(6, rows.Count);
        Assert.All(rows, r => Assert.Equal(r.GetProperty("code").GetString() == "000660", r.GetProperty("simulated").GetBoolean()));

        // A board that reads only the live code: LIVE, simulated:false.
        using var http = new HttpClient();
        await using Served serving = await Served.StartAsync(["serve", "005930", "--venue", "nxt", "--from", server.Url, "--db", Path.Combine(dir.Path, "l.duckdb"), "--port", "0"], ct);
        await NatsTestKit.WaitUntilAsync(async () => (await StatusAsync(http, serving.Url, ct)).GetProperty("simulated").ValueKind == JsonValueKind.False, ct,
            "/api/status says simulated:false once the live records were read");
        await using IBrowserContext context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
        IPage page = await context.NewPageAsync();
        await page.GotoAsync(serving.Url.ToString());
        await WaitForAsync(page, "document.querySelector('#st-mode').textContent === 'LIVE 실시간'", "the badge says LIVE");
        await AssertInViewportAsync(page, "#st-mode", "the LIVE badge");
    }

    [Fact]
    public async Task A_replay_of_a_generated_day_says_SIMULATED_and_a_file_that_does_not_say_is_unknown_never_LIVE()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(120);
        CancellationToken ct = deadline.Token;
        using var dir = new TempDirectory();
        string generated = Path.Combine(dir.Path, "day.duckdb");
        (int exit, _, string stderr) = await CliAsync(ct, "generate", "--db", generated, "--records", "3000", "--date", "2026-11-24", "--codes", "005930", "000660", "--seed", "3");
        Assert.True(exit == 0, stderr);

        using var http = new HttpClient();
        await using (ServeHost host = await ServeHost.StartReplayAsync(generated, null, WebBoardOptions.Default with { Port = 0 }, ct))
        {
            JsonElement status = await StatusAsync(http, host.Url, ct);
            Assert.Equal("replay", status.GetProperty("mode").GetString());
            Assert.Equal(JsonValueKind.True, status.GetProperty("simulated").ValueKind);
            Assert.Contains("SIMULATED data from kisfeed generate", status.GetProperty("source").GetString(), StringComparison.Ordinal);
            foreach ((int width, int height) in Sizes)
            {
                await using IBrowserContext context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
                IPage page = await context.NewPageAsync();
                await page.GotoAsync(host.Url.ToString());
                await WaitForAsync(page, "window.__kisBoard?.ready === true", $"the replay page at {width}×{height}");
                Assert.Equal("SIMULATED 모의 데이터 · REPLAY 기록", await page.InnerTextAsync("#st-mode"));
                await AssertInViewportAsync(page, "#st-mode", $"the SIMULATED replay badge at {width}×{height}");
            }
        }

        // A recording that never stored its source (as files before KisFeed stored it): unknown, not live.
        string unknown = Path.Combine(dir.Path, "old.duckdb");
        await using (ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(unknown))
        {
            recorder.Append(NatsTestKit.Trade(Venue.Krx, "005930", 1));
        }

        await using (ServeHost host = await ServeHost.StartReplayAsync(unknown, null, WebBoardOptions.Default with { Port = 0 }, ct))
        {
            JsonElement status = await StatusAsync(http, host.Url, ct);
            Assert.Equal(JsonValueKind.Null, status.GetProperty("simulated").ValueKind);
            await using IBrowserContext context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 390, Height = 844 } });
            IPage page = await context.NewPageAsync();
            await page.GotoAsync(host.Url.ToString());
            await WaitForAsync(page, "window.__kisBoard?.ready === true", "the replay page");
            Assert.Equal("REPLAY 기록 · source unknown 출처 미상", await page.InnerTextAsync("#st-mode"));
            await AssertInViewportAsync(page, "#st-mode", "the unknown-source badge");
        }
    }

    /// <summary>Runs <c>kisfeed</c> in-process with the given arguments, capturing its output.</summary>
    internal static async Task<(int Exit, string Out, string Err)> CliAsync(CancellationToken ct, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = await CliApp.RunAsync(args, new CliConsole(new TestConsole(), stdout, stderr, IsTerminal: false), ct);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary><c>kisfeed serve …</c> run in-process until disposed; its first line is the address.</summary>
    private sealed class Served : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop;
        private readonly Task<int> _run;

        private Served(CancellationTokenSource stop, Task<int> run, Uri url)
        {
            _stop = stop;
            _run = run;
            Url = url;
        }

        public Uri Url { get; }

        public static async Task<Served> StartAsync(string[] args, CancellationToken ct)
        {
            var output = new LockedWriter();
            var errors = new LockedWriter();
            var console = new CliConsole(new TestConsole(), output, errors, IsTerminal: false, _ => null);
            var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            Task<int> run = CliApp.RunAsync(args, console, stop.Token);
            await NatsTestKit.WaitUntilAsync(() => run.IsCompleted || output.ToString().Contains("Ctrl-C", StringComparison.Ordinal), ct, "serve printed its address");
            Assert.False(run.IsCompleted, $"serve ended: {output} {errors}");
            string line = output.ToString().Split('\n')[0].Trim();
            return new Served(stop, run, new Uri(line["KisFeed board: ".Length..]));
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _run;
            _stop.Dispose();
        }
    }
}
