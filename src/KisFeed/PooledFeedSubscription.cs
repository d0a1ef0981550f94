using System.Runtime.CompilerServices;

using KisFeed.Delivery;

namespace KisFeed;

/// <summary>
/// One consumer's feed over several sessions of a <see cref="KisClientPool"/>
/// (<see cref="KisClientPool.SubscribeFeedAsync(IEnumerable{string}, IEnumerable{Venue}, FeedOptions, CancellationToken)"/>):
/// trades, gaps and healing outcomes of every session merged into one bounded buffer that never drops a gap or an
/// outcome. A seeded feed (<see cref="FeedOptions.FromStartOfDay"/>) carries the seed of every session (each through
/// its own app key's REST limiter) before any live record, as one session's feed does. When a session ends its part
/// with an error, the merged feed ends with that error. Dispose to unsubscribe everywhere.
/// </summary>
public sealed class PooledFeedSubscription : IAsyncDisposable
{
    private readonly IReadOnlyList<FeedSubscription> _parts;
    private readonly FeedSubscriber _merged;
    private readonly Task _pumps;
    private readonly CancellationTokenSource _stop = new();
    private int _disposed; // Interlocked: DisposeAsync may race itself

    /// <param name="parts">The per-session feeds (not seeded themselves), each with the moment its registrations were live.</param>
    /// <param name="merged">The merged buffer; seeding when the pool's feed is.</param>
    internal PooledFeedSubscription(IReadOnlyList<(FeedSubscription Part, DateTimeOffset Live)> parts, FeedSubscriber merged)
    {
        _parts = [.. parts.Select(p => p.Part)];
        _merged = merged;
        // The pumps read the parts' buffers directly; the merged buffer holds what arrives while the seed is fetched.
        Task pumps = Task.WhenAll(_parts.Select(p => PumpAsync(p.Subscriber, merged, _stop.Token)));
        Task seed = merged.IsSeeding ? SeedAsync(parts, merged) : Task.CompletedTask;
        _pumps = Task.WhenAll(pumps, seed);
        _ = _pumps.ContinueWith(t => merged.Complete(t.Exception?.InnerException), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>The (venue, code) pairs this feed receives, over every session.</summary>
    public IReadOnlyList<Registration> Registrations => _merged.Registrations;

    /// <summary>The per-session feeds behind this one.</summary>
    public IReadOnlyList<FeedSubscription> Parts => _parts;

    /// <summary>Trades lost because this consumer fell behind (gaps and outcomes are never lost).</summary>
    public long Dropped => _merged.Dropped + _parts.Sum(p => p.Dropped);

    /// <summary>Reads items until the feed ends or <paramref name="cancellationToken"/> fires.</summary>
    public async IAsyncEnumerable<FeedItem> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (FeedItem item in _merged.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return item;
        }
    }

    /// <summary>Unsubscribes on every session and ends the merged feed.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (FeedSubscription part in _parts)
        {
            await part.DisposeAsync().ConfigureAwait(false);
        }

        try
        {
            await _pumps.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is KisException or OperationCanceledException or ObjectDisposedException)
        {
            // Already handed to the reader through the merged feed's completion.
        }

        _stop.Dispose();
    }

    /// <summary>Every session's seed at once (each session heals through its own app key), handed over together.</summary>
    private static async Task SeedAsync(IReadOnlyList<(FeedSubscription Part, DateTimeOffset Live)> parts, FeedSubscriber merged)
    {
        var seeds = new List<(DataGap, IReadOnlyList<ProgramTrade>, IReadOnlyList<GapHealingReport>)>();
        try
        {
            foreach (IReadOnlyList<(DataGap, IReadOnlyList<ProgramTrade>, IReadOnlyList<GapHealingReport>)> part in
                await Task.WhenAll(parts.Select(p => p.Part.Session.FetchSeedAsync(p.Part.Registrations, p.Live))).ConfigureAwait(false))
            {
                seeds.AddRange(part);
            }
        }
        finally
        {
            merged.CompleteSeed(seeds); // whatever happened, what was held is handed over
        }
    }

    private static async Task PumpAsync(FeedSubscriber part, FeedSubscriber merged, CancellationToken ct)
    {
        try
        {
            await foreach (FeedItem item in part.ReadAllAsync(ct).ConfigureAwait(false))
            {
                switch (item.Kind)
                {
                    case FeedItemKind.Trade:
                        merged.Write(item.Trade);
                        break;
                    case FeedItemKind.Gap:
                        merged.WriteGap(item.Gap!);
                        break;
                    default:
                        merged.WriteHealing(item.Healing!);
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The consumer disposed the feed.
        }
    }
}
