using System.Text;

using KisFeed.Nats;

namespace KisFeed.TestKit;

/// <summary>
/// One gateway's connection to an <see cref="InMemoryNats"/>, with the semantics of the JetStream backplane: leases
/// taken by create, renewed on their revision, released by a delete on it, expired by the bucket's max age; validity on
/// the gateway's clock from each call's send time. While cut off (<see cref="Cut"/>, or the server not
/// <see cref="InMemoryNats.Reachable"/>) every call waits until it is reachable again or its token fires, as a NATS.Net
/// call does while disconnected; published items wait in the publisher's queue.
/// </summary>
internal sealed class InMemoryBackplane(InMemoryNats server, TimeProvider gatewayTime) : IGatewayBackplane
{
    private readonly Lock _gate = new();
    private readonly List<FeedItem> _queued = [];
    private volatile bool _cut;
    private TaskCompletionSource _rejoined = Completed();
    private long _published;

    /// <summary>True: this gateway cannot reach NATS (the others can).</summary>
    public bool Cut
    {
        get => _cut;
        set
        {
            lock (_gate)
            {
                _cut = value;
                if (!value)
                {
                    _rejoined.TrySetResult();
                    Deliver();
                }
                else if (_rejoined.Task.IsCompleted)
                {
                    _rejoined = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }
        }
    }

    /// <summary>When set, a publish calls it first: a test makes a pump fail with the exception it throws.</summary>
    public Action<FeedItem>? PublishFault { get; set; }

    /// <summary>Calls made while cut off or with NATS down (each waited).</summary>
    public long WaitedCalls => Interlocked.Read(ref _waited);

    /// <summary>Calls waiting for NATS right now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    private long _waited;
    private int _waiting;

    public FeedPublisherStatistics Statistics
    {
        get
        {
            lock (_gate)
            {
                return new FeedPublisherStatistics(Interlocked.Read(ref _published), 0, 0, _queued.Count);
            }
        }
    }

    private bool Reachable => !_cut && server.Reachable;

    private static TaskCompletionSource Completed()
    {
        var t = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        t.TrySetResult();
        return t;
    }

    private async Task ReachAsync(CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        while (!Reachable)
        {
            Interlocked.Increment(ref _waited);
            Task rejoined;
            lock (_gate)
            {
                rejoined = _rejoined.Task;
            }

            Interlocked.Increment(ref _waiting);
            try
            {
                await Task.WhenAll(rejoined, server.WhenReachable).WaitAsync(ct).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref _waiting);
            }
        }

        await Task.Yield();
    }

    public Task OpenAsync(CancellationToken cancellationToken) => ReachAsync(cancellationToken);

    public async Task<AppKeyLease?> TryAcquireAsync(string keyId, string owner, CancellationToken cancellationToken)
    {
        long sentAt = gatewayTime.GetTimestamp();
        await ReachAsync(cancellationToken).ConfigureAwait(false);
        return server.Leases.Create(keyId, Encoding.UTF8.GetBytes(owner)) is { } revision
            ? new AppKeyLease(keyId, owner, revision, sentAt, server.Feed.LeaseHoldWindow, gatewayTime)
            : null;
    }

    public async Task<LeaseRenewal> RenewAsync(AppKeyLease lease, CancellationToken cancellationToken)
    {
        long sentAt = gatewayTime.GetTimestamp();
        try
        {
            await ReachAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return LeaseRenewal.Unknown;
        }

        if (server.Leases.Update(lease.KeyId, Encoding.UTF8.GetBytes(lease.Owner), lease.Revision) is { } revision)
        {
            lease.Renewed(revision, sentAt);
            return LeaseRenewal.Renewed;
        }

        return LeaseRenewal.Lost;
    }

    public async Task ReleaseAsync(AppKeyLease lease, CancellationToken cancellationToken)
    {
        await ReachAsync(cancellationToken).ConfigureAwait(false);
        server.Leases.Delete(lease.KeyId, lease.Revision);
    }

    public async Task HeartbeatAsync(string gatewayId, CancellationToken cancellationToken)
    {
        await ReachAsync(cancellationToken).ConfigureAwait(false);
        server.Presence.Put(gatewayId, Encoding.UTF8.GetBytes("test-host"));
    }

    public async Task LeaveAsync(string gatewayId, CancellationToken cancellationToken)
    {
        await ReachAsync(cancellationToken).ConfigureAwait(false);
        server.Presence.Delete(gatewayId);
    }

    public async Task<IReadOnlyList<string>> LiveGatewaysAsync(CancellationToken cancellationToken)
    {
        await ReachAsync(cancellationToken).ConfigureAwait(false);
        return [.. server.Presence.Live().Select(e => e.Key)];
    }

    public async Task<IReadOnlyList<HeldLease>> LeasesAsync(CancellationToken cancellationToken)
    {
        await ReachAsync(cancellationToken).ConfigureAwait(false);
        return [.. server.Leases.Live().Select(e => new HeldLease(e.Key, e.Text, e.Created))];
    }

    public async Task<IReadOnlyList<Registration>> DesiredAsync(CancellationToken cancellationToken)
    {
        await ReachAsync(cancellationToken).ConfigureAwait(false);
        return server.Desired;
    }

    public async Task<DateTimeOffset?> LastStoredTodayAsync(Registration registration, CancellationToken cancellationToken)
    {
        await ReachAsync(cancellationToken).ConfigureAwait(false);
        return server.LastTradeToday(registration);
    }

    public ValueTask PublishAsync(FeedItem item, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        PublishFault?.Invoke(item);
        lock (_gate)
        {
            _queued.Add(item);
            if (Reachable)
            {
                Deliver();
            }
        }

        return ValueTask.CompletedTask;
    }

    // Under _gate: what is queued goes into the stream.
    private void Deliver()
    {
        if (_queued.Count == 0 || !server.Reachable)
        {
            return;
        }

        server.Store(_queued);
        Interlocked.Add(ref _published, _queued.Count);
        _queued.Clear();
    }

    public async Task<long> FlushAndCloseAsync(CancellationToken cancellationToken)
    {
        try
        {
            await ReachAsync(cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                Deliver();
            }
        }
        catch (OperationCanceledException)
        {
        }

        lock (_gate)
        {
            return _queued.Count;
        }
    }
}
