using System.Threading.Channels;

namespace KisFeed.Delivery;

/// <summary>
/// The write side of one consumer's buffer, as the session holds it in its registration table. The receive loop
/// writes trades; the supervisor writes gaps and healing outcomes. No write ever waits: a full buffer applies the
/// consumer's <see cref="BoundedChannelFullMode"/> and the loss is counted.
/// </summary>
/// <remarks>
/// The session holds subscribers strongly but their public handle only weakly (<see cref="IsAbandoned"/>): a
/// subscription nobody disposed and nobody can reach any more is found by the session's sweep and released, as
/// nats.net's <c>SubscriptionManager</c> does.
/// </remarks>
internal abstract class Subscriber
{
    private readonly WeakReference<object> _owner = new(new object());
    private readonly DropReporter _drops;
    private long _dropped; // Interlocked: the writer and the channel's drop callback
    private long _delivered; // Interlocked: written by the receive loop or the healer, read by anyone

    protected Subscriber(IReadOnlyList<Registration> registrations, DropReporter drops)
    {
        Registrations = registrations;
        _drops = drops;
    }

    /// <summary>The (venue, code) pairs this consumer receives.</summary>
    public IReadOnlyList<Registration> Registrations { get; }

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

    /// <summary>Writes one trade; never blocks.</summary>
    public abstract void Write(in ProgramTrade trade);

    /// <summary>Writes a gap in-band (feed consumers only); never dropped.</summary>
    public virtual void WriteGap(DataGap gap)
    {
    }

    /// <summary>Writes a healing outcome in-band (feed consumers only); never dropped.</summary>
    public virtual void WriteHealing(GapHealingReport report)
    {
    }

    /// <summary>Ends the consumer's stream (with <paramref name="error"/> if the session failed).</summary>
    public abstract void Complete(Exception? error = null);

    protected void CountDelivered() => Interlocked.Increment(ref _delivered);

    protected void CountDropped()
    {
        long dropped = Interlocked.Increment(ref _dropped);
        _drops.Report(this, dropped);
    }

    protected static BoundedChannelOptions ChannelOptions(int capacity, BoundedChannelFullMode mode, bool singleWriter) => new(capacity)
    {
        FullMode = mode,
        SingleWriter = singleWriter,
        SingleReader = false,
        AllowSynchronousContinuations = false,
    };
}

/// <summary>Reports a consumer's losses at most once a second (the callback runs on the writing task).</summary>
internal sealed class DropReporter(TimeProvider time, Action<Subscriber, long> report)
{
    private long _last = long.MinValue; // Interlocked: any writer

    public void Report(Subscriber subscriber, long droppedSoFar)
    {
        long now = time.GetTimestamp();
        long last = Interlocked.Read(ref _last);
        if ((last == long.MinValue || time.GetElapsedTime(last, now) >= TimeSpan.FromSeconds(1))
            && Interlocked.CompareExchange(ref _last, now, last) == last)
        {
            report(subscriber, droppedSoFar);
        }
    }
}
