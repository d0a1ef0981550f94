using System.Diagnostics;
using System.Text.RegularExpressions;

using KisFeed.Cli;
using KisFeed.Nats;
using KisFeed.TestKit;

namespace KisFeed.IntegrationTests.Nats;

/// <summary>
/// Issue 21 on real processes: a `kisfeed gateway` told to stop while NATS goes away, or with NATS unreachable from
/// the start, closes its KIS sessions (the simulator sees each close) and exits within its --stop-timeout with the
/// documented exit code. The bound asserted is --stop-timeout (its default, 10 s) plus <see cref="Teardown"/> for the
/// process itself.
/// </summary>
public sealed class GatewayStopProcessTests
{
    /// <summary>The gateway's documented stop bound: --stop-timeout's default (the tests run with the defaults, as a user would).</summary>
    internal static readonly TimeSpan StopTimeout = GatewayOptions.Default.StopTimeout;

    /// <summary>Beyond the command's own bound: the runtime starting the signal handler and tearing the process down.</summary>
    internal static readonly TimeSpan Teardown = TimeSpan.FromSeconds(3);

    private static readonly Registration[] Regs = [.. new[] { "005930", "000660", "373220", "207940", "005380", "000270" }.Select(c => new Registration(Venue.Nxt, c))];

    [Fact]
    public async Task GivenSigtermAsNatsIsKilledItClosesEveryKisSessionAndExitsWithinItsStopTimeoutWithCode3()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(90);
        CancellationToken ct = deadline.Token;
        await using NatsServer server = await NatsServer.StartAsync(ct);
        await using ShareableSimulator sim = await ShareableSimulator.StartAsync(3, ct);
        await using (var nats = NatsTestKit.Connect(server))
        {
            await (await DesiredRegistrations.OpenAsync(NatsTestKit.Js(nats), NatsTestKit.Feed, ct)).AddAsync(Regs, ct);
        }

        int withWork = RegistrationAssignment.Assign(Regs, sim.Keys.Select(k => AppKeyCredential.IdOf(k.AppKey)), 41, out _).Count(a => a.Value.Count > 0);
        using GatewayProcess gw = GatewayProcess.StartCli("gw-stop", GatewayArgs(server.Url, sim.KeysFile));
        try
        {
            await NatsTestKit.WaitUntilAsync(() => gw.Lines.Count(l => l.Line.Contains(" registration-started ", StringComparison.Ordinal)) == Regs.Length, ct, "every registration is live");
            await NatsTestKit.WaitUntilAsync(() => sim.Simulator.Sessions.Count == withWork, ct, $"{withWork} KIS sessions are open");
            long[] sessions = [.. sim.Simulator.Sessions.Select(s => s.Id)];

            // NATS dies, and the gateway is told to stop, at the same moment.
            server.Kill();
            gw.Terminate();
            var took = Stopwatch.StartNew();
            await gw.WaitForExitAsync(ct);
            took.Stop();

            Assert.True(took.Elapsed <= StopTimeout + Teardown, $"exited {took.Elapsed.TotalSeconds:0.0} s after SIGTERM");
            Assert.Equal(CliApp.StoppedUnfinished, gw.ExitCode);
            Assert.Empty(sim.Simulator.Sessions);
            Assert.All(sessions, id => Assert.Contains($"Session {id} ended (clean close: True)", sim.Logs.AllText, StringComparison.Ordinal));
            Assert.Equal(withWork, gw.Lines.Count(l => l.Line.Contains(" session-closed ", StringComparison.Ordinal) && l.Line.EndsWith("gateway stopping", StringComparison.Ordinal)));
            Assert.Equal(withWork, gw.Lines.Count(l => Regex.IsMatch(l.Line, @" lease-left-to-expire k[0-9a-f]{16} not released \(NATS did not answer in time\): it expires by itself in about \d+ s")));
            Assert.Contains(gw.Lines, l => l.Line.Contains($"stopped - {withWork} session(s) closed, 0 lease(s) released, {withWork} left to expire by their TTL", StringComparison.Ordinal));
            Assert.Contains(gw.Lines, l => l.Line.Contains("the stop did not finish within --stop-timeout 10s", StringComparison.Ordinal) && l.Line.Contains("(exit code 3)", StringComparison.Ordinal));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException(ex.Message + "\n" + gw.Output, ex);
        }
    }

    [Fact]
    public async Task WithNatsUpASigtermReleasesEveryLeaseAfterClosingItsSessionAndExitsWith0()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(90);
        CancellationToken ct = deadline.Token;
        await using NatsServer server = await NatsServer.StartAsync(ct);
        await using ShareableSimulator sim = await ShareableSimulator.StartAsync(2, ct);
        await using var nats = NatsTestKit.Connect(server);
        await (await DesiredRegistrations.OpenAsync(NatsTestKit.Js(nats), NatsTestKit.Feed, ct)).AddAsync(Regs, ct);
        using GatewayProcess gw = GatewayProcess.StartCli("gw-clean", GatewayArgs(server.Url, sim.KeysFile));
        await NatsTestKit.WaitUntilAsync(() => gw.Lines.Count(l => l.Line.Contains(" registration-started ", StringComparison.Ordinal)) == Regs.Length, ct, "every registration is live");

        gw.Terminate();
        var took = Stopwatch.StartNew();
        await gw.WaitForExitAsync(ct);

        Assert.True(took.Elapsed <= StopTimeout + Teardown, $"exited {took.Elapsed.TotalSeconds:0.0} s after SIGTERM\n{gw.Output}");
        Assert.True(gw.ExitCode == 0, gw.Output);
        Assert.Empty(sim.Simulator.Sessions);
        AppKeyLeaseStore leases = await AppKeyLeaseStore.OpenAsync(NatsTestKit.Js(nats), NatsTestKit.Feed, ct);
        Assert.Empty(await leases.HoldersAsync(ct));
        Assert.Empty(await leases.LiveGatewaysAsync(ct));
        Assert.Contains(gw.Lines, l => Regex.IsMatch(l.Line, @" stopped - ([12]) session\(s\) closed, \1 lease\(s\) released, 0 left to expire by their TTL, 0 item\(s\) not published"));
    }

    [Fact]
    public async Task WithNatsUnreachableFromTheStartASigtermDuringTheConnectExitsAtOnceWith0AndNoKisSessionEverOpened()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(60);
        CancellationToken ct = deadline.Token;
        await using ShareableSimulator sim = await ShareableSimulator.StartAsync(2, ct);

        // Six servers that accept and never answer: a client waits its connect timeout (2 s) on each, 12 s in all.
        BlackHoleNats[] holes = [.. Enumerable.Range(0, 6).Select(_ => new BlackHoleNats())];
        try
        {
            using GatewayProcess gw = GatewayProcess.StartCli("gw-unreachable", GatewayArgs(string.Join(',', holes.Select(h => h.Url)), sim.KeysFile));
            await NatsTestKit.WaitUntilAsync(() => holes.Any(h => h.Accepted > 0), ct, "the gateway is connecting");
            Assert.Contains(gw.Lines, l => l.Line.Contains("waiting - connecting to NATS at nats://127.0.0.1:", StringComparison.Ordinal));

            gw.Terminate();
            var took = Stopwatch.StartNew();
            await gw.WaitForExitAsync(ct);

            Assert.True(took.Elapsed <= StopTimeout + Teardown, $"exited {took.Elapsed.TotalSeconds:0.0} s after SIGTERM\n{gw.Output}");
            Assert.True(gw.ExitCode == 0, $"exit code {gw.ExitCode}\n{gw.Output}");
            Assert.Equal(0, sim.Simulator.ApprovalsIssued);
            Assert.DoesNotContain("connected from", sim.Logs.AllText, StringComparison.Ordinal);
        }
        finally
        {
            foreach (BlackHoleNats h in holes)
            {
                h.Dispose();
            }
        }
    }

    [Fact]
    public async Task WithNoNatsListeningItExitsWith1NamingTheUrlAndOpensNoKisSession()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(60);
        CancellationToken ct = deadline.Token;
        await using ShareableSimulator sim = await ShareableSimulator.StartAsync(1, ct);
        var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        string url = $"nats://127.0.0.1:{((System.Net.IPEndPoint)closed.LocalEndpoint).Port}";
        closed.Stop(); // a port that was free a moment ago and is closed now

        using GatewayProcess gw = GatewayProcess.StartCli("gw-no-nats", GatewayArgs(url, sim.KeysFile));
        await gw.WaitForExitAsync(ct);

        Assert.Equal(1, gw.ExitCode);
        Assert.Contains(gw.Lines, l => l.Line.StartsWith($"stderr: kisfeed: Cannot connect to NATS at {url}: ", StringComparison.Ordinal) && l.Line.Contains("Start nats-server there", StringComparison.Ordinal));
        Assert.Equal(0, sim.Simulator.ApprovalsIssued);
        Assert.Empty(sim.Simulator.Sessions);
    }

    [Fact]
    public async Task ASecondSigtermExitsAtOnceWith143ButOneDeliveredTwiceAsTimeoutDoesIsOneStop()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(120);
        CancellationToken ct = deadline.Token;
        await using NatsServer server = await NatsServer.StartAsync(ct);
        await using ShareableSimulator sim = await ShareableSimulator.StartAsync(1, ct);
        await using (var nats = NatsTestKit.Connect(server))
        {
            await (await DesiredRegistrations.OpenAsync(NatsTestKit.Js(nats), NatsTestKit.Feed, ct)).AddAsync(Regs[..1], ct);
        }

        // `timeout` sends its SIGTERM to the process and again to the process group: the same request, one stop.
        using (GatewayProcess twice = GatewayProcess.StartCli("gw-twice", GatewayArgs(server.Url, sim.KeysFile)))
        {
            await NatsTestKit.WaitUntilAsync(() => twice.Lines.Any(l => l.Line.Contains(" ready ", StringComparison.Ordinal)), ct, "the gateway is ready");
            twice.Terminate();
            twice.Terminate();
            await twice.WaitForExitAsync(ct);
            Assert.True(twice.ExitCode == 0, twice.Output);
            Assert.Contains(twice.Lines, l => l.Line.Contains(" lease-released ", StringComparison.Ordinal));
        }

        // With NATS gone the stop would take its 10 s; a second SIGTERM half a second later ends it at once.
        using GatewayProcess gw = GatewayProcess.StartCli("gw-second", GatewayArgs(server.Url, sim.KeysFile));
        await NatsTestKit.WaitUntilAsync(() => gw.Lines.Any(l => l.Line.Contains(" ready ", StringComparison.Ordinal)), ct, "the gateway is ready");
        server.Kill();
        gw.Terminate();
        await NatsTestKit.WaitUntilAsync(() => gw.Lines.Any(l => l.Line.Contains(" session-closed ", StringComparison.Ordinal)), ct, "the stop closed the session");
        await Task.Delay(TimeSpan.FromMilliseconds(500), ct); // a second request, not the first delivered twice
        gw.Terminate();
        var took = Stopwatch.StartNew();
        await gw.WaitForExitAsync(ct);

        Assert.True(took.Elapsed <= Teardown, $"exited {took.Elapsed.TotalSeconds:0.0} s after the second SIGTERM\n{gw.Output}");
        Assert.Equal(143, gw.ExitCode);
        Assert.Contains(gw.Lines, l => l.Line == "stderr: kisfeed: second SIGTERM: exiting now, without finishing the stop (exit code 143).");
        Assert.Empty(sim.Simulator.Sessions);
    }

    internal static string[] GatewayArgs(string natsUrl, string keysFile) =>
    [
        "gateway", "--nats", natsUrl, "--app-keys", keysFile,
        "--lease-ttl", "5s", "--kis-silent-lifetime", "2s", "--renew-interval", "1s",
    ];
}
