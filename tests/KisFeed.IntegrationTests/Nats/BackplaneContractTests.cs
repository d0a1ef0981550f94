using KisFeed.Nats;
using KisFeed.TestKit;

namespace KisFeed.IntegrationTests.Nats;

/// <summary>
/// The in-memory backplane the virtual-time gateway tests use (<see cref="InMemoryBackplane"/>) keeps the semantics of
/// the JetStream one (<see cref="NatsBackplane"/> on a real nats-server): the same script of creates, renewals on a
/// revision, deletes, max-age expiry, presence and an unreachable server gives the same transcript on both.
/// </summary>
public sealed class BackplaneContractTests
{
    private static readonly NatsFeedOptions Feed = NatsTestKit.Feed; // T = 5 s, D = 2 s, R = 1 s (presence lives 3 s)

    [Fact]
    public async Task TheInMemoryBackplaneAnswersTheLeaseScriptAsJetStreamDoes()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(90);
        CancellationToken ct = deadline.Token;

        // On a real server, on the real clock.
        await using NatsServer server = await NatsServer.StartAsync(ct);
        await using var connA = NatsTestKit.Connect(server);
        await using var connB = NatsTestKit.Connect(server);
        List<string> real = await ScriptAsync(
            new NatsBackplane(connA, Feed, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance),
            new NatsBackplane(connB, Feed, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance),
            by => Task.Delay(by, ct),
            TimeProvider.System,
            () => server.Kill(),
            ct);

        // In memory, on a fake clock.
        var time = new ManualTime(new DateTimeOffset(2026, 12, 1, 0, 30, 0, TimeSpan.Zero));
        var nats = new InMemoryNats(time, Feed);
        List<string> memory = await ScriptAsync(
            new InMemoryBackplane(nats, time),
            new InMemoryBackplane(nats, time),
            by =>
            {
                time.Advance(by);
                return Task.CompletedTask;
            },
            time,
            () => nats.Reachable = false,
            ct,
            pump: time);

        Assert.Equal(real, memory);
        Assert.Equal(
        [
            "A acquires k1: yes", "B acquires k1: no", "A renews: Renewed, revision up", "leases: k1=A", "A valid: True",
            "A releases; leases: (none)", "B acquires k1: yes", "A renews its released lease: Lost",
            "live: A,B", "A leaves; live: B",
            "after T − D, B's lease valid: False", "after T, leases: (none)", "A acquires k1: yes", "B renews its expired lease: Lost",
            "after 3R, live: (none)",
            "server gone, A renews: unknown or cancelled",
        ], real);
    }

    private static async Task<List<string>> ScriptAsync(
        IGatewayBackplane a, IGatewayBackplane b, Func<TimeSpan, Task> pass, TimeProvider time, Action serverGone, CancellationToken ct, ManualTime? pump = null)
    {
        List<string> t = [];
        await a.OpenAsync(ct);
        await b.OpenAsync(ct);
        string Leases(IReadOnlyList<HeldLease> l) => l.Count == 0 ? "(none)" : string.Join(",", l.Select(x => $"{x.KeyId}={x.Holder}"));
        string Live(IReadOnlyList<string> l) => l.Count == 0 ? "(none)" : string.Join(",", l.Order(StringComparer.Ordinal));

        AppKeyLease? la = await a.TryAcquireAsync("k1", "A", ct);
        t.Add($"A acquires k1: {(la is null ? "no" : "yes")}");
        t.Add($"B acquires k1: {(await b.TryAcquireAsync("k1", "B", ct) is null ? "no" : "yes")}");
        ulong before = la!.Revision;
        t.Add($"A renews: {await a.RenewAsync(la, ct)}{(la.Revision > before ? ", revision up" : ", same revision")}");
        t.Add($"leases: {Leases(await a.LeasesAsync(ct))}");
        t.Add($"A valid: {la.IsValid}");
        await a.ReleaseAsync(la, ct);
        t.Add($"A releases; leases: {Leases(await b.LeasesAsync(ct))}");
        AppKeyLease? lb = await b.TryAcquireAsync("k1", "B", ct);
        t.Add($"B acquires k1: {(lb is null ? "no" : "yes")}");
        t.Add($"A renews its released lease: {await a.RenewAsync(la, ct)}");

        await a.HeartbeatAsync("A", ct);
        await b.HeartbeatAsync("B", ct);
        t.Add($"live: {Live(await a.LiveGatewaysAsync(ct))}");
        await a.LeaveAsync("A", ct);
        t.Add($"A leaves; live: {Live(await b.LiveGatewaysAsync(ct))}");

        // Nobody renews: the holder's own validity ends at T − D, the server forgets the lease at T.
        await pass(Feed.LeaseHoldWindow + TimeSpan.FromMilliseconds(300));
        t.Add($"after T − D, B's lease valid: {lb!.IsValid}");
        await pass(Feed.KisSilentSessionLifetime + TimeSpan.FromSeconds(1.5));
        t.Add($"after T, leases: {Leases(await a.LeasesAsync(ct))}");
        t.Add($"A acquires k1: {(await a.TryAcquireAsync("k1", "A", ct) is null ? "no" : "yes")}");
        t.Add($"B renews its expired lease: {await b.RenewAsync(lb, ct)}");
        t.Add($"after 3R, live: {Live(await a.LiveGatewaysAsync(ct))}");

        // NATS goes away: a renewal neither succeeds nor claims the lease is lost; it gives up when its token fires.
        serverGone();
        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(1.5), time);
        using ClockPump? moving = pump is null ? null : new ClockPump(pump);
        try
        {
            LeaseRenewal r = await a.RenewAsync(la, giveUp.Token);
            t.Add($"server gone, A renews: {(r == LeaseRenewal.Unknown ? "unknown or cancelled" : r.ToString())}");
        }
        catch (OperationCanceledException)
        {
            t.Add("server gone, A renews: unknown or cancelled");
        }

        return t;
    }
}
