using NATS.Client.Core;

namespace KisFeed.Nats;

// Losing and giving back leases: the watchdog, a loss (close first, at once), a release (close, then delete on the
// revision), and the tracking of closes still under way.
public sealed partial class NatsGateway
{
    /// <summary>The watchdog (a timer on the gateway's clock): drops every lease that ran out.</summary>
    private void CheckLeases()
    {
        foreach (KeySlot slot in _slots)
        {
            if (Volatile.Read(ref slot.Session) is { } session && !session.Lease.IsValid)
            {
                Lose(slot, session.Lease, "lease validity ran out (no acknowledged renewal within T−D)");
            }
        }
    }

    /// <summary>The session-close budget: min(5 s, half of the stop timeout).</summary>
    private TimeSpan SessionCloseBudget => _options.StopTimeout / 2 < MaxSessionCloseBudget ? _options.StopTimeout / 2 : MaxSessionCloseBudget;

    /// <summary>
    /// Rule 3: drop the lease (from now on the client's lease check refuses every connect) and begin closing the key's
    /// KIS session at once, before anything else; the close is tracked and awaited by the stop.
    /// </summary>
    private void Lose(KeySlot slot, AppKeyLease lease, string reason)
    {
        GatewayKeySession? session;
        lock (slot.Gate)
        {
            session = slot.Session;
            if (session is null || !ReferenceEquals(session.Lease, lease))
            {
                return;
            }

            Volatile.Write(ref slot.Session, null);
        }

        Task<bool> close = session.CloseAsync(SessionCloseBudget, _time);
        _metrics.LeaseEnded(GatewayMetrics.Lost);
        Log.LeaseLost(_log, slot.Credential.Id, reason);
        Emit(GatewayEventKind.LeaseLost, slot.Credential.Id, reason);
        Track(AfterLossAsync(slot, session, close));
    }

    private async Task AfterLossAsync(KeySlot slot, GatewayKeySession session, Task<bool> close)
    {
        bool closed = await close.ConfigureAwait(false);
        SessionEnded(slot, session, closed, "closed after the lease was lost");
    }

    private void SessionEnded(KeySlot slot, GatewayKeySession session, bool closed, string reason)
    {
        _metrics.SessionClosed();
        if (!closed)
        {
            Log.SessionCloseSlow(_log, slot.Credential.Id, SessionCloseBudget.TotalSeconds);
        }

        Emit(GatewayEventKind.SessionClosed, slot.Credential.Id, closed ? reason : $"{reason} (the close handshake did not finish in {SessionCloseBudget.TotalSeconds:0.#} s: the socket is cut)");
    }

    private void Track(Task task)
    {
        lock (_closings)
        {
            _closings.Add(task);
        }

        task.ContinueWith(
            static (t, s) =>
            {
                var set = (HashSet<Task>)s!;
                lock (set)
                {
                    set.Remove(t);
                }
            },
            _closings,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>Closes the key's session, then gives its lease back (rebalancing, no work left).</summary>
    private async Task ReleaseAsync(KeySlot slot, string reason, CancellationToken ct)
    {
        GatewayKeySession? session;
        lock (slot.Gate)
        {
            session = slot.Session;
            if (session is null)
            {
                return;
            }

            Volatile.Write(ref slot.Session, null);
        }

        bool closed = await session.CloseAsync(SessionCloseBudget, _time).ConfigureAwait(false);
        SessionEnded(slot, session, closed, reason);
        if (!closed || !session.Lease.IsValid)
        {
            // Rule 5: a lease is deleted only after its session is closed; otherwise it runs out by itself.
            _metrics.LeaseEnded(closed ? GatewayMetrics.Lost : GatewayMetrics.LeftToExpire);
            return;
        }

        if (await TryReleaseAsync(session.Lease, ct).ConfigureAwait(false) is { } error)
        {
            _metrics.LeaseEnded(GatewayMetrics.LeftToExpire);
            Emit(GatewayEventKind.Error, slot.Credential.Id, $"release failed (the lease will expire by itself): {error}");
            return;
        }

        _metrics.LeaseEnded(GatewayMetrics.Released);
        Log.LeaseReleased(_log, slot.Credential.Id);
        Emit(GatewayEventKind.LeaseReleased, slot.Credential.Id, reason);
    }

    /// <summary>One delete on the lease's revision; the error's words, or null when it was deleted.</summary>
    private async Task<string?> TryReleaseAsync(AppKeyLease lease, CancellationToken ct)
    {
        try
        {
            await _backplane.ReleaseAsync(lease, ct).ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException)
        {
            return "NATS did not answer in time";
        }
        catch (Exception ex) when (ex is NatsException or TimeoutException)
        {
            return ex.Message;
        }
    }
}
