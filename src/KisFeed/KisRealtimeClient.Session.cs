using System.Net.WebSockets;

using KisFeed.Protocol;
using KisFeed.Transport;

using Microsoft.Extensions.Logging;

namespace KisFeed;

public sealed partial class KisRealtimeClient
{
    private readonly ApprovalKeyClient _approval;
    private readonly SemaphoreSlim _control = new(1, 1);
    private readonly HashSet<Registration> _confirmed = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Random _random = new();
    private string? _approvalKey;
    private volatile WebSocketConnection? _ws;
    private volatile ConnectionState _state = ConnectionState.Disconnected;
    private Task? _supervisor;
    private TaskCompletionSource? _firstConnect;
    private volatile PendingRequest? _pending;
    private ReconnectReason _dropReason = ReconnectReason.ConnectionLost;
    private string? _abortReason;
    private DateTimeOffset? _connectedSince;
    private long _frames;
    private long _records;
    private long _rejected;
    private long _controls;
    private long _pingPongs;
    private long _reconnects;
    private long _droppedByEnded;
    private long _lastMessageTimestamp;

    private sealed record PendingRequest(Registration Registration, string TrType, TaskCompletionSource<ControlReply?> Reply);

    private Task EnsureStartedAsync(CancellationToken cancellationToken)
    {
        Task wait;
        lock (_gate)
        {
            if (_supervisor is null || _supervisor.IsCompleted)
            {
                _firstConnect = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _supervisor = Task.Run(SuperviseSafelyAsync);
            }

            wait = _firstConnect!.Task;
        }

        return wait.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Runs the supervisor; should it ever fail unexpectedly, consumers are told (their streams end with the error)
    /// instead of waiting forever on a session that no longer reconnects.
    /// </summary>
    private async Task SuperviseSafelyAsync()
    {
        try
        {
            await SuperviseAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            var error = new KisConnectionException($"The session stopped after an unexpected error: {ex.Message}", ex);
            Log.ReconnectFatal(_log, error.Message);
            SetState(ConnectionState.Disconnected, error.Message, error, 0, null);
            _firstConnect?.TrySetException(error);
            List<ProgramTradeSubscription> subscriptions;
            lock (_gate)
            {
                subscriptions = [.. _routes.Values.SelectMany(l => l).Distinct()];
            }

            foreach (ProgramTradeSubscription s in subscriptions)
            {
                s.Complete(error);
            }
        }
    }

    private async Task SuperviseAsync()
    {
        CancellationToken stop = _stop.Token;
        int attempt = 0;
        bool everConnected = false;
        DateTimeOffset? downSince = null;
        string downReason = string.Empty;
        while (!stop.IsCancellationRequested)
        {
            if (attempt > 0)
            {
                TimeSpan delay = _options.Reconnect.NextDelay(attempt, _dropReason, _random.NextDouble());
                Log.ConnectionLost(_log, downReason, delay, attempt, null);
                SetState(ConnectionState.Reconnecting, downReason, null, attempt, delay);
                try
                {
                    await Task.Delay(delay, Time, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            SetState(ConnectionState.Connecting, attempt == 0 ? "connecting" : "reconnecting", null, attempt, null);
            Log.Connecting(_log, _options.WebSocketUri, attempt);
            WebSocketConnection ws;
            try
            {
                await EnsureApprovalKeyAsync(stop).ConfigureAwait(false);
                var wsOptions = WebSocketConnectionOptions.Default with { ConnectTimeout = _options.ConnectTimeout };
                ws = await WebSocketConnection.ConnectAsync(_options.WebSocketUri, wsOptions, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                KisException error = ex as KisException ?? new KisConnectionException(
                    $"Could not connect to {_options.WebSocketUri}: {ex.Message}. Check the address (KIS_WS_URL) and the network.", ex);
                if (!everConnected && !_options.RetryInitialConnect)
                {
                    SetState(ConnectionState.Disconnected, error.Message, error, attempt, null);
                    _firstConnect?.TrySetException(error);
                    return;
                }

                if (ex is KisApprovalException { IsCredentialError: true })
                {
                    Log.ReconnectFatal(_log, error.Message);
                }

                attempt++;
                _dropReason = ReconnectReason.ConnectionLost;
                downSince ??= Time.GetUtcNow();
                downReason = error.Message;
                continue;
            }

            _abortReason = null;
            _ws = ws;
            _connectedSince = Time.GetUtcNow();
            Interlocked.Exchange(ref _lastMessageTimestamp, Time.GetTimestamp());
            using var connectionScope = CancellationTokenSource.CreateLinkedTokenSource(stop);
            Task<(string Reason, Exception? Error)> receive = ReceiveLoopAsync(ws, stop);
            Task watchdog = WatchdogAsync(ws, connectionScope.Token);

            bool reconnect = everConnected;
            everConnected = true;
            if (!reconnect)
            {
                SetState(ConnectionState.Connected, "connected", null, attempt, null);
                _firstConnect?.TrySetResult();
            }
            else
            {
                Interlocked.Increment(ref _reconnects);
                IReadOnlyList<Registration> restored = await RestoreRegistrationsAsync(ws, stop).ConfigureAwait(false);
                if (ws.IsOpen && _abortReason is null)
                {
                    DateTimeOffset to = Time.GetUtcNow();
                    string gap = downSince is { } down ? $"; data gap {down:O} to {to:O} for {string.Join(' ', restored)}" : string.Empty;
                    SetState(ConnectionState.Connected, $"reconnected; {restored.Count} registration(s) restored{gap}", null, attempt, null);
                    if (downSince is { } from)
                    {
                        Log.DataGap(_log, from, to, restored.Count, downReason, string.Join(' ', restored));
                        Raise(DataGap, new DataGapEventArgs(from, to, restored, downReason));
                    }

                    downSince = null;
                    attempt = 0;
                }
            }

            (string reason, Exception? receiveError) = await receive.ConfigureAwait(false);
            await connectionScope.CancelAsync().ConfigureAwait(false);
            await watchdog.ConfigureAwait(false);
            _ws = null;
            _connectedSince = null;
            lock (_gate)
            {
                _confirmed.Clear();
            }

            await ws.DisposeAsync().ConfigureAwait(false);
            if (stop.IsCancellationRequested || Volatile.Read(ref _disposed) != 0)
            {
                break;
            }

            // The gap starts at the last message the connection delivered, not when the loss was noticed: after a
            // silent stall the watchdog notices IdleTimeout later, and updates KIS sent meanwhile are lost too.
            downSince ??= LastMessageAt() ?? Time.GetUtcNow();
            downReason = _abortReason ?? reason;
            if (_abortReason is null)
            {
                _dropReason = ReconnectReason.ConnectionLost;
            }

            attempt++;
            if (receiveError is not null && _log.IsEnabled(LogLevel.Debug))
            {
                _log.LogDebug(receiveError, "Receive loop ended");
            }
        }

        SetState(_disposed != 0 ? ConnectionState.Closed : ConnectionState.Disconnected, "stopped", null, attempt, null);
    }

    private DateTimeOffset? LastMessageAt()
    {
        long last = Interlocked.Read(ref _lastMessageTimestamp);
        return last == 0 ? null : Time.GetUtcNow() - Time.GetElapsedTime(last);
    }

    private async Task EnsureApprovalKeyAsync(CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(_approvalKey))
        {
            return;
        }

        if (string.IsNullOrEmpty(_options.AppKey) || string.IsNullOrEmpty(_options.AppSecret))
        {
            throw new KisApprovalException(
                "No WebSocket approval key and no app key/secret to request one. Set KIS_APPKEY and KIS_APPSECRET (or KisOptions.AppKey/AppSecret), or KisOptions.ApprovalKey.",
                null, null);
        }

        _approvalKey = await _approval.RequestAsync(_options.AppKey, _options.AppSecret, cancellationToken).ConfigureAwait(false);
        Log.ApprovalKeyIssued(_log, Secrets.Redact(_options.AppKey));
    }

    private bool CanRenewApprovalKey => !string.IsNullOrEmpty(_options.AppKey) && !string.IsNullOrEmpty(_options.AppSecret);

    /// <summary>Re-sends every registration after a reconnect; returns those KIS accepted.</summary>
    private async Task<IReadOnlyList<Registration>> RestoreRegistrationsAsync(WebSocketConnection ws, CancellationToken cancellationToken)
    {
        List<Registration> wanted;
        lock (_gate)
        {
            wanted = [.. _routes.Keys];
        }

        Log.Connected(_log, _options.WebSocketUri, wanted.Count);
        List<Registration> restored = [];
        foreach (Registration r in wanted)
        {
            lock (_gate)
            {
                if (!_routes.ContainsKey(r))
                {
                    continue; // released while we were restoring
                }
            }

            ControlReply? reply;
            try
            {
                reply = await SendControlAsync(ws, r, SubscribeRequest.Subscribe, cancellationToken).ConfigureAwait(false);
            }
            catch (KisTimeoutException ex)
            {
                AbortConnection(ws, ex.Message, ReconnectReason.ConnectionLost);
                break;
            }
            catch (OperationCanceledException)
            {
                break;
            }

            if (reply is null)
            {
                break; // connection lost; the next connection restores everything again
            }

            KisException? error = Interpret(reply, r, SubscribeRequest.Subscribe, ws);
            if (error is null)
            {
                restored.Add(r);
            }
            else if (ws.IsOpen && _abortReason is null)
            {
                Log.ResubscribeFailed(_log, r, error.Message);
                Raise(SubscriptionFailed, new SubscriptionFailedEventArgs(r, error));
            }
            else
            {
                break;
            }
        }

        return restored;
    }

    /// <summary>Registers one pair on the current connection (if there is none, the next connection will).</summary>
    private async Task RegisterAsync(Registration registration, CancellationToken cancellationToken)
    {
        WebSocketConnection? ws = _ws;
        if (ws is null || !ws.IsOpen)
        {
            return;
        }

        ControlReply? reply = await SendControlAsync(ws, registration, SubscribeRequest.Subscribe, cancellationToken).ConfigureAwait(false);
        if (reply is null)
        {
            return; // the connection dropped; the reconnect re-sends it
        }

        KisException? error = Interpret(reply, registration, SubscribeRequest.Subscribe, ws);
        if (error is not null && !(reply.MsgCd == ControlCodes.InvalidApproval && CanRenewApprovalKey))
        {
            throw error;
        }
    }

    private async Task UnregisterAsync(Registration registration)
    {
        WebSocketConnection? ws = _ws;
        bool wasConfirmed;
        lock (_gate)
        {
            wasConfirmed = _confirmed.Remove(registration);
        }

        if (ws is null || !ws.IsOpen || !wasConfirmed)
        {
            return;
        }

        try
        {
            ControlReply? reply = await SendControlAsync(ws, registration, SubscribeRequest.Unsubscribe, _stop.Token).ConfigureAwait(false);
            if (reply is not null)
            {
                KisException? error = Interpret(reply, registration, SubscribeRequest.Unsubscribe, ws);
                if (error is not null)
                {
                    Log.UnsubscribeFailed(_log, registration, error.Message);
                }
            }
        }
        catch (Exception ex) when (ex is KisException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            Log.UnsubscribeFailed(_log, registration, ex.Message);
        }
    }

    /// <summary>Sends one subscribe/unsubscribe message and waits for its reply. Null: the connection was lost first.</summary>
    private async Task<ControlReply?> SendControlAsync(WebSocketConnection ws, Registration registration, string trType, CancellationToken cancellationToken)
    {
        await _control.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (trType == SubscribeRequest.Subscribe)
            {
                lock (_gate)
                {
                    if (_confirmed.Contains(registration))
                    {
                        return new ControlReply(registration.TrId, registration.Code, "N", "0", ControlCodes.AlreadySubscribed, "ALREADY IN SUBSCRIBE", null, null);
                    }
                }
            }

            if (!ws.IsOpen || _approvalKey is null)
            {
                return null;
            }

            var pending = new PendingRequest(registration, trType, new TaskCompletionSource<ControlReply?>(TaskCreationOptions.RunContinuationsAsynchronously));
            _pending = pending;
            byte[] message = SubscribeRequest.Build(_approvalKey, _options.CustomerType, trType, registration.TrId, registration.Code);
            try
            {
                await ws.SendTextAsync(message, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or WebSocketException or ObjectDisposedException or InvalidOperationException)
            {
                return null;
            }

            try
            {
                return await pending.Reply.Task.WaitAsync(_options.ReplyTimeout, Time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                string action = trType == SubscribeRequest.Subscribe ? "subscribe" : "unsubscribe";
                throw new KisTimeoutException($"KIS did not answer the {action} of {registration} within {_options.ReplyTimeout.TotalSeconds:0.#} s.");
            }
        }
        finally
        {
            _pending = null;
            _control.Release();
        }
    }

    /// <summary>Turns a reply into success (null) or a typed error, and updates the session for session-level codes.</summary>
    private KisException? Interpret(ControlReply reply, Registration registration, string trType, WebSocketConnection ws)
    {
        bool subscribe = trType == SubscribeRequest.Subscribe;
        Log.ControlReply(_log, subscribe ? "subscribe" : "unsubscribe", registration, reply.MsgCd, Scrub(reply.Msg1));
        if (reply.IsSuccess || reply.MsgCd is ControlCodes.AlreadySubscribed || (!subscribe && reply.MsgCd is ControlCodes.NotSubscribed))
        {
            // rt_cd "0", or OPSP0002 (already subscribed) / OPSP0003 on unsubscribe: the state we wanted holds.
            lock (_gate)
            {
                if (subscribe)
                {
                    _confirmed.Add(registration);
                }
                else
                {
                    _confirmed.Remove(registration);
                }
            }

            return null;
        }

        string msg1 = Scrub(reply.Msg1);
        string what = subscribe ? "subscribe" : "unsubscribe";
        string advice = reply.MsgCd switch
        {
            ControlCodes.MaxSubscribeOver => "The session already holds KIS's maximum of 41 registrations; unsubscribe others or use another app key.",
            ControlCodes.InvalidApproval when CanRenewApprovalKey => "KisFeed is requesting a new approval key and reconnecting.",
            ControlCodes.InvalidApproval => "The approval key is unknown or expired: request a new one (POST /oauth2/Approval), or give KisFeed the app key and secret so it can.",
            ControlCodes.AppKeyInUse => "Another session is using this app key (KIS allows one per app key, and may hold the slot for a while after an abnormal close). Close the other session or wait.",
            ControlCodes.InvalidTrKey => $"'{registration.Code}' is not a stock code KIS knows for {registration.TrId}.",
            ControlCodes.InvalidTrId => $"KIS does not serve {registration.TrId} on this server (paper-trading servers do not serve program trading).",
            _ => "See the KIS error-code table (docs/kis-protocol.md).",
        };
        var error = new KisControlException(
            $"KIS refused to {what} {registration}: rt_cd={reply.RtCd} {reply.MsgCd} {msg1}. {advice}",
            reply.MsgCd, msg1, reply.RtCd, registration.TrId, registration.Code);

        if (reply.MsgCd == ControlCodes.InvalidApproval && CanRenewApprovalKey)
        {
            _approvalKey = null;
            AbortConnection(ws, $"approval key rejected ({reply.MsgCd})", ReconnectReason.ApprovalRejected);
        }
        else if (reply.MsgCd == ControlCodes.AppKeyInUse && _state != ConnectionState.Connected)
        {
            // During a reconnect: an old session still holds the key. Close cleanly and wait longer.
            AbortConnection(ws, $"app key in use ({reply.MsgCd})", ReconnectReason.AppKeyInUse);
        }

        return error;
    }

    private void AbortConnection(WebSocketConnection ws, string reason, ReconnectReason reconnectReason)
    {
        _abortReason = reason;
        _dropReason = reconnectReason;
        ws.Abort();
    }

    private string Scrub(string? text) => Secrets.Scrub(text, _options.AppKey, _options.AppSecret, _approvalKey, _options.ApprovalKey);

    private async Task WatchdogAsync(WebSocketConnection ws, CancellationToken cancellationToken)
    {
        TimeSpan idle = _options.IdleTimeout;
        if (idle == Timeout.InfiniteTimeSpan || idle <= TimeSpan.Zero)
        {
            return;
        }

        TimeSpan period = TimeSpan.FromTicks(Math.Max(idle.Ticks / 4, TimeSpan.FromMilliseconds(10).Ticks));
        using var timer = new PeriodicTimer(period, Time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                TimeSpan quiet = Time.GetElapsedTime(Interlocked.Read(ref _lastMessageTimestamp));
                if (quiet >= idle)
                {
                    Log.Watchdog(_log, quiet);
                    AbortConnection(ws, $"no message for {quiet.TotalSeconds:0.#} s (watchdog)", ReconnectReason.ConnectionLost);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void SetState(ConnectionState state, string reason, Exception? error, int attempt, TimeSpan? next)
    {
        ConnectionState previous = _state;
        if (previous == state && state != ConnectionState.Reconnecting)
        {
            return;
        }

        _state = state;
        Raise(StateChanged, new ConnectionStateChangedEventArgs(previous, state, reason, error, attempt, next));
    }

    /// <summary>Closes the session cleanly (a clean close keeps KIS from holding the app key) and ends every consumer's stream.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        WebSocketConnection? ws = _ws;
        if (ws is not null)
        {
            try
            {
                using var closeTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(3), Time);
                await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "client closing", closeTimeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or InvalidOperationException or WebSocketException)
            {
                // The connection is going away anyway.
            }
        }

        Task? supervisor;
        lock (_gate)
        {
            supervisor = _supervisor;
        }

        if (supervisor is not null)
        {
            // Give the receive loop a moment to see the server's close reply, then stop everything.
            await Task.WhenAny(supervisor, Task.Delay(TimeSpan.FromSeconds(2), Time)).ConfigureAwait(false);
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _ws?.Abort();
        if (supervisor is not null)
        {
            await supervisor.ConfigureAwait(false);
        }

        _firstConnect?.TrySetException(new ObjectDisposedException(nameof(KisRealtimeClient)));
        List<ProgramTradeSubscription> subscriptions;
        lock (_gate)
        {
            subscriptions = [.. _routes.Values.SelectMany(l => l).Distinct()];
            _routes.Clear();
            RebuildRoutes();
        }

        foreach (ProgramTradeSubscription s in subscriptions)
        {
            s.Complete();
        }

        SetState(ConnectionState.Closed, "disposed", null, 0, null);
        Log.Closed(_log);
        await _events.DisposeAsync().ConfigureAwait(false);
        _approval.Dispose();
        _control.Dispose();
        _stop.Dispose();
    }
}
