using System.Text.Json;
using System.Text.RegularExpressions;

using KisFeed.Cli;
using KisFeed.Nats;
using KisFeed.Simulator;
using KisFeed.TestKit;

using NATS.Client.JetStream;

using Spectre.Console.Testing;

namespace KisFeed.IntegrationTests.Nats;

/// <summary>
/// Issue 17 item 6: several gateways on one `kisfeed simulate` (one ledger), through the keys file it writes; and the
/// demo gateway's built-in simulator is always open, like the watch demo.
/// </summary>
public sealed class SharedSimulatorTests
{
    [Fact]
    public void DemoKeysParseTheFirstIsTheUsualDemoKeyAndZeroIsRefused()
    {
        SimulatorOptions three = CliApp.SimulateOptionSet.Parse("--demo-keys", "3");
        Assert.Equal(3, three.Credentials.Count);
        Assert.Equal(SimulatorCredential.Demo, three.Credentials[0]);
        Assert.Equal(3, three.Credentials.Select(c => c.AppKey).Distinct().Count());
        Assert.All(three.Credentials, c => Assert.True(CliApp.IsDemoKey(c.AppKey)));
        Assert.Equal([SimulatorCredential.Demo], CliApp.SimulateOptionSet.Parse().Credentials);
        CliException refused = Assert.Throws<CliException>(() => CliApp.SimulateOptionSet.Parse("--demo-keys", "0"));
        Assert.Contains("--demo-keys must be between 1 and 1000", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SimulateWritesAnOwnerOnlyKeysFileWithItsDemoKeysAndEndpointsThatTheGatewayReads()
    {
        using var dir = new TempDirectory();
        string file = Path.Combine(dir.Path, "keys.json");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = await CliApp.RunAsync(["simulate", "--port", "0", "--demo-keys", "4", "--keys-file", file, "--always-open", "--duration", "1s"],
            new CliConsole(new TestConsole(), stdout, stderr, IsTerminal: false), TestContext.Current.CancellationToken);

        Assert.True(exit == 0, stderr.ToString());
        string text = stdout.ToString();
        string ws = Regex.Match(text, @"WebSocket : (ws://127\.0\.0\.1:\d+) ").Groups[1].Value;
        string rest = Regex.Match(text, @"REST      : (http://127\.0\.0\.1:\d+) ").Groups[1].Value;
        Assert.Contains($"Demo keys       : 4 (PSDEMO-SIMULATOR-APPKEY-000000000001 … PSDEMO-SIMULATOR-APPKEY-000000000004), one session each", text, StringComparison.Ordinal);
        Assert.Contains($"Keys file : {file} (mode 600): kisfeed gateway --app-keys {file} --nats …", text, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        using JsonDocument doc = JsonDocument.Parse(await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken));
        Assert.Equal(ws + "/tryitout", doc.RootElement.GetProperty("ws_url").GetString());
        Assert.Equal(rest + "/", doc.RootElement.GetProperty("rest_url").GetString());
        (IReadOnlyList<AppKeyCredential> keys, KisOptions endpoints) = AppKeysFile.Load(file, KisOptions.Default);
        Assert.Equal(CliApp.DemoCredentials(4).Select(c => (c.AppKey, c.AppSecret)), keys.Select(k => (k.AppKey, k.AppSecret)));
        Assert.Equal(new Uri(ws + "/tryitout"), endpoints.WebSocketUri);
        Assert.Equal(new Uri(rest + "/"), endpoints.RestUri);
    }

    [Fact]
    public async Task TwoGatewayProcessesShareOneSimulateProcessThroughItsKeysFile()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(90);
        CancellationToken ct = deadline.Token;
        using var dir = new TempDirectory();
        string file = Path.Combine(dir.Path, "keys.json");
        await using NatsServer server = await NatsServer.StartAsync(ct);
        using GatewayProcess simulate = GatewayProcess.StartCli("simulate", ["simulate", "--port", "0", "--demo-keys", "4", "--keys-file", file, "--always-open", "--rate", "4"]);
        await NatsTestKit.WaitUntilAsync(() => simulate.Lines.Any(l => l.Line.StartsWith("  Keys file : ", StringComparison.Ordinal)), ct, "the simulator wrote its keys file");
        Registration[] regs = [.. GatewayFailoverTests.Codes.Take(6).Select(c => new Registration(Venue.Nxt, c))];
        await using var nats = NatsTestKit.Connect(server);
        NatsJSContext js = NatsTestKit.Js(nats);
        await (await DesiredRegistrations.OpenAsync(js, NatsTestKit.Feed, ct)).AddAsync(regs, ct);

        using GatewayProcess a = GatewayProcess.StartCli("gw-a", [.. GatewayStopProcessTests.GatewayArgs(server.Url, file), "--id", "gw-a"]);
        using GatewayProcess b = GatewayProcess.StartCli("gw-b", [.. GatewayStopProcessTests.GatewayArgs(server.Url, file), "--id", "gw-b"]);
        try
        {
            await NatsTestKit.WaitUntilAsync(() => !a.Lines.IsEmpty, ct, "gw-a says where its keys come from");
            Assert.Contains(a.Lines.Select(l => l.Line).Take(1), l => l.StartsWith("Simulator: ws://127.0.0.1:", StringComparison.Ordinal) && l.Contains("4 demo app key(s) of a kisfeed simulate", StringComparison.Ordinal));
            AppKeyLeaseStore leases = await AppKeyLeaseStore.OpenAsync(js, NatsTestKit.Feed, ct);
            await NatsTestKit.WaitUntilAsync(async () => (await leases.HoldersAsync(ct)).Values.Distinct().Count() == 2, ct, "both gateways hold keys of the one simulator");
            DateTimeOffset after = DateTimeOffset.UtcNow;
            await NatsTestKit.WaitUntilAsync(
                async () =>
                {
                    List<NatsFeedItem> items = await NatsTestKit.ReadAllAsync(js, NatsTestKit.Feed, 1, ct);
                    return regs.All(r => items.Any(i => i.Item.Kind == FeedItemKind.Trade && i.Item.Trade.Code == r.Code && i.Item.Trade.ReceivedAt > after));
                }, ct, "every registration has data from the shared simulator");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"{ex.Message}\n--- gw-a:\n{a.Output}\n--- gw-b:\n{b.Output}\n--- simulate:\n{simulate.Output}", ex);
        }

        a.Terminate();
        b.Terminate();
        await a.WaitForExitAsync(ct);
        await b.WaitForExitAsync(ct);
        simulate.Terminate();
        await simulate.WaitForExitAsync(ct);
        Assert.Equal([0, 0, 0], new[] { a.ExitCode, b.ExitCode, simulate.ExitCode });
        Assert.DoesNotContain("OPSP8996", a.Output + b.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheDemoGatewayPublishesAtAnHourWhenTheMarketIsClosed()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(60);
        CancellationToken ct = deadline.Token;
        await using NatsServer server = await NatsServer.StartAsync(ct);
        await using var nats = NatsTestKit.Connect(server);
        NatsJSContext js = NatsTestKit.Js(nats);
        await (await DesiredRegistrations.OpenAsync(js, NatsFeedOptions.Default, ct)).AddAsync([new Registration(Venue.Krx, "005930"), new Registration(Venue.Nxt, "005930")], ct);

        // Sunday 03:00 KST: every venue is closed in session hours.
        DateTimeOffset sunday = new DateTimeOffset(2026, 12, 6, 3, 0, 0, TimeSpan.FromHours(9));
        Assert.Equal(DayOfWeek.Sunday, sunday.DayOfWeek);
        var stdout = new LockedWriter();
        var stderr = new LockedWriter();
        var console = new CliConsole(new TestConsole(), stdout, stderr, IsTerminal: false, Environment: _ => null, Clock: ShiftedTime.StartingAt(sunday));
        int exit = await CliApp.RunAsync(["gateway", "--nats", server.Url, "--demo-keys", "1", "--lease-ttl", "5s", "--kis-silent-lifetime", "2s", "--renew-interval", "1s", "--duration", "6s"], console, ct);

        Assert.True(exit == 0, stderr.ToString());
        Assert.Contains("built-in simulator at ws://127.0.0.1:", stdout.ToString(), StringComparison.Ordinal);
        Assert.Contains("always open", stdout.ToString(), StringComparison.Ordinal);
        // Read the stream raw: the gateway's clock says Sunday while the server stores it today, so a consumer rightly
        // rejects these records' received-at as forged; what matters here is that the demo gateway published at all.
        INatsJSStream stream = await js.GetStreamAsync(NatsFeedOptions.Default.StreamName, cancellationToken: ct);
        List<ProgramTrade> trades = [];
        List<string> reasons = [];
        for (ulong seq = stream.Info.State.FirstSeq; seq <= stream.Info.State.LastSeq && seq > 0; seq++)
        {
            NATS.Client.Core.NatsMsg<byte[]> msg = await stream.GetDirectAsync<byte[]>(new NATS.Client.JetStream.Models.StreamMsgGetRequest { Seq = seq }, cancellationToken: ct);
            string? subject = msg.Headers is { } h && h.TryGetValue("Nats-Subject", out var stored) ? stored.ToString() : null; // a direct get answers on an inbox
            if (FeedCodec.TryDecode(msg.Data, subject, null, out FeedItem item, out _, out FeedRejectReason why, out string detail) && item.Kind == FeedItemKind.Trade)
            {
                trades.Add(item.Trade);
            }
            else
            {
                reasons.Add($"{msg.Subject}: {why} {detail}");
            }
        }

        Assert.True(trades.Any(t => t.Venue == Venue.Krx) && trades.Any(t => t.Venue == Venue.Nxt),
            $"{stream.Info.State.Messages} message(s); not trades: {string.Join("; ", reasons.Take(5))}\n{stdout}\n{stderr}");
        Assert.All(trades, t => Assert.Equal(new DateOnly(2026, 12, 6), t.TradingDate)); // the simulator followed the gateway's clock
    }
}
