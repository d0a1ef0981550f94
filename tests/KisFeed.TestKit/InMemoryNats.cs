using KisFeed.Nats;

namespace KisFeed.TestKit;

/// <summary>
/// The NATS side of a gateway deployment in memory, on one clock: the lease bucket (max age T), the presence bucket
/// (max age 3 R), the desired registrations and the stream. Each gateway reaches it through its own
/// <see cref="InMemoryBackplane"/>, which can be cut off; <see cref="Reachable"/> false cuts everyone (NATS down).
/// </summary>
public sealed class InMemoryNats
{
    private readonly Lock _gate = new();
    private readonly List<FeedItem> _stream = [];
    private readonly SortedSet<Registration> _desired = new(Comparer<Registration>.Create(RegistrationAssignment.Compare));
    private volatile bool _reachable = true;
    private TaskCompletionSource _back = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public InMemoryNats(TimeProvider time, NatsFeedOptions feed)
    {
        Time = time;
        Feed = feed;
        Leases = new InMemoryKv(time, feed.LeaseTtl);
        Presence = new InMemoryKv(time, feed.LeaseRenewInterval * 3);
        _back.TrySetResult();
    }

    public TimeProvider Time { get; }

    public NatsFeedOptions Feed { get; }

    /// <summary>The lease bucket (key id → holder).</summary>
    public InMemoryKv Leases { get; }

    /// <summary>The presence bucket (gateway id → host).</summary>
    public InMemoryKv Presence { get; }

    /// <summary>False: the server is down for every gateway (calls wait until it is back or their token fires).</summary>
    public bool Reachable
    {
        get => _reachable;
        set
        {
            lock (_gate)
            {
                _reachable = value;
                if (value)
                {
                    _back.TrySetResult();
                }
                else if (_back.Task.IsCompleted)
                {
                    _back = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }
        }
    }

    internal Task WhenReachable
    {
        get
        {
            lock (_gate)
            {
                return _back.Task;
            }
        }
    }

    /// <summary>Adds desired registrations (like <c>kisfeed subs add</c>).</summary>
    public void AddDesired(params Registration[] registrations)
    {
        lock (_gate)
        {
            _desired.UnionWith(registrations);
        }
    }

    /// <summary>Removes desired registrations.</summary>
    public void RemoveDesired(params Registration[] registrations)
    {
        lock (_gate)
        {
            _desired.ExceptWith(registrations);
        }
    }

    public IReadOnlyList<Registration> Desired
    {
        get
        {
            lock (_gate)
            {
                return [.. _desired];
            }
        }
    }

    /// <summary>Everything stored in the stream, in order.</summary>
    public IReadOnlyList<FeedItem> Stream
    {
        get
        {
            lock (_gate)
            {
                return [.. _stream];
            }
        }
    }

    /// <summary>The current holder of every live lease (key id → gateway id).</summary>
    public IReadOnlyDictionary<string, string> Holders => Leases.Live().ToDictionary(e => e.Key, e => e.Text, StringComparer.Ordinal);

    internal void Store(IEnumerable<FeedItem> items)
    {
        lock (_gate)
        {
            _stream.AddRange(items);
        }
    }

    internal DateTimeOffset? LastTradeToday(Registration r)
    {
        DateOnly today = KoreaTime.DateOf(Time.GetUtcNow());
        lock (_gate)
        {
            for (int i = _stream.Count - 1; i >= 0; i--)
            {
                if (_stream[i] is { Kind: FeedItemKind.Trade } item && item.Trade.Venue == r.Venue && item.Trade.Code == r.Code)
                {
                    return KoreaTime.DateOf(item.Trade.ReceivedAt) == today ? item.Trade.ReceivedAt : null;
                }
            }
        }

        return null;
    }
}
