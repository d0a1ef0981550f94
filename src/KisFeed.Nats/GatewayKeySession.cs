namespace KisFeed.Nats;

/// <summary>
/// What runs for one held key: its lease, its KIS client, and one tracked pump task per registration carried on it.
/// Every pump is kept until it has finished, and <see cref="CloseAsync"/> awaits them all, so nothing of a key outlives
/// its session unseen.
/// </summary>
/// <remarks>
/// The registrations of a key are the unit that moves between keys and gateways, so they are reconciled here, in one
/// place: today each is its own feed on the client; carrying them as one subscription per key later changes only
/// <see cref="Reconcile"/> and the pump body.
/// </remarks>
internal sealed class GatewayKeySession
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Registration, Pump> _pumps = [];
    private readonly List<Pump> _stopping = [];
    private readonly CancellationTokenSource _stop = new();
    private Task<bool>? _close;

    public GatewayKeySession(AppKeyLease lease, KisRealtimeClient client)
    {
        Lease = lease;
        Client = client;
    }

    /// <summary>The lease this session was opened under.</summary>
    public AppKeyLease Lease { get; }

    /// <summary>The key's KIS client (its socket opens on the first registration).</summary>
    public KisRealtimeClient Client { get; }

    /// <summary>True once <see cref="CloseAsync"/> started: a pump that fails now is ending with its session, not failing.</summary>
    public bool IsClosing => Volatile.Read(ref _close) is not null;

    /// <summary>What the client's dispose threw, if anything (the session is closed all the same: its socket was cut).</summary>
    public Exception? CloseError { get; private set; }

    /// <summary>The registrations whose pumps run now.</summary>
    public IReadOnlyList<Registration> Registrations
    {
        get
        {
            lock (_gate)
            {
                return [.. _pumps.Keys];
            }
        }
    }

    /// <summary>
    /// Starts a pump (<paramref name="pump"/>, on its own task) for every registration of <paramref name="assigned"/> not
    /// carried yet, and stops those no longer assigned; returns the ones stopped. Nothing happens once closing.
    /// </summary>
    public IReadOnlyList<Registration> Reconcile(IReadOnlyList<Registration> assigned, Func<Registration, CancellationToken, Task> pump)
    {
        List<Registration> stopped = [];
        lock (_gate)
        {
            if (_close is not null)
            {
                return stopped;
            }

            _stopping.RemoveAll(p => p.Task.IsCompleted && p.Dispose());
            var want = assigned.ToHashSet();
            foreach ((Registration r, Pump p) in _pumps.Where(p => !want.Contains(p.Key)).ToList())
            {
                p.Stop.Cancel();
                _pumps.Remove(r);
                _stopping.Add(p);
                stopped.Add(r);
            }

            foreach (Registration r in assigned)
            {
                if (!_pumps.ContainsKey(r))
                {
                    var stop = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                    _pumps[r] = new Pump(stop, Task.Run(() => pump(r, stop.Token), CancellationToken.None));
                }
            }
        }

        return stopped;
    }

    /// <summary>
    /// Closes the client first (its socket closes and nothing more can be sent to KIS on this key), then stops the
    /// pumps and awaits them; within <paramref name="timeout"/> in all. True when the client finished closing in time
    /// (false: its close goes on, and its socket is cut when it gives up). Called twice, returns the first call's task.
    /// </summary>
    public Task<bool> CloseAsync(TimeSpan timeout, TimeProvider time)
    {
        var start = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (Interlocked.CompareExchange(ref _close, start.Task, null) is { } running)
        {
            return running;
        }

        // Runs synchronously up to the client's first await: the close frame is on its way before this returns.
        _ = CloseCoreAsync(timeout, time, start);
        return start.Task;
    }

    // Completes `done` and never throws: callers await `done`'s task, which is the one tracked.
    private async Task CloseCoreAsync(TimeSpan timeout, TimeProvider time, TaskCompletionSource<bool> done)
    {
        long began = time.GetTimestamp();
        bool closed = true;
        try
        {
            await Client.DisposeAsync().AsTask().WaitAsync(timeout, time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            closed = false;
        }
#pragma warning disable CA1031 // Whatever the client's dispose threw, the pumps must still be stopped and `done` completed.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            CloseError = ex;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        List<Pump> pumps;
        lock (_gate)
        {
            pumps = [.. _pumps.Values, .. _stopping];
            _pumps.Clear();
            _stopping.Clear();
        }

        TimeSpan left = timeout - time.GetElapsedTime(began);
        try
        {
            await Task.WhenAll(pumps.Select(p => p.Task)).WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A pump still finishing its last publish: it sees its cancelled token at its next await.
        }

        foreach (Pump p in pumps.Where(p => p.Task.IsCompleted))
        {
            p.Dispose();
        }

        done.TrySetResult(closed);
    }

    private sealed record Pump(CancellationTokenSource Stop, Task Task)
    {
        public bool Dispose()
        {
            Stop.Dispose();
            return true;
        }
    }
}
