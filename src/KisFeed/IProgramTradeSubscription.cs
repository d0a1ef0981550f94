using System.Threading.Channels;

namespace KisFeed;

/// <summary>
/// One consumer's subscription, on one session (<see cref="ProgramTradeSubscription"/>) or spread over a pool
/// (<see cref="PooledSubscription"/>): a bounded buffer of updates that the socket reader fills without ever waiting.
/// Dispose to unsubscribe; leaving an <c>await foreach</c> over <see cref="ReadAllAsync"/> does not dispose it.
/// </summary>
public interface IProgramTradeSubscription : IAsyncDisposable
{
    /// <summary>The (venue, code) pairs this subscription receives.</summary>
    IReadOnlyList<Registration> Registrations { get; }

    /// <summary>The buffered updates. Completes when the subscription or its client ends (with the error, if one ended it).</summary>
    ChannelReader<ProgramTrade> Reader { get; }

    /// <summary>Updates lost because this consumer fell behind.</summary>
    long Dropped { get; }

    /// <summary>Reads updates until the subscription ends or <paramref name="cancellationToken"/> fires.</summary>
    IAsyncEnumerable<ProgramTrade> ReadAllAsync(CancellationToken cancellationToken = default);
}
