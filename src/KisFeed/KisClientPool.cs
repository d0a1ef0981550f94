using KisFeed.Delivery;
using KisFeed.Session;

namespace KisFeed;

/// <summary>
/// Several KIS sessions, one per app key, used as one source. KIS allows 41 registrations per session and one session
/// per app key; the pool spreads registrations over its sessions (a registration already held is reused; a new one
/// goes to the session with the most free slots), so N app keys follow up to N × 41 (TR, key) pairs. A subscription on
/// the pool is one buffer that every session writes into, with the same shape as a client's.
/// </summary>
/// <example>
/// <code>
/// await using var pool = new KisClientPool([optionsForKey1, optionsForKey2]);
/// await foreach (ProgramTrade t in pool.ProgramTradesAsync(Registration.Of(codes, VenueExtensions.All))) { ... }
/// </code>
/// </example>
public sealed class KisClientPool : IKisFeedSource, IAsyncDisposable
{
    private readonly KisRealtimeClient[] _clients;
    private readonly Placement _placement;
    private readonly SubscribeOptions _buffers; // the largest capacity of any session, the first session's full mode

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
        _placement = new Placement([.. _clients.Select(c => c.Session)]);
        _buffers = new SubscribeOptions { BufferCapacity = list.Max(o => o.ConsumerBufferCapacity), FullMode = list[0].ConsumerFullMode };
    }

    /// <summary>The pooled clients (for their events and statistics).</summary>
    public IReadOnlyList<KisRealtimeClient> Clients => _clients;

    /// <summary>Registrations the pool can hold in all.</summary>
    public int Capacity => _clients.Sum(c => c.Options.MaxRegistrations);

    /// <summary>Registrations held now, over every session.</summary>
    public int RegistrationCount => _clients.Sum(c => c.Registrations.Count);

    /// <inheritdoc/>
    /// <remarks>
    /// Registrations no session has room for are reported <see cref="RegistrationState.OverLimit"/>. When a session
    /// fails, the subscription's stream ends with its error (it is never swallowed).
    /// </remarks>
    public Task<IKisSubscription<ProgramTrade>> SubscribeAsync(IEnumerable<Registration> registrations, SubscribeOptions? options = null, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<Registration> wanted = Registration.Check(registrations, RecordKind.StockProgramTrade);
        options?.Validate();
        TradeSubscriber subscriber = _clients[0].Session.NewTradeSubscriber(Buffers(options), shared: true);
        return Subscription<ProgramTrade>.OpenAsync(_placement, subscriber, owner => new OwnedReader<ProgramTrade>(subscriber.Reader, owner), wanted, cancellationToken);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// A seeded feed (<see cref="FeedOptions.FromStartOfDay"/>) carries the seed of every session (each fetched through
    /// its own app key's REST limiter) before any live record, as one session's feed does.
    /// </remarks>
    public Task<IKisSubscription<FeedItem>> SubscribeFeedAsync(IEnumerable<Registration> registrations, FeedOptions? options = null, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<Registration> wanted = Registration.Check(registrations, RecordKind.StockProgramTrade);
        options?.Validate();
        FeedSubscriber subscriber = _clients[0].Session.NewFeedSubscriber(Buffers(options), seeding: options?.FromStartOfDay == true);
        return Subscription<FeedItem>.OpenAsync(_placement, subscriber, subscriber.ReaderFor, wanted, cancellationToken);
    }

    /// <summary>
    /// Subscribes to index program trading (<c>H0UPPGM0</c>) as <see cref="KisRealtimeClient.SubscribeIndexAsync"/> does;
    /// each index takes a registration on one of the pooled sessions, placed like a stock's.
    /// </summary>
    /// <exception cref="ArgumentException">No code, or one that is not a 4-digit index code.</exception>
    /// <exception cref="KisException">A session could not connect, or KIS did not answer in time.</exception>
    public Task<IKisSubscription<IndexProgramTrade>> SubscribeIndexAsync(IEnumerable<string> indexCodes, SubscribeOptions? options = null, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<Registration> wanted = Registration.Indices(indexCodes);
        options?.Validate();
        IndexSubscriber subscriber = _clients[0].Session.NewIndexSubscriber(Buffers(options), shared: true);
        return Subscription<IndexProgramTrade>.OpenAsync(_placement, subscriber, owner => new OwnedReader<IndexProgramTrade>(subscriber.Reader, owner), wanted, cancellationToken);
    }

    private SubscribeOptions Buffers(SubscribeOptions? options) => new()
    {
        BufferCapacity = options?.BufferCapacity ?? _buffers.BufferCapacity,
        FullMode = options?.FullMode ?? _buffers.FullMode,
    };

    /// <summary>Closes every session.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (KisRealtimeClient client in _clients)
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }

        _placement.PlanGate.Dispose();
    }

    /// <summary>Reuses a session that already holds the pair, otherwise the one with the most free slots; one plan at a time.</summary>
    private sealed class Placement(KisSession[] sessions) : IPlacement
    {
        public SemaphoreSlim PlanGate { get; } = new(1, 1);

        SemaphoreSlim? IPlacement.PlanGate => PlanGate;

        public (IReadOnlyList<PlacedPart> Parts, IReadOnlyList<RegistrationStatus> OverLimit) Plan(IReadOnlyList<Registration> registrations)
        {
            var free = sessions.ToDictionary(s => s, s => s.Table.Limit - s.Table.Count);
            var plan = new Dictionary<KisSession, List<Registration>>();
            List<RegistrationStatus> over = [];
            foreach (Registration r in registrations)
            {
                KisSession? target = sessions.FirstOrDefault(s => s.Table.IsWanted(r));
                if (target is null)
                {
                    target = sessions.MaxBy(s => free[s])!;
                    if (free[target] <= 0)
                    {
                        string message = $"{r} does not fit: the pool's {sessions.Length} session(s) hold their {sessions.Sum(s => s.Table.Limit)} registrations. Add an app key to the pool, or unsubscribe others first.";
                        over.Add(new RegistrationStatus(r, RegistrationState.OverLimit) { Message = message, Error = new KisException(message) });
                        continue;
                    }

                    free[target]--;
                }

                if (!plan.TryGetValue(target, out List<Registration>? list))
                {
                    plan[target] = list = [];
                }

                list.Add(r);
            }

            return ([.. plan.Select(p => new PlacedPart(p.Key, p.Value))], over);
        }
    }
}
