using System.Threading.Channels;

namespace KisFeed.Delivery;

/// <summary>A consumer of index program trading (<c>H0UPPGM0</c>, <see cref="KisRealtimeClient.SubscribeIndexAsync"/>).</summary>
internal sealed class IndexSubscriber : Subscriber
{
    private readonly Channel<IndexProgramTrade> _channel;

    /// <summary>A buffer of <paramref name="capacity"/> updates with full mode <paramref name="mode"/>; losses go to <paramref name="drops"/>.</summary>
    public IndexSubscriber(int capacity, BoundedChannelFullMode mode, DropReporter drops, bool singleWriter)
        : base(drops)
    {
        _channel = Channel.CreateBounded<IndexProgramTrade>(ChannelOptions(capacity, mode, singleWriter), _ => CountDropped());
    }

    public ChannelReader<IndexProgramTrade> Reader => _channel.Reader;

    public override bool WantsFeed => false;

    public override RecordKind Carries => RecordKind.IndexProgramTrade;

    public override void Write(in ProgramTrade trade)
    {
        // Never routed here: an index subscription holds index registrations only.
    }

    public override void WriteIndex(IndexProgramTrade update)
    {
        if (_channel.Writer.TryWrite(update))
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
