using System.Runtime.CompilerServices;

namespace KisFeed;

/// <summary>Streams over any <see cref="IKisFeedSource"/>: subscribe, read, and unsubscribe on leaving the loop.</summary>
public static class KisFeedSourceExtensions
{
    /// <summary>
    /// Streams program-trading updates for <paramref name="registrations"/>. Arguments are checked at once; the
    /// subscription is made when enumeration starts, and leaving the loop disposes it. Registrations KIS refuses are
    /// left out and the others go on (a client raises <see cref="KisRealtimeClient.SubscriptionFailed"/> for each);
    /// when none is held the stream ends with a <see cref="KisSubscriptionException"/>.
    /// </summary>
    public static IAsyncEnumerable<ProgramTrade> ProgramTradesAsync(this IKisFeedSource source, IEnumerable<Registration> registrations, SubscribeOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        IReadOnlyList<Registration> checkedOnes = Registration.Check(registrations);
        options?.Validate();
        return Read(ct => source.SubscribeAsync(checkedOnes, options, ct), cancellationToken);
    }

    /// <summary>
    /// Streams trades, gaps and healing outcomes in order for <paramref name="registrations"/> (see
    /// <see cref="IKisFeedSource.SubscribeFeedAsync"/>), as <see cref="ProgramTradesAsync"/> does for trades.
    /// </summary>
    public static IAsyncEnumerable<FeedItem> FeedAsync(this IKisFeedSource source, IEnumerable<Registration> registrations, FeedOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        IReadOnlyList<Registration> checkedOnes = Registration.Check(registrations);
        options?.Validate();
        return Read(ct => source.SubscribeFeedAsync(checkedOnes, options, ct), cancellationToken);
    }

    private static async IAsyncEnumerable<T> Read<T>(Func<CancellationToken, Task<IKisSubscription<T>>> subscribe, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        IKisSubscription<T> subscription = await subscribe(cancellationToken).ConfigureAwait(false);
        await using (subscription.ConfigureAwait(false))
        {
            if (!subscription.Registrations.Any(s => s.IsHeld))
            {
                throw new KisSubscriptionException(subscription.Registrations);
            }

            await foreach (T item in subscription.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return item;
            }
        }
    }
}
