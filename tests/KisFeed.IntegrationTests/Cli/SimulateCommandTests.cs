using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

using KisFeed.Cli;
using KisFeed.IntegrationTests.Simulator;
using KisFeed.Simulator;

using Microsoft.Extensions.Logging.Abstractions;

using Spectre.Console.Testing;

namespace KisFeed.IntegrationTests.Cli;

/// <summary>
/// <c>kisfeed simulate</c> as another KIS client meets it: the endpoints it prints are used exactly as the official Python
/// sample uses its configured hosts (<c>f"{url}/oauth2/Approval"</c>, <c>f"{url_ws}/tryitout"</c>), and every JSON reply is
/// read the way that sample's <c>system_resp</c> reads it (<see cref="SystemResp"/>).
/// </summary>
public sealed partial class SimulateCommandTests
{
    private static CancellationTokenSource Deadline(double seconds = 30)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(seconds));
        return cts;
    }

    [Fact]
    public void Session_hours_are_the_default_of_simulate_and_always_open_is_a_flag()
    {
        Assert.Equal(MarketHours.Real, CliApp.SimulateOptionSet.Parse().Hours);
        Assert.Equal(MarketHours.AlwaysOpen, CliApp.SimulateOptionSet.Parse("--always-open").Hours);
        Assert.Equal(MarketHours.Real, CliApp.SimulateOptionSet.Parse("--real-hours").Hours); // the old flag still parses
        Assert.Throws<CliException>(() => CliApp.SimulateOptionSet.Parse("--always-open", "--real-hours"));
    }

    [Fact]
    public void Ping_reply_shape_and_frame_options_reach_the_simulator()
    {
        SimulatorOptions defaults = CliApp.SimulateOptionSet.Parse();
        Assert.Equal((TimeSpan.FromSeconds(30), null), (defaults.PingInterval, defaults.PingTimeout));
        Assert.Equal(ErrorReplyShape.WithHeader, defaults.ErrorReplyShape);
        Assert.False(defaults.MixCodesInFrames);

        SimulatorOptions set = CliApp.SimulateOptionSet.Parse("--ping-interval", "5s", "--ping-timeout", "1500ms", "--body-only-errors", "--mix-codes");
        Assert.Equal((TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(1500)), (set.PingInterval, set.PingTimeout));
        Assert.Equal(ErrorReplyShape.BodyOnly, set.ErrorReplyShape);
        Assert.True(set.MixCodesInFrames);
        Assert.Throws<CliException>(() => CliApp.SimulateOptionSet.Parse("--ping-interval", "0s"));
        Assert.Throws<CliException>(() => CliApp.SimulateOptionSet.Parse("--ping-timeout", "-1s"));
    }

    [Fact]
    public async Task Watch_without_credentials_keeps_the_always_open_demo()
    {
        using CancellationTokenSource cts = Deadline();
        await using DataSource source = await DataSource.OpenAsync(forceDemo: true, configPath: null, _ => null, NullLoggerFactory.Instance, TimeProvider.System, cts.Token);
        Assert.Equal(MarketHours.AlwaysOpen, source.Simulator!.Options.Hours);
    }

    [Fact]
    public async Task Help_lists_the_TRs_that_produce_data_and_the_new_options()
    {
        (int exit, string stdout) = await HelpAsync();
        Assert.Equal(0, exit);
        Assert.Contains("H0STPGM0, H0NXPGM0, H0UNPGM0", stdout, StringComparison.Ordinal);
        Assert.Contains("SUBSCRIBE SUCCESS", stdout, StringComparison.Ordinal);
        foreach (string option in (string[])["--ping-interval", "--ping-timeout", "--always-open", "--body-only-errors", "--mix-codes"])
        {
            Assert.Contains(option, stdout, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("--real-hours", stdout, StringComparison.Ordinal);

        static async Task<(int, string)> HelpAsync()
        {
            var stdout = new StringWriter();
            var console = new CliConsole(new TestConsole(), stdout, new StringWriter(), IsTerminal: false);
            int exit = await CliApp.RunAsync(["simulate", "--help"], console, TestContext.Current.CancellationToken);
            return (exit, stdout.ToString());
        }
    }

    [Fact]
    public async Task The_official_sample_flow_works_on_the_printed_endpoints()
    {
        using CancellationTokenSource cts = Deadline();
        await using RunningSimulate run = await RunningSimulate.StartAsync(["simulate", "--port", "0"], cts.Token);
        Assert.Contains("  Data      : H0STPGM0, H0NXPGM0, H0UNPGM0", run.Banner, StringComparison.Ordinal);
        Assert.Contains("  Hours     : session hours, KST", run.Banner, StringComparison.Ordinal);
        Assert.DoesNotMatch("(ws|http)://[^ ]+/ ", run.Banner); // no trailing slash to double up

        // kis_auth.py auth_ws(): url = f"{_cfg[svr]}/oauth2/Approval", body grant_type/appkey/secretkey.
        string approvalUrl = $"{run.Rest}/oauth2/Approval";
        Assert.DoesNotContain("//oauth2", approvalUrl, StringComparison.Ordinal);
        using var http = new HttpClient();
        using var content = new StringContent(
            JsonSerializer.Serialize(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["appkey"] = SimulatorCredential.Demo.AppKey, ["secretkey"] = SimulatorCredential.Demo.AppSecret }),
            Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using HttpResponseMessage res = await http.PostAsync(new Uri(approvalUrl), content, cts.Token);
        Assert.Equal(System.Net.HttpStatusCode.OK, res.StatusCode);
        string approvalKey;
        using (JsonDocument doc = JsonDocument.Parse(await res.Content.ReadAsStringAsync(cts.Token)))
        {
            approvalKey = doc.RootElement.GetProperty("approval_key").GetString()!;
        }

        // kis_auth.py: websockets.connect(f"{url_ws}/tryitout"); subscribe with data_fetch()'s message shape.
        using var ws = new ClientWebSocket();
        ws.Options.KeepAliveInterval = TimeSpan.Zero;
        await ws.ConnectAsync(new Uri($"{run.WebSocket}/tryitout"), cts.Token);

        SystemResp nxt = await RequestAsync(ws, Fetch(approvalKey, "1", "H0NXPGM0", "032640"), cts.Token);
        Assert.Equal((true, "H0NXPGM0", "032640", "N"), (nxt.IsOk, nxt.TrId, nxt.TrKey, nxt.Encrypt));
        Assert.Equal((16, 32), (nxt.Iv!.Length, nxt.EKey!.Length));

        // A TR the simulator has no data for: accepted like KIS, and the operator is told once.
        SystemResp cnt = await RequestAsync(ws, Fetch(approvalKey, "1", "H0STCNT0", "005930"), cts.Token);
        Assert.True(cnt.IsOk);
        await run.WaitForErrorAsync(e => e.Contains("H0STCNT0 subscribed", StringComparison.Ordinal), cts.Token);
        Assert.True((await RequestAsync(ws, Fetch(approvalKey, "1", "H0STCNT0", "000660"), cts.Token)).IsOk);

        // The error replies the sample met without a header (OPSP0003, OPSP0011) now read cleanly.
        SystemResp notFound = await RequestAsync(ws, Fetch(approvalKey, "2", "H0NXPGM0", "010950"), cts.Token);
        Assert.Equal((false, "H0NXPGM0", "010950", "N", "UNSUBSCRIBE ERROR(not found!)"), (notFound.IsOk, notFound.TrId, notFound.TrKey, notFound.Encrypt, notFound.TrMsg));
        SystemResp badKey = await RequestAsync(ws, Fetch("062f61cb-c756-4b8f-9fab-92113c6fbea4", "1", "H0STPGM0", "005930"), cts.Token);
        Assert.Equal((false, "H0STPGM0", "005930", "N"), (badKey.IsOk, badKey.TrId, badKey.TrKey, badKey.Encrypt));
        SystemResp unsub = await RequestAsync(ws, Fetch(approvalKey, "2", "H0NXPGM0", "032640"), cts.Token);
        Assert.True(unsub.IsOk && unsub.IsUnSub);

        int exit = await run.StopAsync();
        Assert.Equal(0, exit);
        Assert.Single(Regex.Matches(run.Errors, "H0STCNT0 subscribed"));
    }

    [Fact]
    public async Task Ping_interval_and_timeout_are_honoured()
    {
        using CancellationTokenSource cts = Deadline();
        await using RunningSimulate run = await RunningSimulate.StartAsync(["simulate", "--port", "0", "--ping-interval", "200ms", "--ping-timeout", "800ms"], cts.Token);
        Assert.Contains("  PINGPONG  : every 0.2 s; a session that has not echoed it within 0.8 s is dropped", run.Banner, StringComparison.Ordinal);
        using var ws = new ClientWebSocket();
        ws.Options.KeepAliveInterval = TimeSpan.Zero;
        await ws.ConnectAsync(new Uri($"{run.WebSocket}/tryitout"), cts.Token);

        // Echoed PINGPONGs keep the session (the default interval, 30 s, would not send one within the deadline).
        for (int i = 0; i < 5; i++)
        {
            string ping = await ReceiveTextAsync(ws, cts.Token) ?? throw new InvalidOperationException("closed while echoing");
            SystemResp r = SystemResp.Read(ping);
            Assert.True(r.IsPingPong, ping);
            await ws.SendAsync(Encoding.UTF8.GetBytes(ping), WebSocketMessageType.Text, true, cts.Token);
        }

        // Unanswered, the session is dropped after the timeout.
        bool closed = false;
        try
        {
            while (await ReceiveTextAsync(ws, cts.Token) is not null)
            {
            }

            closed = true;
        }
        catch (WebSocketException)
        {
            closed = true;
        }

        Assert.True(closed);
        Assert.Equal(0, await run.StopAsync());
    }

    /// <summary>The subscribe message of the sample's <c>data_fetch()</c>.</summary>
    private static string Fetch(string approvalKey, string trType, string trId, string trKey) => JsonSerializer.Serialize(new
    {
        header = new Dictionary<string, string> { ["content-type"] = "utf-8", ["approval_key"] = approvalKey, ["tr_type"] = trType, ["custtype"] = "P" },
        body = new { input = new { tr_id = trId, tr_key = trKey } },
    });

    private static async Task<SystemResp> RequestAsync(ClientWebSocket ws, string json, CancellationToken ct)
    {
        await ws.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, ct);
        while (true)
        {
            string text = await ReceiveTextAsync(ws, ct) ?? throw new InvalidOperationException("socket closed");
            if (text[0] is '0' or '1')
            {
                continue; // a data frame (the sample hands those to its TR handlers)
            }

            SystemResp r = SystemResp.Read(text);
            if (!r.IsPingPong)
            {
                return r;
            }
        }
    }

    private static async Task<string?> ReceiveTextAsync(ClientWebSocket ws, CancellationToken ct)
    {
        byte[] buffer = new byte[16 * 1024];
        using var ms = new MemoryStream();
        while (true)
        {
            WebSocketReceiveResult r = await ws.ReceiveAsync(buffer, ct);
            if (r.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            ms.Write(buffer, 0, r.Count);
            if (r.EndOfMessage)
            {
                return Encoding.UTF8.GetString(ms.ToArray());
            }
        }
    }

    [GeneratedRegex(@"^  WebSocket : (?<ws>\S+)  .*^  REST      : (?<rest>\S+)  ", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex Endpoints();

    /// <summary><c>kisfeed simulate</c> running in-process until <see cref="StopAsync"/>, with its output readable meanwhile.</summary>
    private sealed class RunningSimulate : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop;
        private readonly Task<int> _run;
        private readonly LiveWriter _out;
        private readonly LiveWriter _err;

        private RunningSimulate(CancellationTokenSource stop, Task<int> run, LiveWriter stdout, LiveWriter stderr)
        {
            (_stop, _run, _out, _err) = (stop, run, stdout, stderr);
        }

        public string Banner { get; private set; } = string.Empty;

        public string WebSocket { get; private set; } = string.Empty;

        public string Rest { get; private set; } = string.Empty;

        public string Errors => _err.Text;

        public static async Task<RunningSimulate> StartAsync(string[] args, CancellationToken ct)
        {
            var stdout = new LiveWriter();
            var stderr = new LiveWriter();
            var console = new CliConsole(new TestConsole(), stdout, stderr, IsTerminal: false);
            var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var run = new RunningSimulate(stop, Task.Run(() => CliApp.RunAsync(args, console, stop.Token), CancellationToken.None), stdout, stderr);
            await stdout.WaitForAsync(t => t.Contains("\nTry: ", StringComparison.Ordinal) || run._run.IsCompleted, ct);
            Assert.False(run._run.IsCompleted, "simulate ended early: " + stderr.Text);
            run.Banner = stdout.Text;
            Match m = Endpoints().Match(run.Banner);
            Assert.True(m.Success, run.Banner);
            run.WebSocket = m.Groups["ws"].Value;
            run.Rest = m.Groups["rest"].Value;
            return run;
        }

        public Task WaitForErrorAsync(Func<string, bool> condition, CancellationToken ct) => _err.WaitForAsync(condition, ct);

        public async Task<int> StopAsync()
        {
            await _stop.CancelAsync();
            return await _run;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            try
            {
                await _run;
            }
            catch (OperationCanceledException)
            {
            }

            _stop.Dispose();
        }
    }

    /// <summary>A thread-safe text sink that a test can wait on (with a deadline, no sleeps).</summary>
    private sealed class LiveWriter : TextWriter
    {
        private readonly StringBuilder _text = new();

        public override Encoding Encoding => Encoding.UTF8;

        public string Text
        {
            get
            {
                lock (_text)
                {
                    return _text.ToString();
                }
            }
        }

        public override void Write(char value)
        {
            lock (_text)
            {
                _text.Append(value);
            }
        }

        public override void Write(string? value)
        {
            lock (_text)
            {
                _text.Append(value);
            }
        }

        public override void Write(char[] buffer, int index, int count)
        {
            lock (_text)
            {
                _text.Append(buffer, index, count);
            }
        }

        public async Task WaitForAsync(Func<string, bool> condition, CancellationToken ct)
        {
            while (!condition(Text))
            {
                try
                {
                    await Task.Delay(10, ct);
                }
                catch (OperationCanceledException)
                {
                    Assert.Fail("Timed out; output so far:\n" + Text);
                }
            }
        }
    }
}
