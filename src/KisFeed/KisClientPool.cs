using System.Runtime.CompilerServices;

using KisFeed.Delivery;
using KisFeed.Session;

namespace KisFeed;

/// <summary>
/// Several KIS sessions, one per app key, used as one. KIS allows 41 registrations per session and one session per
/// app key; the pool spreads registrations over its sessions (a registration already held is reused; a new one goes
/// to the session with the most free slots), so N app keys follow up to N × 41 (TR, code) pairs.
/// </summary>
/// <example>
/// <code>
/// await using var pool = new KisClientPool([optionsForKey1, optionsForKey2]);
/// await foreach (ProgramTrade t in pool.ProgramTradesAsync(codes, VenueExtensions.All, ct)) { ... }
/// </code>
/// </example>
public sealed class KisClientPool : IAsyncDisposable
{
    private readonly KisRealtimeClient[] _clients;
    private readonly SemaphoreSlim _assign = new(1, 1); // one plan at a time: plans read every session's free slots
    private readonly KisOptions _first;

    /// <summary>Creates one client per options (one per app key). Nothing connects until the first subscription.</summary>
    public KisClientPool(IEnumerable<KisOptions> sessions)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        List<KisOptions> list = [.. sessions];
        if (list.Count == 0)
        {
            throw new ArgumentException("Give at least one session's options (one per app key).", nameof(sessions));
        }

        var keys = list.Where(o => o.AppKey is not null).GroupBy(o => o.AppKey, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (keys.Count > 0)
        {
            throw new ArgumentException($"App key {Secrets.Redact(keys[0])} appears twice; KIS allows one session per app key, so each pooled session needs its own.", nameof(sessions));
        }

        _clients = [.. list.Select(o => new KisRealtimeClient(o))];
        _first = list[0] with { ConsumerBufferCapacity = list.Max(o => o.ConsumerBufferCapacity) };
    }

    /// <summary>The pooled clients (for their events and statistics).</summary>
    public IReadOnlyList<KisRealtimeClient> Clients => _clients;

    /// <summary>Registrations the pool can hold in all.</summary>
    public int Capacity => _clients.Sum(c => c.Options.MaxRegistrations);

    /// <summary>Registrations held now, over every session.</summary>
    public int RegistrationCount => _clients.Sum(c => c.Registrations.Count);

    /// <summary>Streams updates for <paramref name="codes"/> × <paramref name="venues"/>; arguments are checked at once; leaving the loop unsubscribes.</summary>
    public IAsyncEnumerable<ProgramTrade> ProgramTradesAsync(IEnumerable<string> codes, IEnumerable<Venue> venues, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<Registration> wanted = KisRealtimeClient.BuildRegistrations(codes, venues);
        return Trades(wanted, cancellationToken);
    }

    /// <summary>
    /// Streams trades, gaps and healing outcomes of every session in one feed (see <see cref="KisRealtimeClient.FeedAsync(IEnumerable{string}, IEnumerable{Venue}, CancellationToken)"/>).
    /// Arguments are checked at once. A session's failure ends the feed with its error.
    /// </summary>
    public IAsyncEnumerable<FeedItem> FeedAsync(IEnumerable<string> codes, IEnumerable<Venue> venues, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<Registration> wanted = KisRealtimeClient.BuildRegistrations(codes, venues);
        return Feed(wanted, cancellationToken);
    }

    /// <summary>
    /// Registers every pair on some session of the pool and returns one merged subscription. All or nothing: when a
    /// session refuses, what this call registered elsewhere is released again. Throws
    /// <see cref="KisSubscriptionLimitException"/> (before sending) when the pool has too few free slots.
    /// </summary>
    public Task<PooledSubscription> SubscribeAsync(IEnumerable<string> codes, IEnumerable<Venue> venues, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<Registration> wanted = KisRealtimeClient.BuildRegistrations(codes, venues);
        return SubscribeAsync(wanted, cancellationToken);
    }

    private async Task<PooledSubscription> SubscribeAsync(IReadOnlyList<Registration> wanted, CancellationToken cancellationToken)
    {
        await _assign.WaitAsync(cancellationToken).ConfigureAwait(false);
        var parts = new List<ProgramTradeSubscription>();
        try
        {
            foreach ((KisRealtimeClient client, List<Registration> registrations) in Plan(wanted))
            {
                parts.Add(await client.SubscribeAsync(registrations, cancellationToken).ConfigureAwait(false));
            }
        }
        catch
        {
            foreach (ProgramTradeSubscription part in parts)
            {
                await part.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
        finally
        {
            _assign.Release();
        }

        return new PooledSubscription(parts, _first.ConsumerBufferCapacity, _first.ConsumerFullMode);
    }

    /// <summary>Reuses a session that already holds the pair, otherwise the one with the most free slots.</summary>
    private Dictionary<KisRealtimeClient, List<Registration>> Plan(IReadOnlyList<Registration> wanted)
    {
        var held = _clients.ToDictionary(c => c, c => new HashSet<Registration>(c.Registrations));
        var free = _clients.ToDictionary(c => c, c => c.Options.MaxRegistrations - held[c].Count);
        var plan = new Dictionary<KisRealtimeClient, List<Registration>>();
        foreach (Registration r in wanted)
        {
            KisRealtimeClient? target = _clients.FirstOrDefault(c => held[c].Contains(r));
            if (target is null)
            {
                target = _clients.MaxBy(c => free[c])!;
                if (free[target] <= 0)
                {
                    throw new KisSubscriptionLimitException(held.Values.Sum(h => h.Count), wanted.Count(x => !held.Values.Any(h => h.Contains(x))), Capacity);
                }

                free[target]--;
            }

            if (!plan.TryGetValue(target, out List<Registration>? list))
            {
                plan[target] = list = [];
            }

            list.Add(r);
        }

        return plan;
    }

    private async IAsyncEnumerable<ProgramTrade> Trades(IReadOnlyList<Registration> wanted, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        PooledSubscription subscription = await SubscribeAsync(wanted, cancellationToken).ConfigureAwait(false);
        await using (subscription.ConfigureAwait(false))
        {
            await foreach (ProgramTrade trade in subscription.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return trade;
            }
        }
    }

    private async IAsyncEnumerable<FeedItem> Feed(IReadOnlyList<Registration> wanted, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Dictionary<KisRealtimeClient, List<Registration>> plan;
        await _assign.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            plan = Plan(wanted);
        }
        finally
        {
            _assign.Release();
        }

        // The merged buffer has the same rules as one session's feed: trades may drop, gaps and outcomes never.
        var merged = new FeedSubscriber(wanted, _first.ConsumerBufferCapacity, _first.ConsumerFullMode, new DropReporter(_first.TimeProvider, (_, _) => { }));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task[] pumps = [.. plan.Select(p => PumpFeedAsync(p.Key.Feed(p.Value, stop.Token), merged))];
        Task all = Task.WhenAll(pumps).ContinueWith(t => merged.Complete(t.Exception?.InnerException), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        try
        {
            await foreach (FeedItem item in merged.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return item;
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await all.ConfigureAwait(false);
        }
    }

    private static async Task PumpFeedAsync(IAsyncEnumerable<FeedItem> part, FeedSubscriber merged)
    {
        try
        {
            await foreach (FeedItem item in part.ConfigureAwait(false))
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
        catch (OperationCanceledException)
        {
            // The consumer left the loop.
        }
    }

    /// <summary>Closes every session.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (KisRealtimeClient client in _clients)
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }

        _assign.Dispose();
    }
}
