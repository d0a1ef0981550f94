namespace KisFeed;

/// <summary>How a feed starts and is buffered (<see cref="IKisFeedSource.SubscribeFeedAsync"/>, <see cref="KisFeedSourceExtensions.FeedAsync"/>).</summary>
public record FeedOptions : SubscribeOptions
{
    /// <summary>A live feed from the moment of subscribing, with the source's buffer defaults.</summary>
    public static new FeedOptions Default { get; } = new();

    /// <summary>
    /// Start from the REST rows of the trading day so far, then continue live with no hole and no duplicate.
    /// </summary>
    /// <remarks>
    /// <para>
    /// The period from the venue's opening (KRX 09:00, NXT and unified 08:00 KST) to the moment the registrations are
    /// live is treated like a gap to heal: the feed first carries a <see cref="FeedItemKind.Gap"/> item whose
    /// <see cref="DataGap.IsSeed"/> is true, then the REST rows of that period (<see cref="TradeSource.Rest"/>) strictly
    /// before the second of the first live record of each registration, then one <see cref="FeedItemKind.GapHealed"/>
    /// report per registration saying how far back the REST window reached (<see cref="GapHealing.Healed"/> when it
    /// reached the opening, <see cref="GapHealing.PartlyHealed"/> with what is still missing, <see cref="GapHealing.NotHealed"/>
    /// when REST failed or no app key and secret were given), and only then the live records, which are held back meanwhile.
    /// </para>
    /// <para>
    /// Before the venue's opening the seed runs from midnight KST (the calendar day so far: whatever REST gives, for
    /// example the simulator's always-open demo market). The seed costs one REST call per page and
    /// registration, paced by the app key's shared limiter. It is not raised as <see cref="KisRealtimeClient.DataGap"/>
    /// or <see cref="KisRealtimeClient.GapHealed"/> and not counted in <see cref="KisClientStatistics.Gaps"/>: it is not an outage.
    /// Registrations added later with <see cref="IKisSubscription{T}.AddAsync"/> start live, without a seed.
    /// </para>
    /// </remarks>
    public bool FromStartOfDay { get; init; }
}
