using KisFeed.Delivery;
using KisFeed.Transport;

using Microsoft.Extensions.Logging;

namespace KisFeed.Session;

/// <summary>
/// The supervisor: connect (approval key, transport), restore every registration, watch for silence, reconnect with
/// backoff, and report each outage as a <see cref="DataGap"/> with its exact bounds, then heal it over REST. The
/// fields below are written by the supervisor task only; others read them (volatile). Its parts by job:
/// <c>.Receive</c> (the receive loop), <c>.Restore</c>, <c>.Watch</c> (watchdog and sweep), <c>.Healing</c> (gaps).
/// </summary>
internal sealed partial class KisSession
{
    private readonly Random _jitter = new();
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
