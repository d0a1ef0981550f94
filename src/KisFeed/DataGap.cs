namespace KisFeed;

/// <summary>
/// A period during which the session was down, so updates for <see cref="Registrations"/> may be missing. Raised as
/// <see cref="KisRealtimeClient.DataGap"/> and carried in-band as a <see cref="FeedItem"/> of kind
/// <see cref="FeedItemKind.Gap"/>, in order with the trades.
/// </summary>
/// <param name="Id">Identifies the gap within the client (healing reports refer to it).</param>
/// <param name="From">When data was last known to flow: the last message the old connection delivered.</param>
/// <param name="To">When the registrations were back in place on the new connection.</param>
/// <param name="Registrations">The registrations affected (for an in-band gap: those of the consumer's subscription).</param>
/// <param name="Reason">Why the connection was lost, in words.</param>
public sealed record DataGap(long Id, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<Registration> Registrations, string Reason)
{
    /// <summary>How long the gap lasted.</summary>
    public TimeSpan Duration => To - From;

    /// <summary>
    /// True for the seed of a feed started with <see cref="FeedOptions.FromStartOfDay"/>: the trading day before the
    /// subscription (From = the venue's opening, To = when the registrations were live), not an outage.
    /// </summary>
    public bool IsSeed { get; init; }

    /// <summary>
    /// The <see cref="Reason"/> of every seed, as recordings store it (their <c>gaps</c> table has no seed flag): tells a
    /// seed read back from a file from an outage.
    /// </summary>
    public const string SeedReason = "before the subscription: the day so far, seeded from REST";
}
