using System.Collections.Concurrent;

using KisFeed.Nats;
using KisFeed.TestKit;

using Microsoft.Extensions.Logging;

namespace KisFeed.Tests.Nats;

/// <summary>
/// Gateways on virtual time: one <see cref="ManualTime"/> for everything, an <see cref="InMemoryNats"/> (leases with
/// NATS KV's semantics and max age, presence, desired set, stream), and <see cref="FakeKis"/> on the in-memory
/// transport. The production lease timings by default (T = 360 s, D = 300 s, R = 15 s). The test moves the clock in
/// small steps with <see cref="StepAsync"/>, which after each step waits until every gateway is waiting for its next
/// round or blocked on NATS; nothing waits on the wall clock except each wait's safety deadline.
/// </summary>
internal sealed class GatewayRig : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 12, 1, 0, 30, 0, TimeSpan.Zero); // 09:30 KST

    private readonly CancellationTokenSource _deadline;

    public GatewayRig(int keys = 1, NatsFeedOptions? feed = null, double deadlineSeconds = 60)
    {
        _deadline = Wait.Deadline(TestContext.Current.CancellationToken, deadlineSeconds);
        Feed = feed ?? NatsFeedOptions.Default;
        Nats = new InMemoryNats(Time, Feed);
        Kis = new FakeKis(Time);
        Keys = [.. Enumerable.Range(1, keys).Select(i => new AppKeyCredential($"PSTEST-GATEWAY-APPKEY-{i:D14}", $"TEST-GATEWAY-APPSECRET-{i:D4}-" + new string('0', 40)))];
    }

    /// <summary>The clock moves this much per step (the watchdog, every 50 ms, sees at most this late).</summary>
    public static readonly TimeSpan Step = TimeSpan.FromMilliseconds(250);

    public ManualTime Time { get; } = new(Start);

    public NatsFeedOptions Feed { get; }

    public InMemoryNats Nats { get; }

    public FakeKis Kis { get; }

    public IReadOnlyList<AppKeyCredential> Keys { get; }

    public CancellationToken Ct => _deadline.Token;

    public List<Member> Gateways { get; } = [];

    public CapturingLogs Logs { get; } = new();

    /// <summary>Registrations that give every key work: for each key, the first code whose registration is assigned to it.</summary>
    public IReadOnlyList<Registration> OnePerKey()
    {
        var wanted = Keys.Select(k => k.Id).ToHashSet();
        var picked = new Dictionary<string, Registration>();
        for (int i = 0; picked.Count < wanted.Count && i < 10_000; i++)
        {
            var r = new Registration(Venue.Nxt, (100000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture));
            var one = RegistrationAssignment.Assign([.. picked.Values, r], wanted, Feed.RegistrationsPerKey, out _);
            string key = one.Single(p => p.Value.Contains(r)).Key;
            if (!picked.ContainsKey(key) && one.All(p => p.Value.Count <= 1))
            {
                picked[key] = r;
            }
        }

        return [.. picked.Values];
    }

    /// <summary>When <paramref name="owner"/> first wrote the lease of <paramref name="keyId"/> (its create), server time.</summary>
    public DateTimeOffset AcquiredAt(string keyId, string owner) =>
        Nats.Leases.History.First(e => e.Key == keyId && e.Text == owner).Created;

    /// <summary>The key id that carries <paramref name="r"/> (the same answer as every gateway's).</summary>
    public string KeyOf(Registration r) =>
        RegistrationAssignment.Assign(Nats.Desired, Keys.Select(k => k.Id), Feed.RegistrationsPerKey, out _).Single(p => p.Value.Contains(r)).Key;

    /// <summary>Starts a gateway named <paramref name="id"/> on its own backplane connection.</summary>
    public Member StartGateway(string id, TimeSpan? stopTimeout = null, Action<GatewayEvent>? handler = null)
    {
        var backplane = new InMemoryBackplane(Nats, Time);
        var options = GatewayOptions.Default with
        {
            GatewayId = id,
            Feed = Feed,
            TimeProvider = Time,
            StopTimeout = stopTimeout ?? GatewayOptions.Default.StopTimeout,
            Session = KisOptions.Default with
            {
                WebSocketUri = new Uri("ws://kis.test:21000/tryitout"),
                RestUri = new Uri("http://kis.test:9443"),
                Transport = Kis.Transport,
                HttpHandler = Kis.Approvals,
                HealGaps = false,
                IdleTimeout = Timeout.InfiniteTimeSpan,
                ReplyTimeout = TimeSpan.FromHours(1), // the clock moves in steps while a reply is on its way in real time
                ConnectTimeout = TimeSpan.FromHours(1),
                Reconnect = ReconnectPolicy.Default with { Jitter = 0 },
            },
        };
        var gateway = new NatsGateway(backplane, Keys, options, LoggerFactory.Create(b => b.AddProvider(Logs).SetMinimumLevel(LogLevel.Debug)));
        var events = new ConcurrentQueue<GatewayEvent>();
        gateway.Event += events.Enqueue;
        if (handler is not null)
        {
            gateway.Event += handler;
        }

        var stop = new CancellationTokenSource();
        var member = new Member(id, gateway, backplane, events, gateway.RunAsync(stop.Token), stop);
        Gateways.Add(member);
        return member;
    }

    /// <summary>Moves the clock by <paramref name="span"/> in steps, letting every gateway catch up after each.</summary>
    public async Task StepAsync(TimeSpan span)
    {
        for (TimeSpan moved = TimeSpan.Zero; moved < span; moved += Step)
        {
            Time.Advance(span - moved < Step ? span - moved : Step);
            await QuietAsync();
        }
    }

    /// <summary>Steps the clock until <paramref name="condition"/> holds; fails when it does not within <paramref name="within"/> of virtual time.</summary>
    public async Task<TimeSpan> StepUntilAsync(Func<bool> condition, TimeSpan within, string what)
    {
        DateTimeOffset from = Time.GetUtcNow();
        await QuietAsync();
        while (!condition())
        {
            if (Time.GetUtcNow() - from >= within)
            {
                throw new TimeoutException($"{what}: not within {within.TotalSeconds:0.###} s of virtual time\n{Describe()}");
            }

            Time.Advance(Step);
            await QuietAsync();
        }

        return Time.GetUtcNow() - from;
    }

    /// <summary>Waits (real time, with the deadline) for something that needs no clock movement: a connect, a reply, a pump.</summary>
    public Task UntilAsync(Func<bool> condition, string what) => Wait.UntilAsync(condition, Ct, what);

    /// <summary>
    /// Until every running gateway waits for its next round (not yet due) or is blocked on NATS, with no session close
    /// under way (a close runs in real time: the clock must not run ahead of it).
    /// </summary>
    public async Task QuietAsync()
    {
        await Wait.UntilAsync(
            () => Gateways.All(m => m.Run.IsCompleted || (m.Gateway.SessionsClosing == 0 && (m.Backplane.Waiting > 0
                || (m.Gateway.IsIdle && m.Gateway.NextRoundAt > Time.GetTimestamp())))),
            Ct,
            "every gateway is waiting for its next round");
        await Task.Yield();
    }

    public string Describe() =>
        $"virtual {Time.GetUtcNow():HH:mm:ss.fff}; holders {string.Join(", ", Nats.Holders.Select(h => $"{h.Key}={h.Value}"))}; KIS connections: " +
        string.Join("; ", Kis.Connections.Select(c => $"{c.KeyId} {c.ConnectedAt:HH:mm:ss.fff}-{(c.Ended ? c.EndedAt?.ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture) : "open")}")) + "\n" +
        string.Join("\n", Gateways.Select(m => $"--- {m.Id} (run {m.Run.Status}, idle {m.Gateway.IsIdle}, NATS calls waiting {m.Backplane.Waiting}, closing {m.Gateway.SessionsClosing}):\n" + string.Join("\n", m.Events.Select(e => $"{e.At:HH:mm:ss.fff} {e.Kind} {e.KeyId} {e.Detail}")))) + "\n--- log:\n" + Logs.AllText;

    public async ValueTask DisposeAsync()
    {
        foreach (Member m in Gateways)
        {
            m.Backplane.Cut = false;
        }

        Nats.Reachable = true;
        using var pump = new ClockPump(Time);
        foreach (Member m in Gateways)
        {
            await m.Stop.CancelAsync();
            try
            {
                await m.Run.WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
            {
            }

            m.Stop.Dispose();
        }

        await Kis.DisposeAsync();
        _deadline.Dispose();
    }

    /// <summary>One gateway of the rig.</summary>
    internal sealed record Member(string Id, NatsGateway Gateway, InMemoryBackplane Backplane, ConcurrentQueue<GatewayEvent> Events, Task<GatewayStopReport> Run, CancellationTokenSource Stop)
    {
        public IEnumerable<GatewayEvent> Of(GatewayEventKind kind) => Events.Where(e => e.Kind == kind);
    }
}
