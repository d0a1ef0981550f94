using System.Collections.Concurrent;
using System.Threading.Channels;

namespace KisFeed.Delivery;

/// <summary>
/// A consumer of trades, gaps and healing outcomes in order (<see cref="IKisFeedSource.SubscribeFeedAsync"/>).
/// A full buffer drops trades by the consumer's full mode, but never a gap or a healing outcome: one the channel
/// pushed out is kept aside and handed to the reader before anything still buffered, which keeps the order under
/// <see cref="BoundedChannelFullMode.DropOldest"/> (the default).
/// </summary>
/// <remarks>
/// A seeded feed (<see cref="FeedOptions.FromStartOfDay"/>) starts <em>seeding</em>: everything written is held back, in
/// order, and the second of the first live record of each registration is noted, until <see cref="CompleteSeed"/> puts
/// the seed (its gap, the REST rows strictly before those seconds, the reports) in the buffer ahead of what was held.
/// </remarks>
internal sealed class FeedSubscriber : Subscriber
{
    private readonly Channel<FeedItem> _channel;
    private readonly ConcurrentQueue<FeedItem> _keptAside = new(); // written by the channel's drop callback, read by the reader
    private readonly int _capacity;
    private readonly Lock _seedGate = new();
    private volatile bool _seeding; // set at construction, cleared once by CompleteSeed (under _seedGate)
    private List<FeedItem>? _held; // owned by _seedGate: what arrived while seeding
    private int _heldTrades; // owned by _seedGate
    private Dictionary<Registration, long>? _firstLive; // owned by _seedGate: unix second of the first live record per registration

    public FeedSubscriber(int capacity, BoundedChannelFullMode mode, DropReporter drops, bool seeding = false)
        : base(drops)
    {
        // Several writers: the receive loop (trades), the supervisor (gaps) and the healer (REST rows, outcomes).
        _channel = Channel.CreateBounded<FeedItem>(ChannelOptions(capacity, mode, singleWriter: false), OnItemDropped);
        _capacity = capacity;
        if (seeding)
        {
            _held = [];
            _firstLive = [];
            _seeding = true;
        }
    }

    public override bool WantsFeed => true;

    /// <summary>True until the seed of a <see cref="FeedOptions.FromStartOfDay"/> feed was delivered.</summary>
    public bool IsSeeding => _seeding;

    /// <summary>A reader for the consumer's handle <paramref name="owner"/>: what the full buffer pushed out first, then the buffer.</summary>
    public ChannelReader<FeedItem> ReaderFor(object owner) => new OwnedReader<FeedItem>(_channel.Reader, owner, _keptAside);

    public override void Write(in ProgramTrade trade)
    {
        if (_seeding && Hold(FeedItem.FromTrade(trade)))
        {
            return;
        }

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

    /// <summary>
    /// Ends seeding: writes each seed gap, the REST rows of its registrations that lie strictly before the second of the
    /// first live record this consumer got for that registration (so no row duplicates a live one), and the reports
    /// (their row counts adjusted to what was kept); then everything held back, in the order it arrived.
    /// </summary>
    public void CompleteSeed(IReadOnlyList<(DataGap Gap, IReadOnlyList<ProgramTrade> Rows, IReadOnlyList<GapHealingReport> Reports)> seeds)
    {
        lock (_seedGate)
        {
            if (!_seeding)
            {
                return;
            }

            foreach ((DataGap gap, IReadOnlyList<ProgramTrade> rows, IReadOnlyList<GapHealingReport> reports) in seeds)
            {
                WriteControlDirect(FeedItem.FromGap(gap));
                var kept = new Dictionary<Registration, int>();
                foreach (ProgramTrade row in rows)
                {
                    var r = new Registration(row.Venue, row.Code);
                    if (!Holds(r) || (_firstLive!.TryGetValue(r, out long first) && SecondOf(row) >= first))
                    {
                        continue;
                    }

                    kept[r] = kept.GetValueOrDefault(r) + 1;
                    WriteDirect(row);
                }

                foreach (GapHealingReport report in reports)
                {
                    int n = kept.GetValueOrDefault(report.Registration);
                    WriteControlDirect(FeedItem.FromHealing(n == report.Rows ? report : report with { Rows = n }));
                }
            }

            foreach (FeedItem item in _held!)
            {
                if (item.Kind == FeedItemKind.Trade)
                {
                    WriteDirect(item.Trade);
                }
                else
                {
                    WriteControlDirect(item);
                }
            }

            _held = null;
            _firstLive = null;
            _seeding = false;
        }
    }

    private static long SecondOf(in ProgramTrade t) => KoreaTime.At(t.TradingDate, t.Time).ToUnixTimeSeconds();

    /// <summary>Holds an item while seeding; false when seeding ended meanwhile (write it normally).</summary>
    private bool Hold(FeedItem item)
    {
        lock (_seedGate)
        {
            if (!_seeding)
            {
                return false;
            }

            if (item.Kind == FeedItemKind.Trade)
            {
                if (item.Trade.Source == TradeSource.WebSocket)
                {
                    _firstLive!.TryAdd(new Registration(item.Trade.Venue, item.Trade.Code), SecondOf(item.Trade));
                }

                if (_heldTrades >= _capacity)
                {
                    CountDropped(); // the held-back buffer is as large as the consumer's: the newest trade is lost
                    return true;
                }

                _heldTrades++;
            }

            _held!.Add(item);
            return true;
        }
    }

    private void WriteDirect(in ProgramTrade trade)
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

    private void WriteControl(FeedItem item)
    {
        if (_seeding && Hold(item))
        {
            return;
        }

        WriteControlDirect(item);
    }

    private void WriteControlDirect(FeedItem item)
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
