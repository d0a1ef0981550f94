using System.Threading.Channels;

namespace KisFeed;

/// <summary>
/// One consumer's subscription, the same shape from every source (<see cref="KisRealtimeClient"/>,
/// <see cref="KisClientPool"/>, and any other <see cref="IKisFeedSource"/>): a bounded buffer of <typeparamref name="T"/>
/// (<see cref="ProgramTrade"/> updates, or <see cref="FeedItem"/>s carrying trades, gaps and healing outcomes in order)
/// for a set of registrations that <see cref="AddAsync"/> and <see cref="RemoveAsync"/> change while it runs.
/// </summary>
/// <remarks>
/// <para>
/// The socket reader writes into the buffer without ever waiting: when the consumer falls behind, the full mode applies
/// (<see cref="SubscribeOptions.FullMode"/>, by default the client's <see cref="KisOptions.ConsumerFullMode"/>) and
/// <see cref="Dropped"/> counts what was lost. A feed never drops a gap or a healing outcome.
/// </para>
/// <para>
/// A subscribe reports per registration: each one is held (<see cref="RegistrationState.Pending"/> until KIS confirms,
/// then <see cref="RegistrationState.Active"/>), refused by KIS (<see cref="RegistrationState.Refused"/>, with KIS's
/// code and message) or over the cap (<see cref="RegistrationState.OverLimit"/>); the subscription goes on with what was
/// held. Dispose to unsubscribe (registrations no other consumer uses are released at KIS) and end the buffer.
/// A subscription never disposed is released once nothing refers to it any more (neither it nor its <see cref="Reader"/>).
/// </para>
/// </remarks>
/// <typeparam name="T">What the buffer carries: <see cref="ProgramTrade"/> or <see cref="FeedItem"/>.</typeparam>
public interface IKisSubscription<T> : IAsyncDisposable
{
    /// <summary>Every registration asked for and not removed, in the order asked, each with where it stands now.</summary>
    IReadOnlyList<RegistrationStatus> Registrations { get; }

    /// <summary>
    /// The buffered items. Completes when the subscription is disposed or its source ends (with the source's error, if
    /// one ended it).
    /// </summary>
    ChannelReader<T> Reader { get; }

    /// <summary>Items written to this consumer's buffer (trades only; including any later dropped by <see cref="System.Threading.Channels.BoundedChannelFullMode.DropOldest"/>).</summary>
    long Delivered { get; }

    /// <summary>Trades lost because this consumer fell behind.</summary>
    long Dropped { get; }

    /// <summary>Reads items until the subscription ends or <paramref name="cancellationToken"/> fires. Leaving the loop does not dispose the subscription.</summary>
    IAsyncEnumerable<T> ReadAllAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds registrations to this subscription and returns where each of them stands once KIS answered (or, with no
    /// connection up, once they are queued for the next one). Already held ones are reported as they are. Refused and
    /// over-the-cap ones are not held, and the others are.
    /// </summary>
    /// <exception cref="KisException">The session could not connect, or KIS did not answer in time; nothing of this call is kept.</exception>
    Task<IReadOnlyList<RegistrationStatus>> AddAsync(IEnumerable<Registration> registrations, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes registrations from this subscription (those no other consumer uses are released at KIS); a registration
    /// it does not have is ignored. The buffer stays open, also with nothing left in it.
    /// </summary>
    Task RemoveAsync(IEnumerable<Registration> registrations, CancellationToken cancellationToken = default);
}
