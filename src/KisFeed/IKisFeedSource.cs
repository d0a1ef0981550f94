namespace KisFeed;

/// <summary>
/// Where subscriptions come from: one KIS session (<see cref="KisRealtimeClient"/>), several (<see cref="KisClientPool"/>),
/// or any other source of the same records (a stream on another machine, a recording). Code written against this
/// interface takes any of them. The streaming helpers of <see cref="KisFeedSourceExtensions"/> work on every source.
/// </summary>
public interface IKisFeedSource
{
    /// <summary>
    /// Subscribes to program-trading updates for <paramref name="registrations"/>. Arguments are checked at once. The call
    /// returns once each registration is held (KIS accepted it, or it is queued for the connection being made), refused
    /// or over the cap: see <see cref="IKisSubscription{T}.Registrations"/>. It does not throw for a refusal.
    /// </summary>
    /// <exception cref="ArgumentException">No registration, or one that is not valid (a key that is not a stock code).</exception>
    /// <exception cref="KisException">The source could not connect, or did not answer in time.</exception>
    Task<IKisSubscription<ProgramTrade>> SubscribeAsync(IEnumerable<Registration> registrations, SubscribeOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// As <see cref="SubscribeAsync"/>, for a feed: trades, gaps and healing outcomes in order. Each outage shows up as a
    /// <see cref="FeedItemKind.Gap"/> item for the registrations it touched, followed (when REST credentials allow) by
    /// the REST rows inside it (<see cref="TradeSource.Rest"/>) and a <see cref="FeedItemKind.GapHealed"/> item per
    /// registration. With <see cref="FeedOptions.FromStartOfDay"/> the REST rows of the day so far come first.
    /// </summary>
    /// <exception cref="ArgumentException">No registration, or one that is not valid.</exception>
    /// <exception cref="KisException">The source could not connect, or did not answer in time.</exception>
    Task<IKisSubscription<FeedItem>> SubscribeFeedAsync(IEnumerable<Registration> registrations, FeedOptions? options = null, CancellationToken cancellationToken = default);
}
