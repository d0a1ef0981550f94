using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

using NATS.Client.Core;
using NATS.Client.JetStream;

namespace KisFeed.Nats;

/// <summary>
/// Runs KIS sessions for the app keys whose leases it holds, carries the registrations assigned to those keys and
/// publishes everything to JetStream. Any number of gateways may run against one NATS deployment.
/// </summary>
/// <remarks>
/// <para>The rules this class keeps (see also <see cref="NatsFeedOptions"/> and docs/scale-out.md):</para>
/// <list type="number">
/// <item>A KIS session exists only for a key whose lease this gateway holds; it is created after the lease is acquired.</item>
/// <item>Before anything is sent to KIS (a subscribe) the lease is checked; an invalid lease sends nothing.</item>
/// <item>A watchdog thread compares the monotonic clock with every lease's validity every
/// <see cref="NatsFeedOptions.LeaseCheckInterval"/>; a lease that ran out (missed renewals, or the process was frozen
/// and has just woken up) is dropped and its KIS session disposed at once, on that thread, before anything else is
/// done for the key. The client waits at least <see cref="ReconnectPolicy.MinimumGap"/> (5 s) before reconnecting after
/// a drop, far longer than the watchdog period, so a woken gateway never reconnects on a lost lease.</item>
/// <item>A refused renewal (the revision changed: the lease expired and was taken) is handled the same way.</item>
/// <item>Released leases are deleted on their revision only after the session is closed.</item>
/// <item>A registration that starts on a key publishes a gap from the last record stored for it today (a previous
/// holder may have died with records in flight) to the moment KIS accepted it here.</item>
/// </list>
/// </remarks>
public sealed partial class NatsGateway : IAsyncDisposable
{
    private readonly INatsConnection _nats;
    private readonly NatsJSContext _js;
    private readonly GatewayOptions _options;
    private readonly NatsFeedOptions _feed;
    private readonly ILogger _log;
    private readonly ILoggerFactory _loggerFactory;
    private readonly List<KeySlot> _slots;
    private readonly Lock _eventGate = new();
    private FeedPublisher? _publisher;
    private AppKeyLeaseStore? _leases;
    private DesiredRegistrations? _desired;
    private INatsJSStream? _stream;
    private Thread? _watchdog;
    private volatile bool _stopping;
    private long _gapIds;

    /// <summary>A gateway for <paramref name="keys"/> (every gateway of a deployment should be given the same keys).</summary>
    public NatsGateway(INatsConnection nats, IReadOnlyList<AppKeyCredential> keys, GatewayOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(nats);
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0)
        {
            throw new ArgumentException("At least one app key is needed.", nameof(keys));
        }

        _nats = nats;
        _js = new NatsJSContext(nats);
        _options = options ?? GatewayOptions.Default;
        _feed = _options.Feed;
        _feed.Validate();
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _log = _loggerFactory.CreateLogger<NatsGateway>();
        _slots = [.. keys.DistinctBy(k => k.Id).OrderBy(k => k.Id, StringComparer.Ordinal).Select(k => new KeySlot(k))];
    }

    /// <summary>Raised for every <see cref="GatewayEvent"/>, on the thread that did it (keep handlers short).</summary>
    public event Action<GatewayEvent>? Event;

    /// <summary>This gateway's id.</summary>
    public string GatewayId => _options.GatewayId;

    /// <summary>Ids of the keys whose leases are held now.</summary>
    public IReadOnlyList<string> HeldKeyIds => [.. _slots.Where(s => Volatile.Read(ref s.Lease) is { IsValid: true }).Select(s => s.Credential.Id)];

    /// <summary>Publisher counters (zero before <see cref="RunAsync"/>).</summary>
    public FeedPublisherStatistics PublisherStatistics => _publisher?.Statistics ?? new FeedPublisherStatistics(0, 0, 0, 0);

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled; then closes every session and releases every lease.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await FeedPublisher.EnsureStreamAsync(_js, _feed, cancellationToken).ConfigureAwait(false);
        _stream = await _js.GetStreamAsync(_feed.StreamName, cancellationToken: cancellationToken).ConfigureAwait(false);
        _leases = await AppKeyLeaseStore.OpenAsync(_js, _feed, cancellationToken).ConfigureAwait(false);
        _desired = await DesiredRegistrations.OpenAsync(_js, _feed, cancellationToken).ConfigureAwait(false);
        _publisher = new FeedPublisher(_js, _feed, _loggerFactory);
        _watchdog = new Thread(WatchdogLoop) { IsBackground = true, Name = "kisfeed-lease-watchdog" };
        _watchdog.Start();
        await _leases.HeartbeatAsync(GatewayId, cancellationToken).ConfigureAwait(false);
        Emit(GatewayEventKind.Started, string.Empty, $"gateway {GatewayId}: {_slots.Count} key(s), lease T={_feed.LeaseTtl.TotalSeconds:0.###}s, D={_feed.KisSilentSessionLifetime.TotalSeconds:0.###}s, R={_feed.LeaseRenewInterval.TotalSeconds:0.###}s");

        // Let gateways started together see each other before anyone takes keys (fair shares need the count).
        DateTimeOffset acquireFrom = DateTimeOffset.UtcNow + (_feed.LeaseRenewInterval * 2);
        using var timer = new PeriodicTimer(_feed.LeaseRenewInterval);
        try
        {
            do
            {
                try
                {
                    await TickAsync(DateTimeOffset.UtcNow >= acquireFrom, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is NatsException or TimeoutException or KisException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
                {
                    Log.StepFailed(_log, ex.Message);
                    Emit(GatewayEventKind.Error, string.Empty, ex.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            await StopAsync().ConfigureAwait(false);
        }
    }

    private async Task TickAsync(bool mayAcquire, CancellationToken ct)
    {
        AppKeyLeaseStore leases = _leases!;

        // 1. Renew what is held; the local validity is checked first (a woken gateway must not act on a dead lease).
        foreach (KeySlot slot in _slots)
        {
            AppKeyLease? lease = Volatile.Read(ref slot.Lease);
            if (lease is null)
            {
                continue;
            }

            if (!lease.IsValid)
            {
                Lose(slot, lease, "lease validity ran out (no acknowledged renewal within T−D)");
                continue;
            }

            if (await leases.RenewAsync(lease, ct).ConfigureAwait(false) == LeaseRenewal.Lost)
            {
                Lose(slot, lease, "renewal refused: the lease expired or changed hands");
            }
        }

        await leases.HeartbeatAsync(GatewayId, ct).ConfigureAwait(false);

        // 2. Who carries what: the same answer on every gateway.
        IReadOnlyList<Registration> desired = await _desired!.ListAsync(ct).ConfigureAwait(false);
        IReadOnlyDictionary<string, IReadOnlyList<Registration>> assignment =
            RegistrationAssignment.Assign(desired, _slots.Select(s => s.Credential.Id), _feed.RegistrationsPerKey, out _);
        int withWork = assignment.Count(p => p.Value.Count > 0);
        int live = Math.Max(1, (await leases.LiveGatewaysAsync(ct).ConfigureAwait(false)).Count);
        int share = Math.Min((withWork + live - 1) / live, _options.MaxKeys ?? int.MaxValue);

        // 3. Give back keys with no work, and one key a tick while above the fair share for two ticks in a row.
        List<KeySlot> held = [.. _slots.Where(s => Volatile.Read(ref s.Lease) is not null)];
        foreach (KeySlot slot in held.Where(s => assignment[s.Credential.Id].Count == 0).ToList())
        {
            await ReleaseAsync(slot, "no registrations assigned").ConfigureAwait(false);
            held.Remove(slot);
        }

        _overShareTicks = held.Count > share ? _overShareTicks + 1 : 0;
        if (_overShareTicks >= 2 && held.Count > 0)
        {
            KeySlot extra = held[^1];
            await ReleaseAsync(extra, $"rebalancing: {held.Count} keys held, fair share {share} of {withWork} over {live} gateway(s)").ConfigureAwait(false);
            held.Remove(extra);
            _overShareTicks = 0;
        }

        // 4. Take free keys that have work, up to the share.
        if (mayAcquire)
        {
            foreach (KeySlot slot in _slots)
            {
                if (held.Count >= share)
                {
                    break;
                }

                if (Volatile.Read(ref slot.Lease) is not null || assignment[slot.Credential.Id].Count == 0)
                {
                    continue;
                }

                AppKeyLease? lease = await leases.TryAcquireAsync(slot.Credential.Id, GatewayId, ct).ConfigureAwait(false);
                if (lease is null)
                {
                    continue;
                }

                lock (slot.Gate)
                {
                    slot.Lease = lease;
                    slot.SessionStop = new CancellationTokenSource();
                    slot.Client = new KisRealtimeClient(_options.Session with
                    {
                        AppKey = slot.Credential.AppKey,
                        AppSecret = slot.Credential.AppSecret,
                        ApprovalKey = null,
                        RetryInitialConnect = true,
                        MaxRegistrations = _feed.RegistrationsPerKey,
                        Reconnect = WithSafeGap(_options.Session.Reconnect),
                        ConnectGate = LeaseGate(slot, lease),
                    });
                }

                held.Add(slot);
                Log.LeaseAcquired(_log, slot.Credential.Id, GatewayId, lease.Revision);
                Emit(GatewayEventKind.LeaseAcquired, slot.Credential.Id, $"revision {lease.Revision}, valid {lease.Remaining.TotalSeconds:0.0}s without renewal");
            }
        }

        // 5. Bring each held key's registrations in line with the assignment.
        foreach (KeySlot slot in held)
        {
            Reconcile(slot, assignment[slot.Credential.Id]);
        }
    }

    private int _overShareTicks;

    /// <summary>
    /// The client asks this right before each connect and before it sends registrations on a new connection: the key
    /// may be used only while this lease is still the slot's and still valid on the monotonic clock (rules 2 and 3, from
    /// inside the client, so a freeze between an earlier check and the connect cannot reach KIS on a key that moved).
    /// </summary>
    private static Func<CancellationToken, ValueTask<bool>> LeaseGate(KeySlot slot, AppKeyLease lease) =>
        _ => ValueTask.FromResult(lease.IsValid && ReferenceEquals(Volatile.Read(ref slot.Lease), lease));

    /// <summary>
    /// Rule 4 relies on the client waiting after a drop longer than the watchdog needs to dispose it: the watchdog runs
    /// every 50 ms, and the client's dispose may wait up to 2 s for its supervisor before cancelling the reconnect
    /// delay. So a gateway's sessions never reconnect sooner than <see cref="MinimumReconnectGap"/> after a drop.
    /// </summary>
    public static readonly TimeSpan MinimumReconnectGap = TimeSpan.FromSeconds(5);

    private static ReconnectPolicy WithSafeGap(ReconnectPolicy policy) =>
        policy.MinimumGap >= MinimumReconnectGap ? policy : policy with { MinimumGap = MinimumReconnectGap, MaxDelay = policy.MaxDelay < MinimumReconnectGap ? MinimumReconnectGap : policy.MaxDelay };

    private void WatchdogLoop()
    {
        while (!_stopping)
        {
            foreach (KeySlot slot in _slots)
            {
                AppKeyLease? lease = Volatile.Read(ref slot.Lease);
                if (lease is not null && !lease.IsValid)
                {
                    Lose(slot, lease, "lease validity ran out (no acknowledged renewal within T−D)");
                }
            }

            Thread.Sleep(_feed.LeaseCheckInterval);
        }
    }

    /// <summary>Rule 3: drop the lease and close the key's KIS session, synchronously, before anything else.</summary>
    private void Lose(KeySlot slot, AppKeyLease lease, string reason)
    {
        Session? session;
        lock (slot.Gate)
        {
            if (!ReferenceEquals(slot.Lease, lease))
            {
                return;
            }

            session = slot.Take();
        }

        Log.LeaseLost(_log, slot.Credential.Id, reason);
        Emit(GatewayEventKind.LeaseLost, slot.Credential.Id, reason);
        session.Close(TimeSpan.FromSeconds(5));
        Emit(GatewayEventKind.SessionClosed, slot.Credential.Id, "closed after the lease was lost");
    }

    private async Task ReleaseAsync(KeySlot slot, string reason)
    {
        Session session;
        lock (slot.Gate)
        {
            if (slot.Lease is null)
            {
                return;
            }

            session = slot.Take();
        }

        session.Close(TimeSpan.FromSeconds(5));
        Emit(GatewayEventKind.SessionClosed, slot.Credential.Id, reason);
        if (session.Lease.IsValid)
        {
            try
            {
                await _leases!.ReleaseAsync(session.Lease, CancellationToken.None).ConfigureAwait(false);
                Log.LeaseReleased(_log, slot.Credential.Id);
                Emit(GatewayEventKind.LeaseReleased, slot.Credential.Id, reason);
            }
            catch (NatsException ex)
            {
                Emit(GatewayEventKind.Error, slot.Credential.Id, $"release failed (the lease will expire by itself): {ex.Message}");
            }
        }
    }

    private async Task StopAsync()
    {
        foreach (KeySlot slot in _slots)
        {
            await ReleaseAsync(slot, "gateway stopping").ConfigureAwait(false);
        }

        _stopping = true;
        if (_publisher is not null)
        {
            await _publisher.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await _leases!.LeaveAsync(GatewayId, cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NatsException or OperationCanceledException)
        {
        }

        Emit(GatewayEventKind.Stopped, string.Empty, "every session closed, every lease released");
    }

    private void Emit(GatewayEventKind kind, string keyId, string detail)
    {
        var e = new GatewayEvent(DateTimeOffset.UtcNow, kind, keyId, detail);
        lock (_eventGate)
        {
            Event?.Invoke(e);
        }
    }

    /// <summary>Stops like a cancelled <see cref="RunAsync"/> would if it is still running.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_stopping)
        {
            foreach (KeySlot slot in _slots)
            {
                Session? s;
                lock (slot.Gate)
                {
                    s = slot.Lease is null ? null : slot.Take();
                }

                s?.Close(TimeSpan.FromSeconds(5));
            }

            _stopping = true;
            if (_publisher is not null)
            {
                await _publisher.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private sealed class KeySlot(AppKeyCredential credential)
    {
        public AppKeyCredential Credential { get; } = credential;

        public Lock Gate { get; } = new();

        public AppKeyLease? Lease;

        public KisRealtimeClient? Client;

        public CancellationTokenSource? SessionStop;

        public Dictionary<Registration, CancellationTokenSource> Pumps { get; } = [];

        /// <summary>Takes everything of the current session out of the slot (call under <see cref="Gate"/>).</summary>
        public Session Take()
        {
            var s = new Session(Lease!, Client, SessionStop, [.. Pumps.Values]);
            Volatile.Write(ref Lease, null);
            Client = null;
            SessionStop = null;
            Pumps.Clear();
            return s;
        }
    }

    private sealed record Session(AppKeyLease Lease, KisRealtimeClient? Client, CancellationTokenSource? Stop, List<CancellationTokenSource> Pumps)
    {
        /// <summary>
        /// Disposes the client first (its socket closes and nothing more can be sent on it), then stops the pumps;
        /// waits at most <paramref name="timeout"/> for the client.
        /// </summary>
        public void Close(TimeSpan timeout)
        {
            if (Client is not null)
            {
                Task dispose = Client.DisposeAsync().AsTask();
                dispose.Wait(timeout);
            }

            Stop?.Cancel();
            Stop?.Dispose();
        }
    }
}
