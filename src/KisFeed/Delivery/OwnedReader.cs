using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;

namespace KisFeed.Delivery;

/// <summary>
/// A consumer's reader. It keeps its subscription handle alive for as long as the consumer holds it (so the sweep never
/// releases a subscription whose reader is still in use), and, for a feed, hands over first the gaps and outcomes the
/// full buffer pushed out (<paramref name="keptAside"/>), which keeps them in order and never lost.
/// </summary>
internal sealed class OwnedReader<T>(ChannelReader<T> inner, object owner, ConcurrentQueue<T>? keptAside = null) : ChannelReader<T>
{
    /// <summary>The handle this reader keeps alive.</summary>
    public object Owner { get; } = owner;

    /// <summary>Completes when the buffer does (items kept aside after that are still read by <see cref="WaitToReadAsync"/> and <see cref="TryRead"/>).</summary>
    public override Task Completion => inner.Completion;

    public override bool CanCount => inner.CanCount;

    public override int Count => inner.Count + (keptAside?.Count ?? 0);

    public override bool CanPeek => inner.CanPeek;

    public override bool TryRead([MaybeNullWhen(false)] out T item) =>
        (keptAside is not null && keptAside.TryDequeue(out item)) || inner.TryRead(out item);

    public override bool TryPeek([MaybeNullWhen(false)] out T item) =>
        (keptAside is not null && keptAside.TryPeek(out item)) || inner.TryPeek(out item);

    public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) =>
        keptAside is null ? inner.WaitToReadAsync(cancellationToken) : WaitWithKeptAsideAsync(keptAside, cancellationToken);

    public override ValueTask<T> ReadAsync(CancellationToken cancellationToken = default) =>
        keptAside is null ? inner.ReadAsync(cancellationToken) : base.ReadAsync(cancellationToken);

    private async ValueTask<bool> WaitWithKeptAsideAsync(ConcurrentQueue<T> kept, CancellationToken cancellationToken)
    {
        if (!kept.IsEmpty)
        {
            return true;
        }

        return await inner.WaitToReadAsync(cancellationToken).ConfigureAwait(false) || !kept.IsEmpty;
    }
}
