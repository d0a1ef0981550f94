using System.Runtime.CompilerServices;
using System.Threading.Channels;

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
    private readonly SemaphoreSlim _assign = new(1, 1);
    private readonly int _bufferCapacity;
    private readonly BufferFullMode _fullMode;

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
        _bufferCapacity = list.Max(o => o.ConsumerBufferCapacity);
        _fullMode = list[0].ConsumerFullMode;
    }

    /// <summary>The pooled clients (for their events and statistics).</summary>
    public IReadOnlyList<KisRealtimeClient> Clients => _clients;

    /// <summary>Registrations the pool can hold in all.</summary>
    public int Capacity => _clients.Sum(c => c.Options.MaxRegistrations);

    /// <summary>Registrations held now, over every session.</summary>
    public int RegistrationCount => _clients.Sum(c => c.Registrations.Count);

    /// <summary>Streams updates for <paramref name="codes"/> × <paramref name="venues"/>; leaving the loop unsubscribes.</summary>
    public async IAsyncEnumerable<ProgramTrade> ProgramTradesAsync(IEnumerable<string> codes, IEnumerable<Venue> venues, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using PooledSubscription subscription = await SubscribeAsync(codes, venues, cancellationToken).ConfigureAwait(false);
        await foreach (ProgramTrade trade in subscription.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return trade;
        }
    }

    /// <summary>
    /// Registers every pair on some session of the pool and returns one merged subscription. All or nothing: when a
    /// session refuses, what this call registered elsewhere is released again. Throws
    /// <see cref="KisSubscriptionLimitException"/> (before sending) when the pool has too few free slots.
    /// </summary>
    public async Task<PooledSubscription> SubscribeAsync(IEnumerable<string> codes, IEnumerable<Venue> venues, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(codes);
        ArgumentNullException.ThrowIfNull(venues);
        List<string> codeList = [.. codes.Select(KisRealtimeClient.NormalizeCode).Distinct(StringComparer.Ordinal)];
        List<Venue> venueList = [.. venues.Distinct()];
        List<Registration> wanted = [.. venueList.SelectMany(v => codeList.Select(c => new Registration(v, c)))];
        if (wanted.Count == 0)
        {
            throw new ArgumentException("Give at least one stock code and one venue.", nameof(codes));
        }

        await _assign.WaitAsync(cancellationToken).ConfigureAwait(false);
        var parts = new List<ProgramTradeSubscription>();
        try
        {
            // Plan: reuse a session that already holds the pair, otherwise the one with the most free slots.
            var free = _clients.ToDictionary(c => c, c => c.Options.MaxRegistrations - c.Registrations.Count);
            var plan = new Dictionary<KisRealtimeClient, List<Registration>>();
            foreach (Registration r in wanted)
            {
                KisRealtimeClient? target = _clients.FirstOrDefault(c => c.Registrations.Contains(r));
                if (target is null)
                {
                    target = _clients.MaxBy(c => free[c])!;
                    if (free[target] <= 0)
                    {
                        int held = _clients.Sum(c => c.Registrations.Count);
                        throw new KisSubscriptionLimitException(held, wanted.Count(x => !_clients.Any(c => c.Registrations.Contains(x))), Capacity);
                    }

                    free[target]--;
                }

                if (!plan.TryGetValue(target, out List<Registration>? list))
                {
                    plan[target] = list = [];
                }

                list.Add(r);
            }

            foreach ((KisRealtimeClient client, List<Registration> registrations) in plan)
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

        return new PooledSubscription(parts, _bufferCapacity, _fullMode);
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

/// <summary>One consumer's view over several sessions' subscriptions, merged into one bounded buffer.</summary>
public sealed class PooledSubscription : IAsyncDisposable
{
    private readonly IReadOnlyList<ProgramTradeSubscription> _parts;
    private readonly Channel<ProgramTrade> _merged;
    private readonly Task _pumps;
    private long _dropped;

    internal PooledSubscription(IReadOnlyList<ProgramTradeSubscription> parts, int capacity, BufferFullMode mode)
    {
        _parts = parts;
        _merged = Channel.CreateBounded<ProgramTrade>(
            new BoundedChannelOptions(capacity)
            {
                FullMode = mode == BufferFullMode.DropNewest ? BoundedChannelFullMode.DropWrite : BoundedChannelFullMode.DropOldest,
                SingleReader = false,
                SingleWriter = false,
            },
            _ => Interlocked.Increment(ref _dropped));
        _pumps = Task.WhenAll(parts.Select(Pump)).ContinueWith(_ => _merged.Writer.TryComplete(), TaskScheduler.Default);
    }

    /// <summary>Every (venue, code) pair of this subscription, over all sessions.</summary>
    public IReadOnlyList<Registration> Registrations => [.. _parts.SelectMany(p => p.Registrations)];

    /// <summary>The per-session subscriptions behind this one.</summary>
    public IReadOnlyList<ProgramTradeSubscription> Parts => _parts;

    /// <summary>Updates dropped, in the sessions' buffers or in the merged one.</summary>
    public long Dropped => Interlocked.Read(ref _dropped) + _parts.Sum(p => p.Dropped);

    /// <summary>The merged updates.</summary>
    public ChannelReader<ProgramTrade> Reader => _merged.Reader;

    /// <summary>Reads updates until the subscription ends or <paramref name="cancellationToken"/> fires.</summary>
    public IAsyncEnumerable<ProgramTrade> ReadAllAsync(CancellationToken cancellationToken = default) => _merged.Reader.ReadAllAsync(cancellationToken);

    private async Task Pump(ProgramTradeSubscription part)
    {
        await foreach (ProgramTrade trade in part.ReadAllAsync().ConfigureAwait(false))
        {
            _merged.Writer.TryWrite(trade);
        }
    }

    /// <summary>Unsubscribes on every session and ends the merged stream.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (ProgramTradeSubscription part in _parts)
        {
            await part.DisposeAsync().ConfigureAwait(false);
        }

        await _pumps.ConfigureAwait(false);
    }
}
