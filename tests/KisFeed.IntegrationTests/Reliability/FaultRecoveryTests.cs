using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

using KisFeed.IntegrationTests.Client;
using KisFeed.IntegrationTests.Simulator;
using KisFeed.Simulator;

using Microsoft.Extensions.Logging;

namespace KisFeed.IntegrationTests.Reliability;

/// <summary>Recovery from each fault the simulator injects, with deadlines and no sleeps.</summary>
public sealed class FaultRecoveryTests
{
    [Fact]
    public async Task DuringAnAppKeyLockoutReconnectAttemptsStayBoundedByTheBackoff()
    {
        using CancellationTokenSource deadline = ClientTestKit.Deadline(30);
        CancellationToken ct = deadline.Token;
        TimeSpan lockout = TimeSpan.FromSeconds(2);
        await using KisSimulator sim = await KisSimulator.StartAsync(ClientTestKit.Sim with { AppKeyLockAfterAbnormalClose = lockout }, ct);
        await using var client = new KisRealtimeClient(ClientTestKit.Options(sim));
        var connecting = new ConcurrentQueue<(DateTimeOffset At, ConnectionStateChangedEventArgs E)>();
        var gaps = new ConcurrentQueue<DataGapEventArgs>();
        client.StateChanged += (_, e) => connecting.Enqueue((DateTimeOffset.UtcNow, e));
        client.DataGap += (_, e) => gaps.Enqueue(e);
        await using IKisSubscription<ProgramTrade> sub = await client.SubscribeAsync(Registration.Of(["005930"], [Venue.Nxt]), cancellationToken: ct);
        await ClientTestKit.ReadUntilAsync(sub, s => s.Count >= 3, ct, "data before the fault");

        connecting.Clear();
        var clock = Stopwatch.StartNew();
        await sim.DropAllSessionsAsync(DropMode.Abort); // abnormal close: the app key is "ALREADY IN USE" for 2 s
        await ClientTestKit.WaitUntilAsync(() => !gaps.IsEmpty, ct, "recovery after the lockout");
        TimeSpan recovered = clock.Elapsed;
        await ClientTestKit.ReadUntilAsync(sub, s => s.Count >= 3, ct, "data after the lockout");

        int attempts = connecting.Count(c => c.E.Current == ConnectionState.Connecting);
        ReconnectPolicy p = ClientTestKit.FastReconnect;
        // After the first OPSP8996 every wait is at least AppKeyInUseDelay × (1 − jitter); a tight loop would make hundreds.
        double minWaitMs = p.AppKeyInUseDelay.TotalMilliseconds * (1 - p.Jitter);
        int bound = (int)Math.Ceiling(recovered.TotalMilliseconds / minWaitMs) + 2;
        Assert.InRange(attempts, 2, bound);
        Assert.True(recovered >= lockout - TimeSpan.FromMilliseconds(100), $"recovered after {recovered} inside a {lockout} lockout?");
        Assert.All(
            connecting.Where(c => c.E.Current == ConnectionState.Reconnecting && c.E.Reason.Contains("OPSP8996", StringComparison.Ordinal)),
            c => Assert.True(c.E.NextAttemptIn >= TimeSpan.FromMilliseconds(minWaitMs), $"waited only {c.E.NextAttemptIn} after OPSP8996"));
        Assert.Contains(connecting, c => c.E.Reason.Contains("OPSP8996", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheGapOfASilentStallStartsWhenTheServerWentQuietNotWhenTheWatchdogNoticed()
    {
        // Regression: the gap used to start when the watchdog fired (IdleTimeout late), hiding the first part of the outage.
        using CancellationTokenSource deadline = ClientTestKit.Deadline(30);
        CancellationToken ct = deadline.Token;
        await using KisSimulator sim = await KisSimulator.StartAsync(ClientTestKit.Sim, ct);
        await using var client = new KisRealtimeClient(ClientTestKit.Options(sim) with { IdleTimeout = TimeSpan.FromSeconds(1) });
        var gaps = new ConcurrentQueue<DataGapEventArgs>();
        client.DataGap += (_, e) => gaps.Enqueue(e);
        await using IKisSubscription<ProgramTrade> sub = await client.SubscribeAsync(Registration.Of(["005930"], [Venue.Krx]), cancellationToken: ct);
        await ClientTestKit.ReadUntilAsync(sub, s => s.Count >= 5, ct, "data before the stall");

        DateTimeOffset stalledAt = DateTimeOffset.UtcNow;
        sim.Stall(true);
        await ClientTestKit.WaitUntilAsync(() => client.State != ConnectionState.Connected, ct, "the watchdog");
        sim.Stall(false);
        await ClientTestKit.WaitUntilAsync(() => !gaps.IsEmpty, ct, "the gap");
        DataGapEventArgs gap = Assert.Single(gaps);
        Assert.True(gap.From <= stalledAt + TimeSpan.FromMilliseconds(100), $"gap starts {gap.From:HH:mm:ss.fff}, the server went quiet at {stalledAt:HH:mm:ss.fff}");
        Assert.True(gap.From >= stalledAt - TimeSpan.FromSeconds(1), $"gap starts {gap.From:HH:mm:ss.fff}, too early");
        Assert.Contains("watchdog", gap.Reason, StringComparison.Ordinal);
        Assert.Equal([new Registration(Venue.Krx, "005930")], gap.Registrations);
        await ClientTestKit.ReadUntilAsync(sub, s => s.Count >= 3, ct, "data after the stall");
    }

    [Theory]
    [InlineData(ControlReplyFault.Delay)]
    [InlineData(ControlReplyFault.Duplicate)]
    [InlineData(ControlReplyFault.Drop)]
    public async Task ControlReplyFaultsDuringTheRestoreAreRecoveredFrom(ControlReplyFault fault)
    {
        using CancellationTokenSource deadline = ClientTestKit.Deadline(30);
        CancellationToken ct = deadline.Token;
        await using KisSimulator sim = await KisSimulator.StartAsync(ClientTestKit.Sim, ct);
        await using var client = new KisRealtimeClient(ClientTestKit.Options(sim) with { ReplyTimeout = TimeSpan.FromMilliseconds(600) });
        var gaps = new ConcurrentQueue<DataGapEventArgs>();
        client.DataGap += (_, e) => gaps.Enqueue(e);
        Registration[] all = [new(Venue.Krx, "005930"), new(Venue.Krx, "000660"), new(Venue.Nxt, "005930")];
        await using IKisSubscription<ProgramTrade> sub = await client.SubscribeAsync(Registration.Of(["005930", "000660"], [Venue.Krx, Venue.Nxt]), cancellationToken: ct);
        await ClientTestKit.ReadUntilAsync(sub, s => s.Count >= 3, ct, "data before");

        // Delay: 1 s, longer than the reply timeout. Drop/Duplicate: the first replies of the restore.
        sim.InjectControlReplyFault(fault, count: 2, delay: TimeSpan.FromSeconds(1));
        await sim.DropAllSessionsAsync(DropMode.Abort);
        await ClientTestKit.WaitUntilAsync(() => !gaps.IsEmpty, ct, "registrations restored");
        Assert.Equal(2, sim.ControlReplyFaultsApplied);
        Assert.Equal(4, gaps.Last().Registrations.Count);
        Assert.Superset(all.ToHashSet(), gaps.Last().Registrations.ToHashSet());
        await ClientTestKit.WaitUntilAsync(() => sim.Sessions.Count == 1 && sim.Sessions[0].Registrations.Count == 4, ct, "the server holds all four");
        await ClientTestKit.ReadUntilAsync(sub, s => s.Select(t => (t.Venue, t.Code)).Distinct().Count() == 4, ct, "data for all four again");
    }

    [Fact]
    public async Task ALostReplyToALiveSubscribeIsATimeoutAndARetrySucceeds()
    {
        using CancellationTokenSource deadline = ClientTestKit.Deadline(30);
        CancellationToken ct = deadline.Token;
        await using KisSimulator sim = await KisSimulator.StartAsync(ClientTestKit.Sim, ct);
        await using var client = new KisRealtimeClient(ClientTestKit.Options(sim) with { ReplyTimeout = TimeSpan.FromMilliseconds(500) });
        await client.ConnectAsync(ct);
        sim.InjectControlReplyFault(ControlReplyFault.Drop);
        KisException ex = await Assert.ThrowsAsync<KisException>(() => client.SubscribeAsync(Registration.Of(["005930"], [Venue.Krx]), cancellationToken: ct));
        Assert.Contains("H0STPGM0/005930", ex.Message, StringComparison.Ordinal);
        Assert.IsType<TimeoutException>(ex.InnerException);
        Assert.True(ex.IsTransient);
        Assert.Equal(ConnectionState.Connected, client.State);

        // The server did register it; the retry gets OPSP0002 ALREADY IN SUBSCRIBE, which is success.
        await using IKisSubscription<ProgramTrade> sub = await client.SubscribeAsync(Registration.Of(["005930"], [Venue.Krx]), cancellationToken: ct);
        await ClientTestKit.ReadUntilAsync(sub, s => s.Count >= 3, ct, "data after the retry");
    }

    [Fact]
    public async Task TheSimulatorRefusesAnApprovalKeyIssuedForAnotherAppKey()
    {
        using CancellationTokenSource deadline = ClientTestKit.Deadline(20);
        CancellationToken ct = deadline.Token;
        var other = new SimulatorCredential("PSOTHER-SIMULATOR-APPKEY-00000000002", new string('s', 180));
        await using KisSimulator sim = await KisSimulator.StartAsync(SimTestKit.Quiet with { Credentials = [SimulatorCredential.Demo, other] }, ct);
        string mine = await SimTestKit.ApprovalKeyAsync(sim, ct);
        string theirs = await SimTestKit.ApprovalKeyAsync(sim, ct, other);
        await using RawKisSocket ws = await RawKisSocket.ConnectAsync(sim, ct);
        using (JsonDocument ok = await ws.RequestAsync(SimTestKit.SubscribeJson(mine, "H0STPGM0", "005930"), ct))
        {
            Assert.Equal("OPSP0000", ok.RootElement.GetProperty("body").GetProperty("msg_cd").GetString());
        }

        using JsonDocument refused = await ws.RequestAsync(SimTestKit.SubscribeJson(theirs, "H0STPGM0", "000660"), ct);
        Assert.Equal("OPSP0011", refused.RootElement.GetProperty("body").GetProperty("msg_cd").GetString());
        Assert.Single(Assert.Single(sim.Sessions).Registrations);
    }

    [Fact]
    public async Task LogsOfErrorPathsFromClientAndSimulatorHoldNoSecret()
    {
        using CancellationTokenSource deadline = ClientTestKit.Deadline(40);
        CancellationToken ct = deadline.Token;
        var logs = new CapturingLoggerProvider();
        using ILoggerFactory shared = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        await using KisSimulator sim = await KisSimulator.StartAsync(ClientTestKit.Sim with
        {
            LoggerFactory = shared,
            AppKeyLockAfterAbnormalClose = TimeSpan.FromMilliseconds(500),
        }, ct);
        KisOptions options = ClientTestKit.Options(sim) with { LoggerFactory = shared, ReplyTimeout = TimeSpan.FromMilliseconds(600), IdleTimeout = TimeSpan.FromMilliseconds(800) };
        using var issued = new KisFeed.TestKit.ApprovalKeyRecorder(); // every approval key the server hands out
        options = options with { HttpHandler = issued };

        // Wrong secret: a credential error.
        await using (var wrong = new KisRealtimeClient(options with { AppSecret = SimulatorCredential.Demo.AppSecret[..^4] + "XXXX" }))
        {
            await Assert.ThrowsAnyAsync<KisException>(() => wrong.ConnectAsync(ct));
        }

        await using (var client = new KisRealtimeClient(options))
        {
            var gaps = new ConcurrentQueue<DataGapEventArgs>();
            client.DataGap += (_, e) => gaps.Enqueue(e);
            await using IKisSubscription<ProgramTrade> sub = await client.SubscribeAsync(Registration.Of(["005930"], [Venue.Nxt]), cancellationToken: ct);

            // A second client on the same app key: OPSP8996.
            await using (var second = new KisRealtimeClient(options))
            {
                await using IKisSubscription<ProgramTrade> refused = await second.SubscribeAsync([new Registration(Venue.Nxt, "000660")], cancellationToken: ct);
                Assert.Equal("OPSP8996", Assert.Single(refused.Registrations).ErrorCode);
            }

            // Invalid approval key (echoed in the server's msg1), lockout after an abort, a lost reply, a stall, malformed frames.
            sim.InvalidateApprovalKeys();
            await sim.DropAllSessionsAsync(DropMode.Abort);
            await ClientTestKit.WaitUntilAsync(() => gaps.Count >= 1, ct, "recovery 1");
            sim.InjectControlReplyFault(ControlReplyFault.Drop);
            await sim.DropAllSessionsAsync(DropMode.CloseError);
            await ClientTestKit.WaitUntilAsync(() => gaps.Count >= 2, ct, "recovery 2");
            sim.Stall(true);
            await ClientTestKit.WaitUntilAsync(() => client.State != ConnectionState.Connected, ct, "watchdog");
            sim.Stall(false);
            await ClientTestKit.WaitUntilAsync(() => gaps.Count >= 3, ct, "recovery 3");
            foreach ((string _, byte[] bytes) in MalformedFrames.Broken())
            {
                await sim.SendRawAsync(bytes);
            }

            await ClientTestKit.ReadUntilAsync(sub, s => s.Count >= 3, ct, "data at the end");
        }

        string all = logs.AllText;
        Assert.Contains(logs.Lines, l => l.Contains("KisSimulator", StringComparison.Ordinal)); // the simulator shared the logger
        Assert.Contains("OPSP0011", all, StringComparison.Ordinal);
        Assert.Contains("OPSP8996", all, StringComparison.Ordinal);
        Assert.Contains("EGW00105", all, StringComparison.Ordinal);
        Assert.DoesNotContain(SimulatorCredential.Demo.AppSecret, all, StringComparison.Ordinal);
        Assert.DoesNotContain(SimulatorCredential.Demo.AppSecret[..^4] + "XXXX", all, StringComparison.Ordinal);
        Assert.DoesNotContain(SimulatorCredential.Demo.AppKey, all, StringComparison.Ordinal);
        foreach (string key in issued.Keys.Distinct())
        {
            Assert.DoesNotContain(key, all, StringComparison.Ordinal);
        }

        Assert.True(issued.Keys.Distinct().Count() >= 2, "the approval key was renewed");
    }
}
