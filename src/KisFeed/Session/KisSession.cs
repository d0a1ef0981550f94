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
        _dispatcher = new FrameDispatcher(_table, _counters, Reject);
        _drops = new DropReporter(options.TimeProvider, ReportDrops);
    }

    public KisOptions Options => _options;

    public TimeProvider Time => _options.TimeProvider;

    public RegistrationTable Table => _table;

    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    public TradeSubscriber NewTradeSubscriber(IReadOnlyList<Registration> registrations) =>
        new(registrations, _options.ConsumerBufferCapacity, _options.ConsumerFullMode, _drops);

    public FeedSubscriber NewFeedSubscriber(IReadOnlyList<Registration> registrations, bool seeding = false) =>
        new(registrations, _options.ConsumerBufferCapacity, _options.ConsumerFullMode, _drops, seeding);

    public KisClientStatistics GetStatistics()
    {
        long dropped = _table.Subscribers.Sum(s => s.Dropped);
        LiveConnection? connection = _connection;
        return new KisClientStatistics(_state, Interlocked.Read(ref _counters.Frames), Interlocked.Read(ref _counters.Records),
            dropped + Interlocked.Read(ref _counters.DroppedByEnded), Interlocked.Read(ref _counters.Rejected), Interlocked.Read(ref _counters.Controls),
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

    /// <summary>
    /// Adds a consumer and registers what it is the first to want. All or nothing: when KIS refuses one, the
    /// consumer is removed again (releasing what this call registered) and the refusal is thrown.
    /// </summary>
    public async Task AddAsync(Subscriber subscriber, CancellationToken cancellationToken)
    {
        IReadOnlyList<Registration> added = _table.Add(subscriber);
        try
        {
            await EnsureStartedAsync(cancellationToken).ConfigureAwait(false);
            foreach (Registration r in added)
            {
                await RegisterAsync(r, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            await RemoveAsync(subscriber).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Removes a consumer, ends its stream and releases at KIS what nobody else wants.</summary>
    public async ValueTask RemoveAsync(Subscriber subscriber)
    {
        IReadOnlyList<Registration> released = _table.Remove(subscriber);
        Interlocked.Add(ref _counters.DroppedByEnded, subscriber.Dropped);
        subscriber.Complete();
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
            Log.AbandonedSubscription(_log, s.Registrations.Count, string.Join(' ', s.Registrations.Take(10)));
            await RemoveAsync(s).ConfigureAwait(false);
        }
    }

    /// <summary>Registers one pair on the current connection; with none, the next connection's restore will.</summary>
    private async Task RegisterAsync(Registration registration, CancellationToken cancellationToken)
    {
        LiveConnection? connection = _connection;
        if (connection is null || !connection.IsUsable)
        {
            return;
        }

        if (await GateRefusesAsync(cancellationToken).ConfigureAwait(false) is { } refused)
        {
            connection.Drop($"Closed instead of registering: {refused}", ReconnectReason.ConnectionLost);
            return; // still wanted: the next connection the gate allows restores it
        }

        ControlReply? reply = await RequestAsync(connection, registration, SubscribeRequest.Subscribe, cancellationToken).ConfigureAwait(false);
        if (reply is null)
        {
            return; // the connection dropped; the reconnect re-sends it
        }

        KisControlException? error = Apply(reply, registration, subscribe: true, connection);
        if (error is not null && !(reply.MsgCd == ControlCodes.InvalidApproval && _keys.CanRenew))
        {
            throw error;
        }
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
            return key is null ? null : SubscribeRequest.Build(key, _options.CustomerType, trType, registration.TrId, registration.Code);
        }, _options.ReplyTimeout, cancellationToken);
    }

    /// <summary>Records what a reply means (confirmed or not) and acts on session-level refusals. Null: the request succeeded.</summary>
    private KisControlException? Apply(ControlReply reply, Registration registration, bool subscribe, LiveConnection connection)
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

        (KisControlException error, SessionAction action) = ControlErrors.Refusal(reply, registration, subscribe, _keys.CanRenew, _state != ConnectionState.Connected, _keys.Scrub);
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
        Log.FrameRejected(_log, error, detail, delivered, FrameDispatcher.Printable(frame));
        if (_events.WantsRejectedFrames)
        {
            _events.FrameRejected(new FrameRejectedEventArgs(error, detail, frame.ToArray(), delivered));
        }
    }

    private void ReportDrops(Subscriber subscriber, long dropped)
    {
        Log.ConsumerDropping(_log, string.Join(',', subscriber.Registrations.Take(5)), dropped, _options.ConsumerFullMode);
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
