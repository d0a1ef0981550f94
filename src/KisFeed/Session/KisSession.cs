using KisFeed.Delivery;
using KisFeed.Protocol;

using Microsoft.Extensions.Logging;

namespace KisFeed.Session;

/// <summary>
/// One KIS session: the registration table, the control channel, the approval key and the supervisor that keeps a
/// connection up. <see cref="KisRealtimeClient"/> is its public face. Ownership: the table and the approval key own
/// their locks; <see cref="_startGate"/> owns <see cref="_supervisor"/> and <see cref="_firstConnect"/>; the
/// supervisor task owns the connection and the state.
/// </summary>
internal sealed partial class KisSession : IAsyncDisposable
{
    private readonly KisOptions _options;
    private readonly ILogger _log;
    private readonly ISessionEvents _events;
    private readonly RegistrationTable _table;
    private readonly ControlChannel _control;
    private readonly ApprovalKeys _keys;
    private readonly FrameDispatcher _dispatcher;
    private readonly SessionCounters _counters = new();
    private readonly DropReporter _drops;
    private readonly KisMetrics _metrics;
    private readonly RejectionThrottle _rejections;
    private readonly CancellationTokenSource _stop = new();
    private readonly IGapHealer? _healer; // heals gaps (when KisOptions.HealGaps) and seeds feeds that ask for the day so far
    private readonly Lock _startGate = new();
    private Task? _supervisor; // owned by _startGate
    private TaskCompletionSource? _firstConnect; // owned by _startGate; completed by the supervisor
    private int _disposed; // Interlocked

    public KisSession(KisOptions options, ILogger log, ISessionEvents events, IGapHealer? healer = null)
    {
        _healer = healer;
        _options = options;
        _log = log;
        _events = events;
        _table = new RegistrationTable(options.MaxRegistrations);
        _control = new ControlChannel(options.TimeProvider);
        _keys = new ApprovalKeys(options, log);
        _metrics = KisMetrics.For(options.MeterFactory);
        _rejections = new RejectionThrottle(options.TimeProvider);
        _dispatcher = new FrameDispatcher(_table, _counters, _metrics, Reject);
        _drops = new DropReporter(options.TimeProvider, ReportDrops, CountDrop);
    }

    public KisOptions Options => _options;

    public TimeProvider Time => _options.TimeProvider;

    public RegistrationTable Table => _table;

    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>A buffer for a subscription of trades; its losses are reported (and counted) by this session.</summary>
    public TradeSubscriber NewTradeSubscriber(SubscribeOptions? options, bool shared = false) =>
        new(options?.BufferCapacity ?? _options.ConsumerBufferCapacity, options?.FullMode ?? _options.ConsumerFullMode, _drops, singleWriter: !shared);

    /// <summary>A buffer for a subscription of index program trading; its losses are reported (and counted) by this session.</summary>
    public IndexSubscriber NewIndexSubscriber(SubscribeOptions? options, bool shared = false) =>
        new(options?.BufferCapacity ?? _options.ConsumerBufferCapacity, options?.FullMode ?? _options.ConsumerFullMode, _drops, singleWriter: !shared);

    /// <summary>A buffer for a feed; seeding when the feed starts from the day so far.</summary>
    public FeedSubscriber NewFeedSubscriber(SubscribeOptions? options, bool seeding) =>
        new(options?.BufferCapacity ?? _options.ConsumerBufferCapacity, options?.FullMode ?? _options.ConsumerFullMode, _drops, seeding);

    public KisClientStatistics GetStatistics()
    {
        LiveConnection? connection = _connection;
        return new KisClientStatistics(_state, Interlocked.Read(ref _counters.Frames), Interlocked.Read(ref _counters.Records),
            Interlocked.Read(ref _counters.Dropped), Interlocked.Read(ref _counters.Rejected), Interlocked.Read(ref _counters.Controls),
            Interlocked.Read(ref _counters.PingPongs), Interlocked.Read(ref _counters.Reconnects), _table.Count, connection?.ConnectedAt,
            (connection ?? _lastConnection)?.LastMessageAt, Interlocked.Read(ref _counters.Damaged), Interlocked.Read(ref _counters.Gaps));
    }

    /// <summary>Starts the supervisor if it is not running and waits for the first connection.</summary>
    public Task EnsureStartedAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, typeof(KisRealtimeClient));
        Task wait;
        lock (_startGate)
        {
            if (_supervisor is null || _supervisor.IsCompleted)
            {
                _firstConnect = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _supervisor = Task.Run(SuperviseSafelyAsync, CancellationToken.None);
            }

            wait = _firstConnect!.Task;
        }

        return wait.WaitAsync(cancellationToken);
    }

    /// <summary>Where a registration this session holds stands now (active, pending, or refused when last re-sent).</summary>
    public RegistrationStatus StatusOf(Registration registration) => _table.StatusOf(registration);

    /// <summary>
    /// Adds <paramref name="registrations"/> to a consumer and registers at KIS those it is the first to want; returns
    /// where each stands, in the order given. Partial: a registration over the cap or refused by KIS is reported so and
    /// not held, and the others are. A session failure (no connection, no reply in time) throws, and what this call
    /// added to the consumer is removed again.
    /// </summary>
    public async Task<IReadOnlyList<RegistrationStatus>> AddAsync(Subscriber subscriber, IReadOnlyList<Registration> registrations, CancellationToken cancellationToken)
    {
        RegistrationTable.AddResult added = _table.Add(subscriber, registrations);
        var outcome = new Dictionary<Registration, RegistrationStatus>();
        foreach (Registration r in added.OverLimit)
        {
            outcome[r] = OverLimit(r);
        }

        try
        {
            await EnsureStartedAsync(cancellationToken).ConfigureAwait(false);
            foreach (Registration r in added.ToSend)
            {
                RegistrationStatus status = await RegisterAsync(r, cancellationToken).ConfigureAwait(false);
                if (!status.IsHeld)
                {
                    await RemoveAsync(subscriber, [r]).ConfigureAwait(false); // KIS never held it: nothing to release there
                    _table.NoteRefused(status); // for any consumer that joined it meanwhile
                }

                outcome[r] = status;
            }
        }
        catch
        {
            await RemoveAsync(subscriber, added.Held).ConfigureAwait(false);
            throw;
        }

        foreach (RegistrationStatus status in outcome.Values.Where(s => !s.IsHeld))
        {
            _events.SubscriptionFailed(new SubscriptionFailedEventArgs(status, restoring: false));
        }

        return [.. registrations.Select(r => outcome.TryGetValue(r, out RegistrationStatus? s) ? s : _table.StatusOf(r))];
    }

    /// <summary>Removes registrations from a consumer and releases at KIS what nobody else wants. The consumer's stream goes on.</summary>
    public async ValueTask RemoveAsync(Subscriber subscriber, IEnumerable<Registration> registrations)
    {
        foreach (Registration r in _table.Remove(subscriber, registrations))
        {
            await UnregisterAsync(r).ConfigureAwait(false);
        }
    }

    /// <summary>Takes a consumer out of every registration it holds here (its stream goes on) and returns what nobody wants any more.</summary>
    public IReadOnlyList<Registration> Detach(Subscriber subscriber) => _table.RemoveAll(subscriber);

    /// <summary>Releases at KIS registrations nobody wants any more (see <see cref="Detach"/>).</summary>
    public async ValueTask ReleaseAsync(IReadOnlyList<Registration> released)
    {
        foreach (Registration r in released)
        {
            await UnregisterAsync(r).ConfigureAwait(false);
        }
    }

    /// <summary>Releases consumers whose handle was collected without being disposed.</summary>
    public async Task SweepAbandonedAsync()
    {
        foreach (Subscriber s in _table.Abandoned())
        {
            IReadOnlyList<Registration> mine = _table.RegistrationsOf(s);
            Log.AbandonedSubscription(_log, mine.Count, string.Join(' ', mine.Take(10)));
            IReadOnlyList<Registration> released = Detach(s);
            s.Complete();
            await ReleaseAsync(released).ConfigureAwait(false);
        }
    }

    private RegistrationStatus OverLimit(Registration registration)
    {
        string message = $"{registration} would take the session over its {_table.Limit} registrations ({_table.Count} held). " +
            "KIS counts one registration per (TR id, key) pair, so one code on all three venues takes 3. " +
            "Subscribe to fewer codes or venues, or unsubscribe others first; each app key gets its own session, so more app keys (a KisClientPool) allow more.";
        return new RegistrationStatus(registration, RegistrationState.OverLimit) { Message = message, Error = new KisException(message) };
    }

    /// <summary>
    /// Registers one pair on the current connection and says where it stands: active once KIS confirmed it, pending
    /// when there is no usable connection (the next connection's restore sends it), refused with KIS's reason.
    /// </summary>
    private async Task<RegistrationStatus> RegisterAsync(Registration registration, CancellationToken cancellationToken)
    {
        var pending = new RegistrationStatus(registration, RegistrationState.Pending);
        LiveConnection? connection = _connection;
        if (connection is null || !connection.IsUsable)
        {
            return pending;
        }

        if (await GateRefusesAsync(cancellationToken).ConfigureAwait(false) is { } refused)
        {
            connection.Drop($"Closed instead of registering: {refused}", ReconnectReason.ConnectionLost);
            return pending; // still wanted: the next connection the gate allows restores it
        }

        ControlReply? reply = await RequestAsync(connection, registration, SubscribeRequest.Subscribe, cancellationToken).ConfigureAwait(false);
        if (reply is null)
        {
            return pending; // the connection dropped; the reconnect re-sends it
        }

        KisApiException? error = Apply(reply, registration, subscribe: true, connection);
        if (error is null)
        {
            return new RegistrationStatus(registration, RegistrationState.Active);
        }

        if (reply.MsgCd == ControlCodes.InvalidApproval && _keys.CanRenew)
        {
            return pending; // a new approval key is on its way; the reconnect restores it
        }

        return ControlErrors.StatusOf(registration, reply, error);
    }

    private async Task UnregisterAsync(Registration registration)
    {
        LiveConnection? connection = _connection;
        bool wasConfirmed = _table.Unconfirm(registration);
        if (connection is null || !connection.IsUsable || !wasConfirmed)
        {
            return;
        }

        try
        {
            ControlReply? reply = await RequestAsync(connection, registration, SubscribeRequest.Unsubscribe, _stop.Token).ConfigureAwait(false);
            if (reply is not null && Apply(reply, registration, subscribe: false, connection) is { } error)
            {
                Log.UnsubscribeFailed(_log, registration, error.Message);
            }
        }
        catch (Exception ex) when (ex is KisException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            Log.UnsubscribeFailed(_log, registration, ex.Message);
        }
    }

    /// <summary>One request through the control channel; a subscribe KIS already confirmed is answered locally.</summary>
    private Task<ControlReply?> RequestAsync(LiveConnection connection, Registration registration, string trType, CancellationToken cancellationToken)
    {
        bool subscribe = trType == SubscribeRequest.Subscribe;
        return _control.RequestAsync(connection.Transport, registration, trType, () =>
        {
            if (subscribe && _table.IsConfirmed(registration))
            {
                return ControlChannel.AlreadyHeld;
            }

            string? key = _keys.Current;
            return key is null ? null : SubscribeRequest.Build(key, _options.CustomerType, trType, registration.TrId, registration.Key);
        }, _options.ReplyTimeout, cancellationToken);
    }

    /// <summary>Records what a reply means (confirmed or not) and acts on session-level refusals. Null: the request succeeded.</summary>
    private KisApiException? Apply(ControlReply reply, Registration registration, bool subscribe, LiveConnection connection)
    {
        Log.ControlReply(_log, subscribe ? "subscribe" : "unsubscribe", registration, reply.MsgCd, _keys.Scrub(reply.Msg1));
        if (ControlErrors.Holds(reply, subscribe))
        {
            if (subscribe)
            {
                _table.Confirm(registration);
            }
            else
            {
                _table.Unconfirm(registration);
            }

            return null;
        }

        (KisApiException error, SessionAction action) = ControlErrors.Refusal(reply, registration, subscribe, _keys.CanRenew, _state != ConnectionState.Connected, _keys.Scrub);
        switch (action)
        {
            case SessionAction.RenewApprovalKey:
                _keys.Invalidate();
                connection.Drop($"approval key rejected ({reply.MsgCd})", ReconnectReason.ApprovalRejected);
                break;
            case SessionAction.WaitForAppKey:
                connection.Drop($"app key in use ({reply.MsgCd})", ReconnectReason.AppKeyInUse);
                break;
        }

        return error;
    }

    private void Reject(FrameError error, string detail, ReadOnlySpan<byte> frame, int delivered)
    {
        Interlocked.Increment(ref _counters.Rejected);
        _metrics.FrameRejected(error);
        if (!_rejections.ShouldReport(error, out long suppressed))
        {
            return; // counted; its number goes with the next report of this reason
        }

        Log.FrameRejected(_log, error, detail, delivered, suppressed, FrameDispatcher.Printable(frame));
        if (_events.WantsRejectedFrames)
        {
            _events.FrameRejected(new FrameRejectedEventArgs(error, detail, frame.ToArray(), delivered, suppressed));
        }
    }

    private void CountDrop()
    {
        Interlocked.Increment(ref _counters.Dropped);
        _metrics.RecordDropped();
    }

    private void ReportDrops(Subscriber subscriber, long dropped)
    {
        Log.ConsumerDropping(_log, string.Join(',', subscriber.Registrations.Take(5)), dropped);
        _events.RecordsDropped(new RecordsDroppedEventArgs(subscriber.Registrations, dropped));
    }

    /// <summary>Closes the session cleanly (a clean close keeps KIS from holding the app key) and ends every consumer's stream.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        LiveConnection? connection = _connection;
        if (connection is not null)
        {
            try
            {
                using var closeTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(3), Time);
                await connection.Transport.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "client closing", closeTimeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException or System.Net.WebSockets.WebSocketException)
            {
                // The connection is going away anyway.
            }
        }

        Task? supervisor;
        lock (_startGate)
        {
            supervisor = _supervisor;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _connection?.Transport.Abort();
        if (supervisor is not null)
        {
            await supervisor.ConfigureAwait(false);
        }

        await WaitForHealingAsync().ConfigureAwait(false);
        _firstConnect?.TrySetException(new ObjectDisposedException(nameof(KisRealtimeClient)));
        foreach (Subscriber s in _table.Clear())
        {
            s.Complete();
        }

        SetState(ConnectionState.Closed, "disposed", null, 0, null);
        Log.Closed(_log);
        _keys.Dispose();
        _control.Dispose();
        _stop.Dispose();
    }
}
