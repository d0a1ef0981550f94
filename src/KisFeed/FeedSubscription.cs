using KisFeed.Delivery;
using KisFeed.Session;

namespace KisFeed;

/// <summary>
/// One consumer's feed on one session (<see cref="KisRealtimeClient.SubscribeFeedAsync(IEnumerable{string}, IEnumerable{Venue}, CancellationToken)"/>): trades, gaps and healing
/// outcomes in order, in a bounded buffer that never drops a gap or an outcome. Dispose to unsubscribe. A feed that is
/// never disposed is released once nothing refers to it any more.
/// </summary>
public sealed class FeedSubscription : IAsyncDisposable
{
    private readonly KisSession _session;
    private readonly FeedSubscriber _subscriber;
    private int _disposed; // Interlocked: DisposeAsync may race itself

    internal FeedSubscription(KisSession session, FeedSubscriber subscriber)
    {
        _session = session;
        _subscriber = subscriber;
        subscriber.SetOwner(this);
    }

    internal KisSession Session => _session;

    internal FeedSubscriber Subscriber => _subscriber;

    /// <summary>The (venue, code) pairs this feed receives.</summary>
    public IReadOnlyList<Registration> Registrations => _subscriber.Registrations;

    /// <summary>Trades lost because this consumer fell behind (gaps and outcomes are never lost).</summary>
    public long Dropped => _subscriber.Dropped;

    /// <summary>Reads items until the feed ends or <paramref name="cancellationToken"/> fires.</summary>
    public async IAsyncEnumerable<FeedItem> ReadAllAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (FeedItem item in _subscriber.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return item;
        }

        GC.KeepAlive(this);
    }

    /// <summary>Unsubscribes (registrations no other consumer uses are released at KIS) and ends the feed.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await _session.RemoveAsync(_subscriber).ConfigureAwait(false);
        }
    }
}
