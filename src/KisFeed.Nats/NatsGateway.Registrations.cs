using System.Runtime.CompilerServices;
using System.Threading.Channels;

using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace KisFeed.Nats;

// The registrations of held keys: which run where (reconcile), one pump per registration from the session's feed to
// the publisher, and the takeover gap from the last record stored for it today.
public sealed partial class NatsGateway
{
    private void Reconcile(KeySlot slot, IReadOnlyList<Registration> assigned)
    {
        lock (slot.Gate)
        {
            if (slot.Lease is not { IsValid: true } lease || slot.Client is not { } client || slot.SessionStop is not { } sessionStop)
            {
                return;
            }

            var want = assigned.ToHashSet();
            foreach (Registration r in slot.Pumps.Keys.Where(r => !want.Contains(r)).ToList())
            {
                slot.Pumps[r].Cancel();
                slot.Pumps.Remove(r);
                Emit(GatewayEventKind.RegistrationStopped, slot.Credential.Id, r.ToString());
            }

            foreach (Registration r in assigned)
            {
                if (!slot.Pumps.ContainsKey(r))
                {
                    var stop = CancellationTokenSource.CreateLinkedTokenSource(sessionStop.Token);
                    slot.Pumps[r] = stop;
                    _ = Task.Run(() => PumpAsync(slot, lease, client, r, stop.Token));
                }
            }
        }
    }

    private async Task PumpAsync(KeySlot slot, AppKeyLease lease, KisRealtimeClient client, Registration registration, CancellationToken ct)
    {
        int failures = 0;
        while (!ct.IsCancellationRequested)
        {
            // Rule 2: nothing goes to KIS on a lease that is no longer valid.
            if (!lease.IsValid)
            {
                return;
            }

            try
            {
                DateTimeOffset? lastStored = await LastStoredTodayAsync(registration, ct).ConfigureAwait(false);
                bool first = true;
                await foreach (FeedItem item in FeedOfAsync(client, registration, lastStored, ct).ConfigureAwait(false))
                {
                    if (first)
                    {
                        first = false;
                        failures = 0;
                    }

                    await _publisher!.EnqueueAsync(item, ct).ConfigureAwait(false);
                }

                return;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (Exception ex) when (ex is KisException or NatsException or TimeoutException or ChannelClosedException)
            {
                failures++;
                Log.RegistrationFailed(_log, registration.ToString(), slot.Credential.Id, ex.Message);
                Emit(GatewayEventKind.Error, slot.Credential.Id, $"{registration}: {ex.Message}");
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, 2 * failures)), ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    // The registration's feed from the session itself: trades, gaps and REST-healed rows in order. Once KIS has
    // accepted the registration, a gap from `gapFrom` (the last record stored for it today) to now comes first:
    // records a previous holder had not published are missing.
    private async IAsyncEnumerable<FeedItem> FeedOfAsync(KisRealtimeClient client, Registration registration, DateTimeOffset? gapFrom, [EnumeratorCancellation] CancellationToken ct)
    {
        IKisSubscription<FeedItem> feed = await client.SubscribeFeedAsync([registration], cancellationToken: ct).ConfigureAwait(false);
        await using (feed.ConfigureAwait(false))
        {
            DateTimeOffset registeredAt = DateTimeOffset.UtcNow;
            Emit(GatewayEventKind.RegistrationStarted, AppKeyCredential.IdOf(client.Options.AppKey!), registration.ToString());
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
    }

    private async Task<DateTimeOffset?> LastStoredTodayAsync(Registration registration, CancellationToken ct)
    {
        try
        {
            NatsMsg<byte[]> msg = await _stream!.GetDirectAsync<byte[]>(
                new StreamMsgGetRequest { LastBySubj = FeedSubjects.Trade(_feed.SubjectPrefix, registration.Venue, registration.Code) },
                cancellationToken: ct).ConfigureAwait(false);
            if (msg.Data is not { Length: > 0 } data)
            {
                return null;
            }

            ProgramTrade last = FeedCodec.Decode(data).Trade;
            return KoreaTime.DateOf(last.ReceivedAt) == KoreaTime.Today() ? last.ReceivedAt : null;
        }
        catch (NatsJSApiException)
        {
            return null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
