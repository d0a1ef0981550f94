namespace KisFeed;

/// <summary>A period during which the session was down, so updates for these registrations may be missing.</summary>
public sealed class DataGapEventArgs(DataGap gap) : EventArgs
{
    /// <summary>The gap (the same one feed consumers receive in-band, with all registrations it touched).</summary>
    public DataGap Gap { get; } = gap;

    /// <summary>When data was last known to flow: the last message the old connection delivered.</summary>
    public DateTimeOffset From => Gap.From;

    /// <summary>When the registrations were back in place.</summary>
    public DateTimeOffset To => Gap.To;

    /// <summary>The registrations affected.</summary>
    public IReadOnlyList<Registration> Registrations => Gap.Registrations;

    /// <summary>Why the connection was lost.</summary>
    public string Reason => Gap.Reason;
}
