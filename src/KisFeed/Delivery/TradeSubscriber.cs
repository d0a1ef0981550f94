using System.Threading.Channels;

namespace KisFeed.Delivery;

/// <summary>A consumer of trades only (<see cref="IKisFeedSource.SubscribeAsync"/>).</summary>
internal sealed class TradeSubscriber : Subscriber
{
    private readonly Channel<ProgramTrade> _channel;

    /// <summary>A buffer of <paramref name="capacity"/> trades with full mode <paramref name="mode"/>; losses go to <paramref name="drops"/>.</summary>
    /// <param name="capacity">Trades buffered before the full mode applies.</param>
    /// <param name="mode">What a full buffer drops.</param>
    /// <param name="drops">Counts and reports losses.</param>
    /// <param name="singleWriter">True when one session's receive loop is the only writer (a client's subscription); false for a pool's.</param>
    public TradeSubscriber(int capacity, BoundedChannelFullMode mode, DropReporter drops, bool singleWriter)
        : base(drops)
    {
        _channel = Channel.CreateBounded<ProgramTrade>(ChannelOptions(capacity, mode, singleWriter), _ => CountDropped());
    }

    public ChannelReader<ProgramTrade> Reader => _channel.Reader;

    public override bool WantsFeed => false;

    public override void Write(in ProgramTrade trade)
    {
        if (_channel.Writer.TryWrite(trade))
        {
            CountDelivered();
        }
        else
        {
            CountDropped(); // only after completion: a bounded channel in a drop mode takes every write
        }
    }

    public override void Complete(Exception? error = null) => _channel.Writer.TryComplete(error);
}
