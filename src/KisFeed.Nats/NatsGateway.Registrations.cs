using System.Runtime.CompilerServices;
using System.Threading.Channels;

using NATS.Client.Core;

namespace KisFeed.Nats;

// The registrations of held keys: which run where (reconcile), one tracked pump per registration from the session's
// feed to the publisher, and the takeover gap from the last record stored for it today.
public sealed partial class NatsGateway
{
    private void Reconcile(KeySlot slot, IReadOnlyList<Registration> assigned)
    {
        if (Volatile.Read(ref slot.Session) is not { Lease.IsValid: true } session)
        {
            return;
        }

        foreach (Registration r in session.Reconcile(assigned, (registration, ct) => PumpAsync(slot, session, registration, ct)))
        {
            Emit(GatewayEventKind.RegistrationStopped, slot.Credential.Id, r.ToString());
        }
    }

    /// <summary>
    /// Carries one registration from the key's session to the stream until its token is cancelled or the session closes.
    /// A failure — expected (KIS refused, NATS timed out) or not (a bug) — is logged, counted
    /// (<c>kisfeed.gateway.pump.failures</c>) and the registration started again after a backoff; it never ends silently.
    /// </summary>
    private async Task PumpAsync(KeySlot slot, GatewayKeySession session, Registration registration, CancellationToken ct)
    {
        int failures = 0;
        while (!ct.IsCancellationRequested && !session.IsClosing)
        {
            // Rule 2: nothing goes to KIS on a lease that is no longer valid.
            if (!session.Lease.IsValid)
            {
                return;
            }

            try
            {
                DateTimeOffset? lastStored = await LastStoredTodayAsync(registration, ct).ConfigureAwait(false);
                await foreach (FeedItem item in FeedOfAsync(session, registration, lastStored, ct).ConfigureAwait(false))
                {
                    failures = 0;
                    await _backplane.PublishAsync(item, ct).ConfigureAwait(false);
                }

                // The feed ends when the client is disposed: the session is closing.
                return;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // Every failure is reported and the registration restarted: a pump never dies silently.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                if (session.IsClosing || ct.IsCancellationRequested)
                {
                    return; // the client was disposed under it: the session is ending, not failing
                }

                failures++;
                bool expected = ex is KisException or NatsException or TimeoutException or ChannelClosedException or OperationCanceledException;
                _metrics.PumpFailed(unexpected: !expected);
                if (expected)
                {
                    Log.RegistrationFailed(_log, registration.ToString(), slot.Credential.Id, ex.Message);
                }
                else
                {
                    Log.PumpCrashed(_log, registration.ToString(), slot.Credential.Id, ex);
                }

                TimeSpan backoff = TimeSpan.FromSeconds(Math.Min(30, 2 * failures));
                Emit(GatewayEventKind.Error, slot.Credential.Id, $"{registration}: {(expected ? ex.Message : $"unexpected {ex.GetType().Name}: {ex.Message}")}; starting it again in {backoff.TotalSeconds:0} s");
                try
                {
                    await Task.Delay(backoff, _time, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task<DateTimeOffset?> LastStoredTodayAsync(Registration registration, CancellationToken ct)
    {
        using CancellationTokenSource deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using ITimer timer = _time.CreateTimer(static s => ((CancellationTokenSource)s!).Cancel(), deadline, _feed.LeaseRenewInterval, Timeout.InfiniteTimeSpan);
        try
        {
            return await _backplane.LastStoredTodayAsync(registration, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"NATS did not say within {_feed.LeaseRenewInterval.TotalSeconds:0.###} s which record of {registration} it stored last");
        }
    }

    // The registration's feed from the session itself: trades, gaps and REST-healed rows in order. Once KIS has
    // accepted the registration, a gap from `gapFrom` (the last record stored for it today) to now comes first:
    // records a previous holder had not published are missing.
    private async IAsyncEnumerable<FeedItem> FeedOfAsync(GatewayKeySession session, Registration registration, DateTimeOffset? gapFrom, [EnumeratorCancellation] CancellationToken ct)
    {
        IKisSubscription<FeedItem> feed = await session.Client.SubscribeFeedAsync([registration], cancellationToken: ct).ConfigureAwait(false);
        await using (feed.ConfigureAwait(false))
        {
            DateTimeOffset registeredAt = _time.GetUtcNow();
            string keyId = session.Lease.KeyId;
            _metrics.RegistrationLive(1);
            try
            {
                Emit(GatewayEventKind.RegistrationStarted, keyId, registration.ToString());
                if (Interlocked.Exchange(ref _ready, 1) == 0)
                {
                    Emit(GatewayEventKind.Ready, keyId, $"first key held ({keyId}) and first registration live ({registration}) {_time.GetElapsedTime(_createdAt).TotalSeconds:0.0} s after start");
                }

                if (gapFrom is { } from && from < registeredAt)
                {
                    // Negative ids: never equal to a client's own gap ids, which the publisher pairs with healing outcomes.
                    yield return FeedItem.FromGap(new DataGap(-Interlocked.Increment(ref _gapIds), from, registeredAt, [registration], "registration moved to another session (takeover or rebalancing)"));
                }

                await foreach (FeedItem item in feed.ReadAllAsync(ct).ConfigureAwait(false))
                {
                    yield return item;
                }
            }
            finally
            {
                _metrics.RegistrationLive(-1);
            }
        }
    }
}
