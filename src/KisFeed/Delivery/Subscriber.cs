using System.Threading.Channels;

namespace KisFeed.Delivery;

/// <summary>
/// The write side of one consumer's buffer, as the sessions hold it in their registration tables. The receive loop
/// writes trades; the supervisor writes gaps and healing outcomes. No write ever waits: a full buffer applies the
/// consumer's <see cref="BoundedChannelFullMode"/> and the loss is counted. A pool's subscription is one subscriber in
/// the tables of several sessions, so their receive loops write into the same buffer with no merge in between.
/// </summary>
/// <remarks>
/// The sessions hold subscribers strongly but their public handle only weakly (<see cref="IsAbandoned"/>): a
/// subscription nobody disposed and nobody can reach any more is found by the session's sweep and released, as
/// nats.net's <c>SubscriptionManager</c> does.
/// </remarks>
internal abstract class Subscriber
{
    private readonly WeakReference<object> _owner = new(new object());
    private readonly Lock _setGate = new();
    private HashSet<Registration> _set = []; // replaced (never mutated) under _setGate; read lock-free
    private Registration[] _list = []; // replaced (never mutated) under _setGate; read lock-free
    private long _dropped; // Interlocked: the writer and the channel's drop callback
    private long _delivered; // Interlocked: written by the receive loop or the healer, read by anyone

    protected Subscriber(DropReporter drops)
    {
        Drops = drops;
    }

    /// <summary>The session that created it reports its losses (and counts them in its statistics).</summary>
    public DropReporter Drops { get; }

    /// <summary>The registrations this consumer is in the tables for, over every session, in the order joined.</summary>
    public IReadOnlyList<Registration> Registrations => Volatile.Read(ref _list);

    /// <summary>Updates lost to a full buffer.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Updates written into the buffer.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>True when the public handle was collected without being disposed.</summary>
    public bool IsAbandoned => !_owner.TryGetTarget(out _);

    /// <summary>True for consumers that asked for gaps and healed rows in-band.</summary>
    public abstract bool WantsFeed { get; }

    /// <summary>Ties this subscriber to the handle the consumer holds (weakly).</summary>
    public void SetOwner(object owner) => _owner.SetTarget(owner);

    /// <summary>True when this consumer holds <paramref name="registration"/> (on some session).</summary>
    public bool Holds(Registration registration) => Volatile.Read(ref _set).Contains(registration);

    /// <summary>Notes that a table now routes <paramref name="registration"/> here (called by the table, under its lock).</summary>
    public void Join(Registration registration)
    {
        lock (_setGate)
        {
            if (_set.Contains(registration))
            {
                return;
            }

            Volatile.Write(ref _set, [.. _set, registration]);
            Volatile.Write(ref _list, [.. _list, registration]);
        }
    }

    /// <summary>Notes that no table routes <paramref name="registration"/> here any more.</summary>
    public void Leave(Registration registration)
    {
        lock (_setGate)
        {
            if (!_set.Contains(registration))
            {
                return;
            }

            HashSet<Registration> set = [.. _set];
            set.Remove(registration);
            Volatile.Write(ref _set, set);
            Volatile.Write(ref _list, [.. _list.Where(r => r != registration)]);
        }
    }

    /// <summary>The kind of registration this consumer takes (its subscription refuses the others).</summary>
    public virtual RecordKind Carries => RecordKind.StockProgramTrade;

    /// <summary>Writes one trade; never blocks.</summary>
    public abstract void Write(in ProgramTrade trade);

    /// <summary>Writes one index update; never blocks. Only index consumers take them (their tables route nothing else to them).</summary>
    public virtual void WriteIndex(IndexProgramTrade update)
    {
    }

    /// <summary>Writes a gap in-band (feed consumers only); never dropped.</summary>
    public virtual void WriteGap(DataGap gap)
    {
    }

    /// <summary>Writes a healing outcome in-band (feed consumers only); never dropped.</summary>
    public virtual void WriteHealing(GapHealingReport report)
    {
    }

    /// <summary>Ends the consumer's stream (with <paramref name="error"/> if a session failed). Idempotent: the first call wins.</summary>
    public abstract void Complete(Exception? error = null);

    protected void CountDelivered() => Interlocked.Increment(ref _delivered);

    protected void CountDropped()
    {
        long dropped = Interlocked.Increment(ref _dropped);
        Drops.Report(this, dropped);
    }

    protected static BoundedChannelOptions ChannelOptions(int capacity, BoundedChannelFullMode mode, bool singleWriter) => new(capacity)
    {
        FullMode = mode,
        SingleWriter = singleWriter,
        SingleReader = false,
        AllowSynchronousContinuations = false,
    };
}
