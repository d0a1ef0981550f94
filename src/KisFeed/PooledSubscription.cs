using System.Threading.Channels;

namespace KisFeed;

/// <summary>
/// One consumer's view over several sessions' subscriptions, merged into one bounded buffer. When a session ends a
/// part with an error, the merged stream ends with that error too (it is never swallowed).
/// </summary>
public sealed class PooledSubscription : IProgramTradeSubscription
{
    private readonly IReadOnlyList<ProgramTradeSubscription> _parts;
    private readonly Channel<ProgramTrade> _merged;
    private readonly Task _pumps;
    private long _dropped; // Interlocked: the merged channel's drop callback

    internal PooledSubscription(IReadOnlyList<ProgramTradeSubscription> parts, int capacity, BoundedChannelFullMode mode)
    {
        _parts = parts;
        _merged = Channel.CreateBounded<ProgramTrade>(
            new BoundedChannelOptions(capacity) { FullMode = mode, SingleReader = false, SingleWriter = false },
            _ => Interlocked.Increment(ref _dropped));
        // The pumps read the parts' buffers directly, not through their handles, so that this object (and through
        // it the parts) can still be collected and swept if the consumer abandons it without disposing.
        _pumps = Task.WhenAll(parts.Select(p => PumpAsync(p.Subscriber.Reader)));
        _ = _pumps.ContinueWith(t => _merged.Writer.TryComplete(t.Exception?.InnerException), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <inheritdoc/>
    public IReadOnlyList<Registration> Registrations => [.. _parts.SelectMany(p => p.Registrations)];

    /// <summary>The per-session subscriptions behind this one.</summary>
    public IReadOnlyList<ProgramTradeSubscription> Parts => _parts;

    /// <inheritdoc/>
    public long Dropped => Interlocked.Read(ref _dropped) + _parts.Sum(p => p.Dropped);

    /// <inheritdoc/>
    public ChannelReader<ProgramTrade> Reader => _merged.Reader;

    /// <inheritdoc/>
    public IAsyncEnumerable<ProgramTrade> ReadAllAsync(CancellationToken cancellationToken = default) => _merged.Reader.ReadAllAsync(cancellationToken);

    private async Task PumpAsync(ChannelReader<ProgramTrade> part)
    {
        await foreach (ProgramTrade trade in part.ReadAllAsync().ConfigureAwait(false))
        {
            _merged.Writer.TryWrite(trade);
        }

        await part.Completion.ConfigureAwait(false); // rethrows a part's fault, which ends the merged stream with it
    }

    /// <summary>Unsubscribes on every session and ends the merged stream.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (ProgramTradeSubscription part in _parts)
        {
            await part.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            await _pumps.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is KisException or OperationCanceledException)
        {
            // Already handed to the reader through the merged stream's completion.
        }
    }
}
