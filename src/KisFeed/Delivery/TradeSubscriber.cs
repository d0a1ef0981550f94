using System.Threading.Channels;

namespace KisFeed.Delivery;

/// <summary>A consumer of trades only (<see cref="KisRealtimeClient.ProgramTradesAsync(IEnumerable{string}, Venue, CancellationToken)"/>).</summary>
internal sealed class TradeSubscriber : Subscriber
{
    private readonly Channel<ProgramTrade> _channel;

    public TradeSubscriber(IReadOnlyList<Registration> registrations, int capacity, BoundedChannelFullMode mode, DropReporter drops)
        : base(registrations, drops)
    {
        // One writer: only the current connection's receive loop writes trades here.
        _channel = Channel.CreateBounded<ProgramTrade>(ChannelOptions(capacity, mode, singleWriter: true), _ => CountDropped());
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
