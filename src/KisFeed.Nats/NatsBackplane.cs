using System.Text;

using Microsoft.Extensions.Logging;

using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace KisFeed.Nats;

/// <summary>
/// The gateway's <see cref="IGatewayBackplane"/> on JetStream: the stream, the KV buckets and a <see cref="FeedPublisher"/>
/// (which marks every payload simulated when <paramref name="simulated"/>: <see cref="GatewayOptions.Simulated"/>).
/// </summary>
internal sealed class NatsBackplane(INatsConnection nats, NatsFeedOptions feed, TimeProvider time, ILoggerFactory loggerFactory, bool simulated = false) : IGatewayBackplane
{
    private readonly NatsJSContext _js = new(nats);
    private INatsJSStream? _stream;
    private AppKeyLeaseStore? _leases;
    private DesiredRegistrations? _desired;
    private FeedPublisher? _publisher;

    public FeedPublisherStatistics Statistics => _publisher?.Statistics ?? new FeedPublisherStatistics(0, 0, 0, 0);

    private AppKeyLeaseStore Leases => _leases ?? throw new InvalidOperationException("The backplane is not open.");

    public async Task OpenAsync(CancellationToken cancellationToken)
    {
        await FeedPublisher.EnsureStreamAsync(_js, feed, cancellationToken).ConfigureAwait(false);
        _stream = await _js.GetStreamAsync(feed.StreamName, cancellationToken: cancellationToken).ConfigureAwait(false);
        AppKeyLeaseStore leases = await AppKeyLeaseStore.OpenAsync(_js, feed, cancellationToken).ConfigureAwait(false);
        leases.Time = time;
        _leases = leases;
        _desired = await DesiredRegistrations.OpenAsync(_js, feed, cancellationToken).ConfigureAwait(false);
        _publisher = new FeedPublisher(_js, feed, loggerFactory) { Simulated = simulated };
    }

    public Task<AppKeyLease?> TryAcquireAsync(string keyId, string owner, CancellationToken cancellationToken) =>
        Leases.TryAcquireAsync(keyId, owner, cancellationToken);

    public Task<LeaseRenewal> RenewAsync(AppKeyLease lease, CancellationToken cancellationToken) => Leases.RenewAsync(lease, cancellationToken);

    public Task ReleaseAsync(AppKeyLease lease, CancellationToken cancellationToken) => Leases.ReleaseAsync(lease, cancellationToken);

    public Task HeartbeatAsync(string gatewayId, CancellationToken cancellationToken) => Leases.HeartbeatAsync(gatewayId, cancellationToken);

    public Task LeaveAsync(string gatewayId, CancellationToken cancellationToken) => Leases.LeaveAsync(gatewayId, cancellationToken);

    public Task<IReadOnlyList<string>> LiveGatewaysAsync(CancellationToken cancellationToken) => Leases.LiveGatewaysAsync(cancellationToken);

    public async Task<IReadOnlyList<HeldLease>> LeasesAsync(CancellationToken cancellationToken)
    {
        List<HeldLease> held = [];
        foreach (string key in await Leases.LeaseKeysAsync(cancellationToken).ConfigureAwait(false))
        {
            var entry = await Leases.Leases.TryGetEntryAsync<byte[]>(key, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (entry.Success && entry.Value.Value is { } value)
            {
                held.Add(new HeldLease(key, Encoding.UTF8.GetString(value), entry.Value.Created));
            }
        }

        return held;
    }

    public Task<IReadOnlyList<Registration>> DesiredAsync(CancellationToken cancellationToken) =>
        (_desired ?? throw new InvalidOperationException("The backplane is not open.")).ListAsync(cancellationToken);

    public async Task<DateTimeOffset?> LastStoredTodayAsync(Registration registration, CancellationToken cancellationToken)
    {
        try
        {
            NatsMsg<byte[]> msg = await _stream!.GetDirectAsync<byte[]>(
                new StreamMsgGetRequest { LastBySubj = FeedSubjects.Trade(feed.SubjectPrefix, registration.Venue, registration.Code) },
                cancellationToken: cancellationToken).ConfigureAwait(false);
            if (msg.Data is not { Length: > 0 } data)
            {
                return null;
            }

            // Checked like every consumer checks a message: a forged last record must not set the takeover gap's start.
            // A direct get answers on an inbox; the stored message's subject is in the Nats-Subject header.
            string? subject = msg.Headers is { } h && h.TryGetValue("Nats-Subject", out var stored) ? stored.ToString() : null;
            if (!FeedCodec.TryDecode(data, subject, null, out FeedItem item, out _, out _, out _) || item.Kind != FeedItemKind.Trade)
            {
                return null;
            }

            ProgramTrade last = item.Trade;
            return KoreaTime.DateOf(last.ReceivedAt) == KoreaTime.DateOf(time.GetUtcNow()) ? last.ReceivedAt : null;
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

    public ValueTask PublishAsync(FeedItem item, CancellationToken cancellationToken) =>
        (_publisher ?? throw new InvalidOperationException("The backplane is not open.")).EnqueueAsync(item, cancellationToken);

    public async Task<long> FlushAndCloseAsync(CancellationToken cancellationToken)
    {
        if (_publisher is not { } publisher)
        {
            return 0;
        }

        try
        {
            await publisher.DrainAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException)
        {
            await publisher.AbortAsync().ConfigureAwait(false);
        }

        long left = publisher.Statistics.Pending;
        await publisher.DisposeAsync().ConfigureAwait(false);
        return left;
    }
}
