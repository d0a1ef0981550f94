using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;

using KisFeed.Delivery;
using KisFeed.Session;

namespace KisFeed;

/// <summary>
/// One consumer's subscription on one session: a bounded buffer of updates for a set of (venue, code) registrations.
/// The socket reader writes into it without ever waiting; when the consumer falls behind, the client's
/// <see cref="KisOptions.ConsumerFullMode"/> applies and <see cref="Dropped"/> counts what was lost. Dispose to
/// unsubscribe. A subscription that is never disposed is released once nothing refers to it any more (neither this
/// object nor its <see cref="Reader"/>).
/// </summary>
public sealed class ProgramTradeSubscription : IProgramTradeSubscription
{
    private readonly KisSession _session;
    private readonly TradeSubscriber _subscriber;
    private int _disposed; // Interlocked: DisposeAsync may race itself

    internal ProgramTradeSubscription(KisSession session, TradeSubscriber subscriber)
    {
        _session = session;
        _subscriber = subscriber;
        subscriber.SetOwner(this);
        Reader = new OwnedReader(subscriber.Reader, this);
    }

    /// <inheritdoc/>
    public IReadOnlyList<Registration> Registrations => _subscriber.Registrations;

    /// <inheritdoc/>
    public ChannelReader<ProgramTrade> Reader { get; }

    /// <inheritdoc/>
    public long Dropped => _subscriber.Dropped;

    /// <summary>Updates written to this consumer's buffer (including any later dropped by <see cref="BoundedChannelFullMode.DropOldest"/>).</summary>
    public long Delivered => _subscriber.Delivered;

    internal TradeSubscriber Subscriber => _subscriber;

    /// <inheritdoc/>
    public IAsyncEnumerable<ProgramTrade> ReadAllAsync(CancellationToken cancellationToken = default) => Reader.ReadAllAsync(cancellationToken);

    /// <summary>Unsubscribes (registrations no other consumer uses are released at KIS) and ends <see cref="Reader"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await _session.RemoveAsync(_subscriber).ConfigureAwait(false);
        }
    }

    /// <summary>The consumer's reader; it keeps the subscription alive for as long as the consumer holds it.</summary>
    private sealed class OwnedReader(ChannelReader<ProgramTrade> inner, ProgramTradeSubscription owner) : ChannelReader<ProgramTrade>
    {
        public ProgramTradeSubscription Owner { get; } = owner;

        public override Task Completion => inner.Completion;

        public override bool CanCount => inner.CanCount;

        public override int Count => inner.Count;

        public override bool CanPeek => inner.CanPeek;

        public override bool TryRead([MaybeNullWhen(false)] out ProgramTrade item) => inner.TryRead(out item);

        public override bool TryPeek([MaybeNullWhen(false)] out ProgramTrade item) => inner.TryPeek(out item);

        public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) => inner.WaitToReadAsync(cancellationToken);

        public override ValueTask<ProgramTrade> ReadAsync(CancellationToken cancellationToken = default) => inner.ReadAsync(cancellationToken);
    }
}
