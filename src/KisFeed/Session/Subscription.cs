using System.Runtime.CompilerServices;
using System.Threading.Channels;

using KisFeed.Delivery;

namespace KisFeed.Session;

/// <summary>
/// The one implementation of <see cref="IKisSubscription{T}"/> for a client and a pool alike: one buffer
/// (<see cref="Subscriber"/>) in the registration tables of the sessions its registrations were placed on, so every
/// session's receive loop writes straight into it. It knows, per registration asked for, the session holding it or why
/// none does. <see cref="_changes"/> serializes adding, removing and disposing; <see cref="_gate"/> owns
/// <see cref="_entries"/> so that <see cref="Registrations"/> can be read at any time.
/// </summary>
internal sealed class Subscription<T> : IKisSubscription<T>
{
    private readonly IPlacement _placement;
    private readonly Subscriber _subscriber;
    private readonly SemaphoreSlim _changes = new(1, 1);
    private readonly Lock _gate = new();
    private readonly List<Entry> _entries = []; // owned by _gate; written by the holder of _changes
    private Task _seed = Task.CompletedTask; // set once by OpenAsync before the handle is handed out
    private int _disposed; // Interlocked

    private Subscription(IPlacement placement, Subscriber subscriber, Func<object, ChannelReader<T>> reader)
    {
        _placement = placement;
        _subscriber = subscriber;
        subscriber.SetOwner(this);
        Reader = reader(this);
    }

    /// <summary>A registration asked for: the session holding it, or (Session null) why none does.</summary>
    private readonly record struct Entry(Registration Registration, KisSession? Session, RegistrationStatus? NotHeld);

    public IReadOnlyList<RegistrationStatus> Registrations
    {
        get
        {
            Entry[] entries;
            lock (_gate)
            {
                entries = [.. _entries];
            }

            return [.. entries.Select(e => e.NotHeld ?? e.Session!.StatusOf(e.Registration))];
        }
    }

    public ChannelReader<T> Reader { get; }

    public long Delivered => _subscriber.Delivered;

    public long Dropped => _subscriber.Dropped;

    /// <summary>
    /// Makes a subscription and adds <paramref name="registrations"/> to it; a seeding feed's subscriber then gets the
    /// day so far of every session's held registrations, each through its own app key. Throws what the first add throws
    /// (a session failure), with nothing left registered.
    /// </summary>
    public static async Task<IKisSubscription<T>> OpenAsync(
        IPlacement placement, Subscriber subscriber, Func<object, ChannelReader<T>> reader, IReadOnlyList<Registration> registrations, CancellationToken cancellationToken)
    {
        var subscription = new Subscription<T>(placement, subscriber, reader);
        (_, IReadOnlyList<(PlacedPart Part, DateTimeOffset Live)> added) = await subscription.AddCoreAsync(registrations, cancellationToken).ConfigureAwait(false);
        if (subscriber is FeedSubscriber { IsSeeding: true } feed)
        {
            subscription._seed = SeedAsync(feed, added);
        }

        return subscription;
    }

    public async Task<IReadOnlyList<RegistrationStatus>> AddAsync(IEnumerable<Registration> registrations, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<Registration> wanted = Registration.Check(registrations, _subscriber.Carries);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return (await AddCoreAsync(wanted, cancellationToken).ConfigureAwait(false)).Statuses;
        }
        finally
        {
            _changes.Release();
        }
    }

    public async Task RemoveAsync(IEnumerable<Registration> registrations, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registrations);
        List<Registration> given = [.. registrations];
        if (given.Count == 0)
        {
            return;
        }

        var removing = new HashSet<Registration>(Registration.Check(given));
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            List<Entry> gone;
            lock (_gate)
            {
                gone = [.. _entries.Where(e => removing.Contains(e.Registration))];
                _entries.RemoveAll(e => removing.Contains(e.Registration));
            }

            foreach (IGrouping<KisSession, Entry> bySession in gone.Where(e => e.Session is not null).GroupBy(e => e.Session!))
            {
                await bySession.Key.RemoveAsync(_subscriber, [.. bySession.Select(e => e.Registration)]).ConfigureAwait(false);
            }
        }
        finally
        {
            _changes.Release();
        }
    }

    public async IAsyncEnumerable<T> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ChannelReader<T> reader = Reader;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out T? item))
            {
                yield return item;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _changes.WaitAsync().ConfigureAwait(false); // an add in flight finishes first, so nothing it adds is left behind
        try
        {
            KisSession[] sessions;
            lock (_gate)
            {
                sessions = [.. _entries.Where(e => e.Session is not null).Select(e => e.Session!).Distinct()];
                _entries.Clear();
            }

            // Out of every table first, then the stream ends, then KIS is told (the consumer does not wait on the network).
            var released = sessions.Select(s => (Session: s, Released: s.Detach(_subscriber))).ToList();
            _subscriber.Complete();
            foreach ((KisSession session, IReadOnlyList<Registration> gone) in released)
            {
                await session.ReleaseAsync(gone).ConfigureAwait(false);
            }
        }
        finally
        {
            _changes.Release();
        }

        try
        {
            await _seed.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is KisException or OperationCanceledException or ObjectDisposedException)
        {
            // The seed ends with the session; what it had was handed over.
        }
    }

    private async Task<(IReadOnlyList<RegistrationStatus> Statuses, IReadOnlyList<(PlacedPart Part, DateTimeOffset Live)> Added)> AddCoreAsync(
        IReadOnlyList<Registration> wanted, CancellationToken cancellationToken)
    {
        var outcome = new Dictionary<Registration, RegistrationStatus>();
        List<Registration> fresh = [];
        lock (_gate)
        {
            foreach (Registration r in wanted)
            {
                int i = _entries.FindIndex(e => e.Registration == r);
                if (i >= 0 && _entries[i].Session is { } session)
                {
                    outcome[r] = session.StatusOf(r); // already held: reported as it is
                }
                else
                {
                    fresh.Add(r); // new, or not held before (refused, over the cap): asked for again
                }
            }
        }

        var added = new List<(PlacedPart Part, DateTimeOffset Live)>();
        if (fresh.Count > 0)
        {
            SemaphoreSlim? planGate = _placement.PlanGate;
            if (planGate is not null)
            {
                await planGate.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            var placed = new List<(Registration Registration, KisSession? Session, RegistrationStatus Status)>();
            try
            {
                (IReadOnlyList<PlacedPart> parts, IReadOnlyList<RegistrationStatus> over) = _placement.Plan(fresh);
                placed.AddRange(over.Select(o => (o.Registration, (KisSession?)null, o)));
                foreach (PlacedPart part in parts)
                {
                    IReadOnlyList<RegistrationStatus> statuses = await part.Session.AddAsync(_subscriber, part.Registrations, cancellationToken).ConfigureAwait(false);
                    List<Registration> held = [];
                    foreach (RegistrationStatus status in statuses)
                    {
                        placed.Add((status.Registration, status.IsHeld ? part.Session : null, status));
                        if (status.IsHeld)
                        {
                            held.Add(status.Registration);
                        }
                    }

                    added.Add((new PlacedPart(part.Session, held), part.Session.Time.GetUtcNow()));
                }
            }
            catch
            {
                // A session failed: what this call added on the others is removed again (all of this call, or nothing).
                foreach ((PlacedPart part, _) in added)
                {
                    await part.Session.RemoveAsync(_subscriber, part.Registrations).ConfigureAwait(false);
                }

                throw;
            }
            finally
            {
                planGate?.Release();
            }

            lock (_gate)
            {
                foreach ((Registration r, KisSession? session, RegistrationStatus status) in placed)
                {
                    var entry = new Entry(r, session, session is null ? status : null);
                    int i = _entries.FindIndex(e => e.Registration == r);
                    if (i >= 0)
                    {
                        _entries[i] = entry;
                    }
                    else
                    {
                        _entries.Add(entry);
                    }

                    outcome[r] = status;
                }
            }
        }

        return ([.. wanted.Select(r => outcome[r])], added);
    }

    /// <summary>Every session's seed at once (each heals through its own app key), handed over together ahead of what was held back.</summary>
    private static async Task SeedAsync(FeedSubscriber feed, IReadOnlyList<(PlacedPart Part, DateTimeOffset Live)> parts)
    {
        var seeds = new List<(DataGap, IReadOnlyList<ProgramTrade>, IReadOnlyList<GapHealingReport>)>();
        try
        {
            foreach (IReadOnlyList<(DataGap, IReadOnlyList<ProgramTrade>, IReadOnlyList<GapHealingReport>)> part in
                await Task.WhenAll(parts.Where(p => p.Part.Registrations.Count > 0).Select(p => p.Part.Session.FetchSeedAsync(p.Part.Registrations, p.Live))).ConfigureAwait(false))
            {
                seeds.AddRange(part);
            }
        }
        finally
        {
            feed.CompleteSeed(seeds); // whatever happened, what was held is handed over
        }
    }
}
