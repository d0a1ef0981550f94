using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace KisFeed.Delivery;

/// <summary>
/// A consumer of trades, gaps and healing outcomes in order (<see cref="KisRealtimeClient.FeedAsync(IEnumerable{string}, IEnumerable{Venue}, CancellationToken)"/>).
/// A full buffer drops trades by the consumer's full mode, but never a gap or a healing outcome: one the channel
/// pushed out is kept aside and handed to the reader before anything still buffered, which keeps the order under
/// <see cref="BoundedChannelFullMode.DropOldest"/> (the default).
/// </summary>
internal sealed class FeedSubscriber : Subscriber
{
    private readonly Channel<FeedItem> _channel;
    private readonly ConcurrentQueue<FeedItem> _keptAside = new(); // written by the channel's drop callback, read by the reader

    public FeedSubscriber(IReadOnlyList<Registration> registrations, int capacity, BoundedChannelFullMode mode, DropReporter drops)
        : base(registrations, drops)
    {
        // Several writers: the receive loop (trades), the supervisor (gaps) and the healer (REST rows, outcomes).
        _channel = Channel.CreateBounded<FeedItem>(ChannelOptions(capacity, mode, singleWriter: false), OnItemDropped);
    }

    public override bool WantsFeed => true;

    public override void Write(in ProgramTrade trade)
    {
        if (_channel.Writer.TryWrite(FeedItem.FromTrade(trade)))
        {
            CountDelivered();
        }
        else
        {
            CountDropped();
        }
    }

    public override void WriteGap(DataGap gap) => WriteControl(FeedItem.FromGap(gap));

    public override void WriteHealing(GapHealingReport report) => WriteControl(FeedItem.FromHealing(report));

    public override void Complete(Exception? error = null) => _channel.Writer.TryComplete(error);

    /// <summary>Reads until the session ends the stream or <paramref name="cancellationToken"/> fires.</summary>
    public async IAsyncEnumerable<FeedItem> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ChannelReader<FeedItem> reader = _channel.Reader;
        while (true)
        {
            while (_keptAside.TryDequeue(out FeedItem kept))
            {
                yield return kept;
            }

            if (reader.TryRead(out FeedItem item))
            {
                yield return item;
                continue;
            }

            if (!await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (_keptAside.TryDequeue(out FeedItem kept))
                {
                    yield return kept;
                }

                yield break;
            }
        }
    }

    private void WriteControl(FeedItem item)
    {
        if (!_channel.Writer.TryWrite(item))
        {
            _keptAside.Enqueue(item); // the stream already ended; the reader drains this on its way out
        }
    }

    private void OnItemDropped(FeedItem item)
    {
        if (item.Kind == FeedItemKind.Trade)
        {
            CountDropped();
        }
        else
        {
            _keptAside.Enqueue(item);
        }
    }
}
