using System.Threading.Channels;

namespace KisFeed;

/// <summary>
/// One consumer's subscription: a bounded buffer of updates for a set of (venue, code) registrations. The socket
/// reader writes into it without ever waiting; when the consumer falls behind, the buffer's
/// <see cref="BufferFullMode"/> applies and <see cref="Dropped"/> counts what was lost. Dispose to unsubscribe.
/// </summary>
public sealed class ProgramTradeSubscription : IAsyncDisposable
{
    private readonly KisRealtimeClient _client;
    private readonly Channel<ProgramTrade> _channel;
    private long _dropped;
    private long _delivered;
    private long _lastDropReport = long.MinValue;
    private int _disposed;

    internal ProgramTradeSubscription(KisRealtimeClient client, IReadOnlyList<Registration> registrations, int capacity, BufferFullMode mode)
    {
        _client = client;
        Registrations = registrations;
        var options = new BoundedChannelOptions(capacity)
        {
            FullMode = mode == BufferFullMode.DropNewest ? BoundedChannelFullMode.DropWrite : BoundedChannelFullMode.DropOldest,
            SingleWriter = true,
            SingleReader = false,
            AllowSynchronousContinuations = false,
        };
        _channel = Channel.CreateBounded<ProgramTrade>(options, OnDropped);
    }

    /// <summary>The (venue, code) pairs this subscription receives.</summary>
    public IReadOnlyList<Registration> Registrations { get; }

    /// <summary>The buffered updates. Completes when the subscription or the client is disposed.</summary>
    public ChannelReader<ProgramTrade> Reader => _channel.Reader;

    /// <summary>Updates dropped because this consumer fell behind.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Updates written to this consumer's buffer (including any later dropped by <see cref="BufferFullMode.DropOldest"/>).</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Reads updates until the subscription ends or <paramref name="cancellationToken"/> fires.</summary>
    public IAsyncEnumerable<ProgramTrade> ReadAllAsync(CancellationToken cancellationToken = default) => _channel.Reader.ReadAllAsync(cancellationToken);

    /// <summary>Unsubscribes (registrations no other consumer uses are released at KIS) and ends <see cref="Reader"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await _client.RemoveSubscriptionAsync(this).ConfigureAwait(false);
        }
    }

    /// <summary>Called on the receive loop: never blocks.</summary>
    internal void Write(in ProgramTrade trade)
    {
        if (_channel.Writer.TryWrite(trade))
        {
            _delivered++;
        }
        else
        {
            // Only after completion; the bounded channel in drop mode accepts every write.
            OnDropped(trade);
        }
    }

    internal void Complete(Exception? error = null) => _channel.Writer.TryComplete(error);

    private void OnDropped(ProgramTrade trade)
    {
        long dropped = Interlocked.Increment(ref _dropped);
        long now = _client.Time.GetTimestamp();
        if (_lastDropReport == long.MinValue || _client.Time.GetElapsedTime(_lastDropReport, now) >= TimeSpan.FromSeconds(1))
        {
            _lastDropReport = now;
            _client.ReportDrops(this, dropped);
        }
    }
}
