using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

using NATS.Client.Core;

namespace KisFeed.Nats;

/// <summary>
/// Runs KIS sessions for the app keys whose leases it holds, carries the registrations assigned to those keys and
/// publishes everything to JetStream. Any number of gateways may run against one NATS deployment.
/// </summary>
/// <remarks>
/// <para>The rules this class keeps (see also <see cref="NatsFeedOptions"/> and docs/scale-out.md):</para>
/// <list type="number">
/// <item>A KIS session exists only for a key whose lease this gateway holds; it is created after the lease is acquired.</item>
/// <item>Before anything is sent to KIS (a connect, a subscribe) the lease is checked; an invalid lease sends nothing.</item>
/// <item>A watchdog timer compares the monotonic clock with every lease's validity every
/// <see cref="NatsFeedOptions.LeaseCheckInterval"/>; a lease that ran out (missed renewals, or the process was frozen
/// and has just woken up) is dropped and the close of its KIS session begun at once, in that callback, before anything
/// else is done for the key. The client waits at least <see cref="MinimumReconnectGap"/> (5 s) before reconnecting
/// after a drop, far longer than the watchdog period, and asks the lease check before every connect, so a woken gateway
/// never reconnects on a lost lease.</item>
/// <item>A refused renewal (the revision changed: the lease expired and was taken) is handled the same way.</item>
/// <item>Released leases are deleted on their revision only after the session is closed.</item>
/// <item>A registration that starts on a key publishes a gap from the last record stored for it today (a previous
/// holder may have died with records in flight) to the moment KIS accepted it here.</item>
/// </list>
/// <para>Ownership, as in the core: every task is tracked and awaited on stop (the lease loop, each session's pumps,
/// each close); time comes from <see cref="GatewayOptions.TimeProvider"/>; events are raised one at a time on their
/// own task (<see cref="Event"/>); and there is one stop, whichever way it is asked for (cancelling
/// <see cref="RunAsync"/>, <see cref="StopAsync"/>, <see cref="DisposeAsync"/>), bounded by
/// <see cref="GatewayOptions.StopTimeout"/> whatever NATS does.</para>
/// </remarks>
public sealed partial class NatsGateway : IAsyncDisposable
{
    private const int EventQueueCapacity = 4096;
    private static readonly TimeSpan MaxSessionCloseBudget = TimeSpan.FromSeconds(5);

    private readonly IGatewayBackplane _backplane;
    private readonly GatewayOptions _options;
    private readonly NatsFeedOptions _feed;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly List<KeySlot> _slots;
    private readonly GatewayEventDispatcher _events;
    private readonly GatewayMetrics _metrics;
    private readonly CancellationTokenSource _runStop = new();
    private readonly Lock _lifecycle = new();
    private readonly HashSet<Task> _closings = [];
    private readonly long _createdAt;
    private Task? _loop;
    private Task<GatewayStopReport>? _stop;
    private ITimer? _watchdog;
    private volatile bool _stopping;
    private volatile bool _announced;
    private volatile bool _idle;
    private int _ready;
    private int _overShareTicks;
    private long _gapIds;
    private long _ticks;
    private long _nextRound;

    /// <summary>A gateway for <paramref name="keys"/> (every gateway of a deployment should be given the same keys).</summary>
    public NatsGateway(INatsConnection nats, IReadOnlyList<AppKeyCredential> keys, GatewayOptions? options = null, ILoggerFactory? loggerFactory = null)
        : this(Backplane(nats, options, loggerFactory), keys, options, loggerFactory)
    {
    }

    /// <summary>A gateway on any backplane (tests: an in-memory one on virtual time).</summary>
    internal NatsGateway(IGatewayBackplane backplane, IReadOnlyList<AppKeyCredential> keys, GatewayOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(backplane);
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0)
        {
            throw new ArgumentException("At least one app key is needed.", nameof(keys));
        }

        _options = options ?? GatewayOptions.Default;
        _options.Validate();
        _feed = _options.Feed;
        _time = _options.TimeProvider;
        _backplane = backplane;
        ILoggerFactory loggers = loggerFactory ?? NullLoggerFactory.Instance;
        _log = loggers.CreateLogger<NatsGateway>();
        _slots = [.. keys.DistinctBy(k => k.Id).OrderBy(k => k.Id, StringComparer.Ordinal).Select(k => new KeySlot(k))];
        _metrics = new GatewayMetrics(_options.GatewayId);
        _events = new GatewayEventDispatcher(e => Event?.Invoke(e), _log, EventQueueCapacity, _metrics.EventDropped);
        _createdAt = _time.GetTimestamp();
    }

    private static NatsBackplane Backplane(INatsConnection nats, GatewayOptions? options, ILoggerFactory? loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(nats);
        GatewayOptions o = options ?? GatewayOptions.Default;
        return new NatsBackplane(nats, o.Feed, o.TimeProvider, loggerFactory ?? NullLoggerFactory.Instance, o.Simulated);
    }

    /// <summary>
    /// Raised for every <see cref="GatewayEvent"/>, in order, one at a time, on the gateway's event task: never on the
    /// lease loop or a pump, so a slow handler delays no renewal. If handlers fall 4096 events behind, the oldest are
    /// dropped (metric <c>kisfeed.gateway.events.dropped</c>).
    /// </summary>
    public event Action<GatewayEvent>? Event;

    /// <summary>This gateway's id.</summary>
    public string GatewayId => _options.GatewayId;

    /// <summary>Ids of the keys whose leases are held now.</summary>
    public IReadOnlyList<string> HeldKeyIds => [.. _slots.Where(s => Volatile.Read(ref s.Session) is { Lease.IsValid: true }).Select(s => s.Credential.Id)];

    /// <summary>Publisher counters (zero before <see cref="RunAsync"/>).</summary>
    public FeedPublisherStatistics PublisherStatistics => _backplane.Statistics;

    /// <summary>Lease-loop rounds completed (tests on virtual time wait on it).</summary>
    internal long CompletedTicks => Interlocked.Read(ref _ticks);

    /// <summary>True while the lease loop waits for its next round (tests on virtual time move the clock then).</summary>
    internal bool IsIdle => _idle;

    /// <summary>Sessions whose close (after a lost lease) is still under way.</summary>
    internal int SessionsClosing
    {
        get
        {
            lock (_closings)
            {
                return _closings.Count;
            }
        }
    }

    /// <summary>When the next round is due (a timestamp of the gateway's clock), while <see cref="IsIdle"/>.</summary>
    internal long NextRoundAt => Interlocked.Read(ref _nextRound);

    /// <summary>
    /// Runs until <paramref name="cancellationToken"/> is cancelled or <see cref="StopAsync"/> is called, then stops
    /// (see <see cref="StopAsync"/>) and returns how the stop went. A failure to open the stream or buckets is thrown,
    /// after the stop.
    /// </summary>
    public async Task<GatewayStopReport> RunAsync(CancellationToken cancellationToken)
    {
        Task loop;
        lock (_lifecycle)
        {
            if (_loop is not null)
            {
                throw new InvalidOperationException("RunAsync runs once per gateway.");
            }

            loop = _stop is null ? LoopAsync(_runStop.Token) : Task.CompletedTask;
            _loop = loop;
        }

        Exception? failure = null;
        using (cancellationToken.Register(static s => ((NatsGateway)s!).RequestStop(), this))
        {
            try
            {
                await loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_runStop.IsCancellationRequested)
            {
            }
#pragma warning disable CA1031 // Rethrown below, once the stop has closed everything.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failure = ex;
            }
        }

        GatewayStopReport report = await StopAsync().ConfigureAwait(false);
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }

        return report;
    }

    private void RequestStop() => _ = StopAsync();

    /// <summary>
    /// Stops, within <see cref="GatewayOptions.StopTimeout"/> whatever NATS does: first every KIS session is closed
    /// (nothing may linger at KIS), then one attempt is made to release the leases, remove this gateway's presence and
    /// publish what is queued. Leases that could not be released expire by their TTL (logged, and counted in the
    /// report). Every caller — cancelled <see cref="RunAsync"/>, this method, <see cref="DisposeAsync"/> — gets the one stop.
    /// </summary>
    public Task<GatewayStopReport> StopAsync()
    {
        lock (_lifecycle)
        {
            _stop ??= Task.Run(StopCoreAsync);
            return _stop;
        }
    }

    /// <summary>Stops (<see cref="StopAsync"/>) if that has not happened yet.</summary>
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private async Task LoopAsync(CancellationToken ct)
    {
        Emit(GatewayEventKind.Waiting, string.Empty, $"opening the stream {_feed.StreamName} and the lease buckets on NATS; no key is taken before that");
        await _backplane.OpenAsync(ct).ConfigureAwait(false);
        ITimer watchdog = _time.CreateTimer(static s => ((NatsGateway)s!).CheckLeases(), this, _feed.LeaseCheckInterval, _feed.LeaseCheckInterval);
        lock (_lifecycle)
        {
            _watchdog = watchdog;
        }

        if (_stopping)
        {
            watchdog.Dispose(); // a stop that began meanwhile disposed the watchdog it saw (none)
        }
        await _backplane.HeartbeatAsync(GatewayId, ct).ConfigureAwait(false);
        _announced = true;
        Emit(GatewayEventKind.Started, string.Empty, $"gateway {GatewayId}: {_slots.Count} key(s), lease T={_feed.LeaseTtl.TotalSeconds:0.###}s, D={_feed.KisSilentSessionLifetime.TotalSeconds:0.###}s, R={_feed.LeaseRenewInterval.TotalSeconds:0.###}s");

        GatewayStartPlan plan = GatewayStartPlan.Decide(
            GatewayId,
            await _backplane.LiveGatewaysAsync(ct).ConfigureAwait(false),
            await _backplane.LeasesAsync(ct).ConfigureAwait(false),
            _slots.Select(s => s.Credential.Id).ToHashSet(StringComparer.Ordinal),
            _feed,
            _time.GetUtcNow());
        foreach (string line in plan.Lines)
        {
            Emit(GatewayEventKind.Waiting, string.Empty, line);
        }

        long acquireFrom = _time.GetTimestamp() + (long)(plan.Wait.TotalSeconds * _time.TimestampFrequency);
        while (true)
        {
            long tickStart = _time.GetTimestamp();
            bool mayAcquire = tickStart >= acquireFrom;
            try
            {
                await TickAsync(mayAcquire, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested && (ex is NatsException or TimeoutException or KisException or OperationCanceledException))
            {
                string why = ex is OperationCanceledException ? $"NATS did not answer within {_feed.LeaseRenewInterval.TotalSeconds:0.###} s" : ex.Message;
                Log.StepFailed(_log, why);
                Emit(GatewayEventKind.Error, string.Empty, why);
            }

            Interlocked.Increment(ref _ticks);

            // The next round R after this one began, or when the start wait ends if that comes first.
            long next = tickStart + (long)(_feed.LeaseRenewInterval.TotalSeconds * _time.TimestampFrequency);
            if (!mayAcquire && acquireFrom < next)
            {
                next = acquireFrom;
            }

            TimeSpan delay = _time.GetElapsedTime(_time.GetTimestamp(), next);
            if (delay > TimeSpan.Zero)
            {
                Interlocked.Exchange(ref _nextRound, next);
                _idle = true;
                try
                {
                    await Task.Delay(delay, _time, ct).ConfigureAwait(false);
                }
                finally
                {
                    _idle = false;
                }
            }

            ct.ThrowIfCancellationRequested();
        }
    }

    /// <summary>One round of the lease loop; it never waits on NATS for more than R in all.</summary>
    private async Task TickAsync(bool mayAcquire, CancellationToken runToken)
    {
        using CancellationTokenSource round = CancellationTokenSource.CreateLinkedTokenSource(runToken);
        using ITimer deadline = _time.CreateTimer(static s => ((CancellationTokenSource)s!).Cancel(), round, _feed.LeaseRenewInterval, Timeout.InfiniteTimeSpan);
        CancellationToken ct = round.Token;

        // 1. Renew what is held; the local validity is checked first (a woken gateway must not act on a dead lease).
        await Task.WhenAll(_slots.Select(slot => RenewAsync(slot, ct))).ConfigureAwait(false);
        await _backplane.HeartbeatAsync(GatewayId, ct).ConfigureAwait(false);

        // 2. Who carries what: the same answer on every gateway.
        IReadOnlyList<Registration> desired = await _backplane.DesiredAsync(ct).ConfigureAwait(false);
        IReadOnlyDictionary<string, IReadOnlyList<Registration>> assignment =
            RegistrationAssignment.Assign(desired, _slots.Select(s => s.Credential.Id), _feed.RegistrationsPerKey, out _);
        int withWork = assignment.Count(p => p.Value.Count > 0);
        int live = Math.Max(1, (await _backplane.LiveGatewaysAsync(ct).ConfigureAwait(false)).Count);
        int share = Math.Min((withWork + live - 1) / live, _options.MaxKeys ?? int.MaxValue);

        // 3. Give back keys with no work, and one key a round while above the fair share for two rounds in a row.
        List<KeySlot> held = [.. _slots.Where(s => Volatile.Read(ref s.Session) is not null)];
        foreach (KeySlot slot in held.Where(s => assignment[s.Credential.Id].Count == 0).ToList())
        {
            await ReleaseAsync(slot, "no registrations assigned", ct).ConfigureAwait(false);
            held.Remove(slot);
        }

        _overShareTicks = held.Count > share ? _overShareTicks + 1 : 0;
        if (_overShareTicks >= 2 && held.Count > 0)
        {
            KeySlot extra = held[^1];
            await ReleaseAsync(extra, $"rebalancing: {held.Count} keys held, fair share {share} of {withWork} over {live} gateway(s)", ct).ConfigureAwait(false);
            held.Remove(extra);
            _overShareTicks = 0;
        }

        // 4. Take free keys that have work, up to the share.
        if (mayAcquire)
        {
            foreach (KeySlot slot in _slots)
            {
                if (held.Count >= share || _stopping)
                {
                    break;
                }

                if (Volatile.Read(ref slot.Session) is null && assignment[slot.Credential.Id].Count > 0 && await AcquireAsync(slot, ct).ConfigureAwait(false))
                {
                    held.Add(slot);
                }
            }
        }

        // 5. Bring each held key's registrations in line with the assignment.
        foreach (KeySlot slot in held)
        {
            Reconcile(slot, assignment[slot.Credential.Id]);
        }
    }

    private async Task RenewAsync(KeySlot slot, CancellationToken ct)
    {
        if (Volatile.Read(ref slot.Session) is not { } session)
        {
            return;
        }

        AppKeyLease lease = session.Lease;
        if (!lease.IsValid)
        {
            Lose(slot, lease, "lease validity ran out (no acknowledged renewal within T−D)");
            return;
        }

        if (await _backplane.RenewAsync(lease, ct).ConfigureAwait(false) == LeaseRenewal.Lost)
        {
            Lose(slot, lease, "renewal refused: the lease expired or changed hands");
        }
    }

    private async Task<bool> AcquireAsync(KeySlot slot, CancellationToken ct)
    {
        AppKeyLease? lease = await _backplane.TryAcquireAsync(slot.Credential.Id, GatewayId, ct).ConfigureAwait(false);
        if (lease is null)
        {
            return false;
        }

        GatewayKeySession? session = null;
        lock (slot.Gate)
        {
            // A stop that began meanwhile has already taken the sessions: this lease gets none.
            if (!_stopping && lease.IsValid)
            {
                session = new GatewayKeySession(lease, new KisRealtimeClient(_options.Session with
                {
                    AppKey = slot.Credential.AppKey,
                    AppSecret = slot.Credential.AppSecret,
                    ApprovalKey = null,
                    RetryInitialConnect = true,
                    MaxRegistrations = _feed.RegistrationsPerKey,
                    Reconnect = WithSafeGap(_options.Session.Reconnect),
                    ConnectGate = LeaseGate(slot, lease),
                    TimeProvider = _time,
                }));
                Volatile.Write(ref slot.Session, session);
            }
        }

        if (session is null)
        {
            await TryReleaseAsync(lease, ct).ConfigureAwait(false);
            return false;
        }

        _metrics.LeaseAcquired();
        _metrics.SessionOpened();
        Log.LeaseAcquired(_log, slot.Credential.Id, GatewayId, lease.Revision);
        Emit(GatewayEventKind.LeaseAcquired, slot.Credential.Id, $"revision {lease.Revision}, valid {lease.Remaining.TotalSeconds:0.0}s without renewal");
        return true;
    }

    /// <summary>
    /// The client asks this right before each connect and before it sends registrations on a new connection: the key
    /// may be used only while this lease is still the slot's and still valid on the monotonic clock (rules 2 and 3, from
    /// inside the client, so a freeze between an earlier check and the connect cannot reach KIS on a key that moved).
    /// </summary>
    private static Func<CancellationToken, ValueTask<bool>> LeaseGate(KeySlot slot, AppKeyLease lease) =>
        _ => ValueTask.FromResult(lease.IsValid && ReferenceEquals(Volatile.Read(ref slot.Session)?.Lease, lease));

    /// <summary>
    /// Rule 4 relies on the client waiting after a drop longer than the watchdog needs to begin its close: the watchdog
    /// runs every 50 ms, and the lease check inside the client refuses every connect once the lease is dropped. So a
    /// gateway's sessions never reconnect sooner than <see cref="MinimumReconnectGap"/> after a drop.
    /// </summary>
    public static readonly TimeSpan MinimumReconnectGap = TimeSpan.FromSeconds(5);

    private static ReconnectPolicy WithSafeGap(ReconnectPolicy policy) =>
        policy.MinimumGap >= MinimumReconnectGap ? policy : policy with { MinimumGap = MinimumReconnectGap, MaxDelay = policy.MaxDelay < MinimumReconnectGap ? MinimumReconnectGap : policy.MaxDelay };

    private void Emit(GatewayEventKind kind, string keyId, string detail) =>
        _events.Post(new GatewayEvent(_time.GetUtcNow(), kind, keyId, detail));

    private sealed class KeySlot(AppKeyCredential credential)
    {
        public AppKeyCredential Credential { get; } = credential;

        /// <summary>Guards taking <see cref="Session"/> in and out (readers use <see cref="Volatile"/>).</summary>
        public Lock Gate { get; } = new();

        /// <summary>The session of the lease held now; null when the key is not held.</summary>
        public GatewayKeySession? Session;
    }
}
