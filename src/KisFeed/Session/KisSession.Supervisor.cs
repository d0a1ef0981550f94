using KisFeed.Delivery;
using KisFeed.Protocol;
using KisFeed.Transport;

using Microsoft.Extensions.Logging;

namespace KisFeed.Session;

/// <summary>
/// The supervisor: connect (approval key, transport), restore every registration, watch for silence, reconnect with
/// backoff, and report each outage as a <see cref="DataGap"/> with its exact bounds, then heal it over REST. The
/// fields below are written by the supervisor task only; others read them (volatile).
/// </summary>
internal sealed partial class KisSession
{
    private readonly Random _jitter = new();
    private readonly Lock _healingGate = new();
    private readonly List<Task> _healing = []; // owned by _healingGate
    private volatile ConnectionState _state = ConnectionState.Disconnected; // written by the supervisor (and by DisposeAsync after it ended)
    private volatile LiveConnection? _connection; // the open connection, or null; written by the supervisor
    private volatile LiveConnection? _lastConnection; // the previous one, for LastMessageAt while down
    private long _nextGapId; // Interlocked

    public ConnectionState State => _state;

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
            var error = new KisException($"The session stopped after an unexpected error: {ex.Message}", ex);
            Log.ReconnectFatal(_log, error.Message);
            SetState(ConnectionState.Disconnected, error.Message, error, 0, null);
            _firstConnect?.TrySetException(error);
            foreach (Subscriber s in _table.Subscribers)
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
        DateTimeOffset? downSince = null; // set only once a connection was up: before that nothing was missed
        string downReason = string.Empty;
        ReconnectReason downKind = ReconnectReason.ConnectionLost;
        while (!stop.IsCancellationRequested)
        {
            if (attempt > 0)
            {
                TimeSpan delay = _options.Reconnect.NextDelay(attempt, downKind, _jitter.NextDouble());
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
            IKisConnection transport;
            try
            {
                await _keys.EnsureAsync(stop).ConfigureAwait(false);
                if (await GateRefusesAsync(stop).ConfigureAwait(false) is { } refused)
                {
                    throw new KisException($"Not connecting: {refused}", isTransient: true);
                }

                transport = await _options.Transport.ConnectAsync(_options.WebSocketUri, _options.ConnectTimeout, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                KisException error = ex as KisException ?? new KisException(ConnectFailure(ex), ex, isTransient: true);
                if (!everConnected && !_options.RetryInitialConnect)
                {
                    SetState(ConnectionState.Disconnected, error.Message, error, attempt, null);
                    _firstConnect?.TrySetException(error);
                    return;
                }

                if (ex is KisApiException { IsCredentialError: true })
                {
                    Log.ReconnectFatal(_log, error.Message);
                }

                attempt++;
                downKind = ReconnectReason.ConnectionLost;
                downReason = error.Message;
                continue;
            }

            var connection = new LiveConnection(transport, Time);
            _connection = connection;
            using var connectionScope = CancellationTokenSource.CreateLinkedTokenSource(stop);
            Task<(string Reason, Exception? Error)> receive = ReceiveLoopAsync(connection, stop);
            Task watchdog = WatchdogAsync(connection, connectionScope.Token);
            Task sweep = SweepLoopAsync(connectionScope.Token);

            if (!everConnected)
            {
                everConnected = true;
                SetState(ConnectionState.Connected, "connected", null, attempt, null);
                _firstConnect?.TrySetResult();
                attempt = 0;
            }
            else if (await GateRefusesAsync(stop).ConfigureAwait(false) is { } refused)
            {
                connection.Drop($"Closed before restoring the registrations: {refused}", ReconnectReason.ConnectionLost);
            }
            else
            {
                Interlocked.Increment(ref _counters.Reconnects);
                _metrics.Reconnect();
                IReadOnlyList<Registration> restored = await RestoreAsync(connection, stop).ConfigureAwait(false);
                if (connection.IsUsable)
                {
                    DateTimeOffset to = Time.GetUtcNow();
                    DataGap? gap = downSince is { } from && restored.Count > 0
                        ? new DataGap(Interlocked.Increment(ref _nextGapId), from, to, restored, downReason)
                        : null;
                    string gapText = gap is null ? string.Empty : $"; data gap {KoreaTime.Format(gap.From)} to {KoreaTime.Format(gap.To)} KST";
                    SetState(ConnectionState.Connected, $"reconnected; {restored.Count} registration(s) restored{gapText}", null, attempt, null);
                    if (gap is not null)
                    {
                        ReportGap(gap);
                    }

                    downSince = null;
                    attempt = 0;
                }
            }

            (string reason, Exception? receiveError) = await receive.ConfigureAwait(false);
            await connectionScope.CancelAsync().ConfigureAwait(false);
            await watchdog.ConfigureAwait(false);
            await sweep.ConfigureAwait(false);
            _lastConnection = connection;
            _connection = null;
            _table.ClearConfirmed();
            _control.ConnectionEnded(transport);
            await transport.DisposeAsync().ConfigureAwait(false);
            if (stop.IsCancellationRequested || IsDisposed)
            {
                break;
            }

            // The gap starts at the last message the connection delivered, not when the loss was noticed: after a
            // silent stall the watchdog notices IdleTimeout later, and updates KIS sent meanwhile are lost too.
            downSince ??= connection.LastMessageAt;
            DropCause? cause = connection.Cause;
            downReason = cause?.Reason ?? reason;
            downKind = cause?.Kind ?? ReconnectReason.ConnectionLost;
            attempt++;
            if (receiveError is not null && _log.IsEnabled(LogLevel.Debug))
            {
                _log.LogDebug(receiveError, "Receive loop ended");
            }
        }

        SetState(IsDisposed ? ConnectionState.Closed : ConnectionState.Disconnected, "stopped", null, attempt, null);
    }

    /// <summary>Asks <see cref="KisOptions.ConnectGate"/>; returns why it refused, or null when it allows (or there is none).</summary>
    private async ValueTask<string?> GateRefusesAsync(CancellationToken cancellationToken)
    {
        if (_options.ConnectGate is not { } gate)
        {
            return null;
        }

        try
        {
            return await gate(cancellationToken).ConfigureAwait(false) ? null : "KisOptions.ConnectGate refused the use of the app key.";
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return $"KisOptions.ConnectGate failed ({ex.GetType().Name}: {ex.Message}), which counts as a refusal.";
        }
    }

    private string ConnectFailure(Exception ex)
    {
        string detail = ex.Message.TrimEnd('.', ' ');
        return detail.Contains(_options.WebSocketUri.ToString(), StringComparison.Ordinal) || detail.Contains(_options.WebSocketUri.Authority, StringComparison.Ordinal)
            ? $"{detail}. Check the address (KIS_WS_URL) and the network."
            : $"Could not connect to {_options.WebSocketUri}: {detail}. Check the address (KIS_WS_URL) and the network.";
    }

    /// <summary>
    /// Reads messages until the connection ends. One task per connection; it never waits on a consumer (their
    /// buffers never block) and answers PINGPONG before reading the next message.
    /// </summary>
    private async Task<(string Reason, Exception? Error)> ReceiveLoopAsync(LiveConnection connection, CancellationToken cancellationToken)
    {
        IKisConnection transport = connection.Transport;
        try
        {
            while (true)
            {
                WebSocketMessage message = await transport.ReceiveAsync(cancellationToken).ConfigureAwait(false);
                connection.Touch();
                if (message.Kind == WebSocketMessageKind.Close)
                {
                    return ($"the server closed the connection ({message.CloseStatus} {message.CloseDescription})".TrimEnd(), null);
                }

                ReadOnlyMemory<byte> payload = message.Payload;
                switch (KisMessage.Classify(payload.Span))
                {
                    case KisMessageKind.Data:
                        _dispatcher.OnDataFrame(payload.Span, Time.GetUtcNow());
                        break;
                    case KisMessageKind.Json:
                        ControlReply? reply = SafeParseReply(payload.Span);
                        Interlocked.Increment(ref _counters.Controls);
                        if (reply is null)
                        {
                            Reject(FrameError.BadJson, "a message starting with '{' is not valid JSON", payload.Span, 0);
                        }
                        else if (reply.IsPingPong)
                        {
                            Interlocked.Increment(ref _counters.PingPongs);
                            // Echo the same text back at once; KIS drops sessions that do not answer.
                            await transport.SendTextAsync(payload, cancellationToken).ConfigureAwait(false);
                        }
                        else
                        {
                            _dispatcher.OnReply(reply);
                            if (!_control.TryComplete(transport, reply))
                            {
                                Log.UnsolicitedControl(_log, reply.RtCd, reply.MsgCd, _keys.Scrub(reply.Msg1), reply.TrId);
                            }
                        }

                        break;
                    default:
                        Reject(FrameError.UnknownMessage, "neither a data frame (0|… or 1|…) nor JSON", payload.Span, 0);
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ("the client stopped", null);
        }
        catch (Exception ex)
        {
            return (connection.Cause?.Reason ?? ex.Message, ex);
        }
        finally
        {
            _control.ConnectionEnded(transport);
        }
    }

    private static ControlReply? SafeParseReply(ReadOnlySpan<byte> json)
    {
        try
        {
            return ControlReply.TryParse(json);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return null; // reported as BadJson by the caller
        }
    }

    /// <summary>Re-sends every registration after a reconnect; returns those KIS accepted.</summary>
    private async Task<IReadOnlyList<Registration>> RestoreAsync(LiveConnection connection, CancellationToken cancellationToken)
    {
        IReadOnlyList<Registration> wanted = _table.Wanted;
        Log.Connected(_log, _options.WebSocketUri, wanted.Count);
        List<Registration> restored = [];
        foreach (Registration r in wanted)
        {
            if (!_table.IsWanted(r))
            {
                continue; // released while we were restoring
            }

            ControlReply? reply;
            try
            {
                reply = await RequestAsync(connection, r, SubscribeRequest.Subscribe, cancellationToken).ConfigureAwait(false);
            }
            catch (KisException ex) when (ex.InnerException is TimeoutException)
            {
                connection.Drop(ex.Message, ReconnectReason.ConnectionLost);
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

            KisApiException? error = Apply(reply, r, subscribe: true, connection);
            if (error is null)
            {
                if (_table.IsWanted(r))
                {
                    restored.Add(r);
                }
                else
                {
                    await UnregisterAsync(r).ConfigureAwait(false); // released while KIS was confirming it
                }
            }
            else if (connection.IsUsable)
            {
                Log.ResubscribeFailed(_log, r, error.Message);
                RegistrationStatus status = ControlErrors.StatusOf(r, reply, error);
                _table.NoteRefused(status);
                _events.SubscriptionFailed(new SubscriptionFailedEventArgs(status, restoring: true));
            }
            else
            {
                break;
            }
        }

        return restored;
    }

    /// <summary>Drops the connection when nothing at all (not even PINGPONG) arrived for <see cref="KisOptions.IdleTimeout"/>; exactly then, not before.</summary>
    private async Task WatchdogAsync(LiveConnection connection, CancellationToken cancellationToken)
    {
        TimeSpan idle = _options.IdleTimeout;
        if (idle == Timeout.InfiniteTimeSpan || idle <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            while (true)
            {
                TimeSpan quiet = connection.Quiet;
                if (quiet >= idle)
                {
                    Log.Watchdog(_log, quiet);
                    connection.Drop($"no message for {quiet.TotalSeconds:0.#} s (watchdog)", ReconnectReason.ConnectionLost);
                    return;
                }

                await Task.Delay(idle - quiet, Time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Every <see cref="KisOptions.AbandonedSweepInterval"/>, releases subscriptions nobody disposed and nobody holds.</summary>
    private async Task SweepLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var timer = new PeriodicTimer(_options.AbandonedSweepInterval, Time);
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                await SweepAbandonedAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Raises the gap, hands it in-band to every feed consumer it touches, and starts healing it.</summary>
    private void ReportGap(DataGap gap)
    {
        Interlocked.Increment(ref _counters.Gaps);
        _metrics.Gap();
        Log.DataGap(_log, gap.From, gap.To, gap.Registrations.Count, gap.Reason, string.Join(' ', gap.Registrations));
        _events.DataGap(new DataGapEventArgs(gap));
        var affected = new HashSet<Registration>(gap.Registrations);
        foreach (Subscriber s in _table.Subscribers)
        {
            if (s.WantsFeed)
            {
                List<Registration> mine = [.. _table.RegistrationsOf(s).Where(affected.Contains)];
                if (mine.Count > 0)
                {
                    s.WriteGap(gap with { Registrations = mine });
                }
            }
        }

        if (_options.HealGaps && _healer is { } healer)
        {
            lock (_healingGate)
            {
                _healing.RemoveAll(t => t.IsCompleted);
                _healing.Add(HealAsync(healer, gap));
            }
        }
    }

    private async Task HealAsync(IGapHealer healer, DataGap gap)
    {
        GapHealingResult result;
        try
        {
            result = await healer.HealAsync(gap, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            return;
        }
        catch (Exception ex)
        {
            result = new GapHealingResult([], [.. gap.Registrations.Select(r => new GapHealingReport(gap.Id, r, GapHealing.NotHealed, 0, gap.From, gap.To, $"healing failed: {_keys.Scrub(ex.Message)}"))]);
        }

        _metrics.RestRecords(result.Rows);

        // The consumers of each registration on this session now (a pool's consumer holds others on other sessions).
        Dictionary<Registration, Subscriber[]> routes = _table.Routes;
        foreach (ProgramTrade row in result.Rows)
        {
            if (routes.TryGetValue(new Registration(row.Venue, row.Code), out Subscriber[]? subscribers))
            {
                foreach (Subscriber s in subscribers)
                {
                    if (s.WantsFeed)
                    {
                        s.Write(row);
                    }
                }
            }
        }

        foreach (GapHealingReport report in result.Reports)
        {
            Log.GapHealed(_log, report.GapId, report.Registration, report.Outcome, report.Rows, report.Detail);
            _metrics.Healing(report.Outcome, seed: false);
            _events.GapHealed(report);
            if (routes.TryGetValue(report.Registration, out Subscriber[]? subscribers))
            {
                foreach (Subscriber s in subscribers)
                {
                    if (s.WantsFeed)
                    {
                        s.WriteHealing(report);
                    }
                }
            }
        }
    }

    private Task WaitForHealingAsync()
    {
        lock (_healingGate)
        {
            return Task.WhenAll(_healing);
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
        _events.StateChanged(new ConnectionStateChangedEventArgs(previous, state, reason, error, attempt, next));
    }
}
