namespace KisFeed.Nats;

// The one stop: sessions first, then one bounded attempt at NATS, then the report.
public sealed partial class NatsGateway
{
    private async Task<GatewayStopReport> StopCoreAsync()
    {
        long began = _time.GetTimestamp();
        TimeSpan sessionBudget = SessionCloseBudget;
        _stopping = true;
        await _runStop.CancelAsync().ConfigureAwait(false);
        ITimer? watchdog;
        lock (_lifecycle)
        {
            watchdog = _watchdog;
        }

        watchdog?.Dispose();

        // The lease loop stops at its next await (every NATS call it makes takes the run's token). A session it may
        // still create is refused (`_stopping` is read under the slot's gate), so the stop does not wait for it long.
        Task? loop;
        lock (_lifecycle)
        {
            loop = _loop;
        }

        if (loop is not null)
        {
            try
            {
                await loop.WaitAsync(sessionBudget, _time).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                Log.LoopSlowToStop(_log, sessionBudget.TotalSeconds);
            }
#pragma warning disable CA1031 // The loop's own failure is RunAsync's to report; the stop goes on regardless.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }

        // 1. Every KIS session, all at once: this must not wait for NATS.
        List<(KeySlot Slot, GatewayKeySession Session)> taken = [];
        foreach (KeySlot slot in _slots)
        {
            lock (slot.Gate)
            {
                if (slot.Session is { } s)
                {
                    taken.Add((slot, s));
                    Volatile.Write(ref slot.Session, null);
                }
            }
        }

        Log.Stopping(_log, taken.Count, Math.Max(0, (_options.StopTimeout - sessionBudget).TotalSeconds));
        TimeSpan closeBudget = Left(began, sessionBudget);
        bool[] closed = await Task.WhenAll(taken.Select(t => t.Session.CloseAsync(closeBudget, _time))).ConfigureAwait(false);
        Task[] losing;
        lock (_closings)
        {
            losing = [.. _closings];
        }

        try
        {
            await Task.WhenAll(losing).WaitAsync(Left(began, sessionBudget), _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Their sockets are being cut; the report counts the stop's own sessions.
        }

        for (int i = 0; i < taken.Count; i++)
        {
            SessionEnded(taken[i].Slot, taken[i].Session, closed[i], "gateway stopping");
        }

        // 2. One attempt at NATS, within what is left of the stop timeout.
        using var nats = new CancellationTokenSource(Left(began, _options.StopTimeout), _time);
        Task<string?>[] releases = [.. taken.Select((t, i) => closed[i] && t.Session.Lease.IsValid
            ? TryReleaseAsync(t.Session.Lease, nats.Token)
            : Task.FromResult<string?>(closed[i] ? "its validity had run out" : "its session was still closing"))];
        Task leave = _announced ? LeaveOnceAsync(nats.Token) : Task.CompletedTask;
        Task<long> flush = FlushOnceAsync(nats.Token);
        await Task.WhenAll(Task.WhenAll(releases), leave, flush).ConfigureAwait(false);

        int released = 0;
        int left = 0;
        for (int i = 0; i < taken.Count; i++)
        {
            (KeySlot slot, GatewayKeySession session) = taken[i];
            if (releases[i].Result is not { } why)
            {
                released++;
                _metrics.LeaseEnded(GatewayMetrics.Released);
                Log.LeaseReleased(_log, slot.Credential.Id);
                Emit(GatewayEventKind.LeaseReleased, slot.Credential.Id, "gateway stopping");
                continue;
            }

            left++;
            _metrics.LeaseEnded(GatewayMetrics.LeftToExpire);
            double seconds = Math.Max(0, (session.Lease.Remaining + _feed.KisSilentSessionLifetime).TotalSeconds);
            Log.LeaseLeftToExpire(_log, slot.Credential.Id, why, seconds);
            Emit(GatewayEventKind.LeaseLeftToExpire, slot.Credential.Id,
                $"not released ({why}): it expires by itself in about {seconds:0} s, at {GatewayStartPlan.Clock(_time.GetUtcNow().AddSeconds(seconds))} (T = {_feed.LeaseTtl.TotalSeconds:0.###} s after its last renewal); until then no other gateway takes this key");
        }

        var report = new GatewayStopReport(taken.Count, closed.Count(c => !c), released, left, flush.Result, _time.GetElapsedTime(began));
        if (!report.IsComplete)
        {
            Log.StoppedIncomplete(_log, report.ToString());
        }

        Emit(GatewayEventKind.Stopped, string.Empty, report.ToString());
        await _events.CompleteAsync(TimeSpan.FromSeconds(1), _time).ConfigureAwait(false);
        return report;
    }

    private TimeSpan Left(long began, TimeSpan budget)
    {
        TimeSpan left = budget - _time.GetElapsedTime(began);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    private async Task LeaveOnceAsync(CancellationToken ct)
    {
        try
        {
            await _backplane.LeaveAsync(GatewayId, ct).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // One attempt: whatever NATS answers, presence expires by itself within 3 R.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private async Task<long> FlushOnceAsync(CancellationToken ct)
    {
        try
        {
            return await _backplane.FlushAndCloseAsync(ct).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // One attempt: what could not be published is counted, not thrown at a stopping process.
        catch (Exception)
#pragma warning restore CA1031
        {
            return _backplane.Statistics.Pending;
        }
    }
}
