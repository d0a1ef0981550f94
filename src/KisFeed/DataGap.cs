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
}

/// <summary>How much of a <see cref="DataGap"/> the REST history could give back, per registration.</summary>
public enum GapHealing
{
    /// <summary>Every minute of the gap was covered by REST rows.</summary>
    Healed,

    /// <summary>REST rows covered only part of the gap (the window did not reach back far enough, or rows were missing).</summary>
    PartlyHealed,

    /// <summary>Nothing could be fetched (no credentials for REST, an error, or healing switched off).</summary>
    NotHealed,
}

/// <summary>The outcome of healing one registration of a <see cref="DataGap"/>.</summary>
/// <param name="GapId">The <see cref="DataGap.Id"/> healed.</param>
/// <param name="Registration">The registration.</param>
/// <param name="Outcome">Healed, partly healed or not healed.</param>
/// <param name="Rows">REST rows delivered inside the gap (marked <see cref="TradeSource.Rest"/>).</param>
/// <param name="StillMissingFrom">With <see cref="GapHealing.PartlyHealed"/> or <see cref="GapHealing.NotHealed"/>: start of what is still missing.</param>
/// <param name="StillMissingTo">End of what is still missing.</param>
/// <param name="Detail">Why, in words (how far back the REST window reached, or the error).</param>
public sealed record GapHealingReport(
    long GapId,
    Registration Registration,
    GapHealing Outcome,
    int Rows,
    DateTimeOffset? StillMissingFrom,
    DateTimeOffset? StillMissingTo,
    string Detail);
