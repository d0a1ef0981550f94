namespace KisFeed;

/// <summary>A consumer fell behind and updates were dropped from its buffer (raised at most once a second per consumer).</summary>
public sealed class RecordsDroppedEventArgs(IReadOnlyList<Registration> registrations, long droppedSoFar) : EventArgs
{
    /// <summary>The registrations of the consumer that is losing updates.</summary>
    public IReadOnlyList<Registration> Registrations { get; } = registrations;

    /// <summary>Total dropped for this consumer so far.</summary>
    public long DroppedSoFar { get; } = droppedSoFar;
}
