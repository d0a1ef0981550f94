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
    public IAsyncEnumerable<FeedItem> FeedAsync(IEnumerable<string> codes, IEnumerable<Venue> venues, CancellationToken cancellationToken = default) =>
        FeedAsync(codes, venues, FeedOptions.Default, cancellationToken);

    /// <summary>
    /// As <see cref="FeedAsync(IEnumerable{string}, IEnumerable{Venue}, CancellationToken)"/>, started as <paramref name="options"/>
    /// says: with <see cref="FeedOptions.FromStartOfDay"/>, the REST rows of the day so far of every registration come
    /// first (each session's seed gap, rows and reports, fetched through that session's app key), then the live records,
    /// with no hole and no duplicate (see <see cref="KisRealtimeClient.FeedAsync(IEnumerable{string}, IEnumerable{Venue}, FeedOptions, CancellationToken)"/>).
    /// </summary>
    public IAsyncEnumerable<FeedItem> FeedAsync(IEnumerable<string> codes, IEnumerable<Venue> venues, FeedOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        IReadOnlyList<Registration> wanted = KisRealtimeClient.BuildRegistrations(codes, venues);
        return Feed(wanted, options, cancellationToken);
    }

    /// <summary>
    /// Registers every pair on some session of the pool (all or nothing, as <see cref="SubscribeAsync(IEnumerable{string}, IEnumerable{Venue}, CancellationToken)"/>)
    /// and returns one merged feed of trades, gaps and healing outcomes.
    /// </summary>
    public Task<PooledFeedSubscription> SubscribeFeedAsync(IEnumerable<string> codes, IEnumerable<Venue> venues, CancellationToken cancellationToken = default) =>
        SubscribeFeedAsync(codes, venues, FeedOptions.Default, cancellationToken);

    /// <summary>
    /// As <see cref="SubscribeFeedAsync(IEnumerable{string}, IEnumerable{Venue}, CancellationToken)"/>, started as
    /// <paramref name="options"/> says (see <see cref="FeedOptions.FromStartOfDay"/>). The call returns once every session
    /// accepted its registrations; the seed is fetched afterwards and read first.
    /// </summary>
    public Task<PooledFeedSubscription> SubscribeFeedAsync(IEnumerable<string> codes, IEnumerable<Venue> venues, FeedOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        IReadOnlyList<Registration> wanted = KisRealtimeClient.BuildRegistrations(codes, venues);
        return SubscribeFeedAsync(wanted, options, cancellationToken);
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

    private async IAsyncEnumerable<FeedItem> Feed(IReadOnlyList<Registration> wanted, FeedOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        PooledFeedSubscription feed = await SubscribeFeedAsync(wanted, options, cancellationToken).ConfigureAwait(false);
        await using (feed.ConfigureAwait(false))
        {
            await foreach (FeedItem item in feed.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return item;
            }
        }
    }

    private async Task<PooledFeedSubscription> SubscribeFeedAsync(IReadOnlyList<Registration> wanted, FeedOptions options, CancellationToken cancellationToken)
    {
        await _assign.WaitAsync(cancellationToken).ConfigureAwait(false);
        var parts = new List<(FeedSubscription Part, DateTimeOffset Live)>();
        try
        {
            foreach ((KisRealtimeClient client, List<Registration> registrations) in Plan(wanted))
            {
                // Each part is a plain feed: the pool seeds them all itself, so that every seed comes before any live record.
                FeedSubscription part = await client.SubscribeFeedAsync(registrations, FeedOptions.Default, cancellationToken).ConfigureAwait(false);
                parts.Add((part, client.Options.TimeProvider.GetUtcNow()));
            }
        }
        catch
        {
            foreach ((FeedSubscription part, _) in parts)
            {
                await part.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
        finally
        {
            _assign.Release();
        }

        // The merged buffer has the same rules as one session's feed: trades may drop, gaps and outcomes never.
        var merged = new FeedSubscriber(wanted, _first.ConsumerBufferCapacity, _first.ConsumerFullMode, new DropReporter(_first.TimeProvider, (_, _) => { }), options.FromStartOfDay);
        return new PooledFeedSubscription(parts, merged);
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
