using System.Text;

using Microsoft.Extensions.Logging;

using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace KisFeed.Nats;

/// <summary>
/// The registrations the deployment should follow, one KV key <c>{venue}.{code}</c> each in
/// <see cref="NatsFeedOptions.DesiredBucket"/>. Any operator changes it at run time (<c>kisfeed subs add|remove|list</c>);
/// gateways read it every renew interval and move registrations accordingly.
/// </summary>
/// <remarks>
/// The set is read from the bucket stream's info (its subjects), not through a consumer: nats-server 2.9 places a
/// key-listing consumer on any peer of the stream, a dead one included, and that request is never answered. So a
/// removed registration's subject is purged (no delete marker stays behind to look like a key).
/// </remarks>
public sealed class DesiredRegistrations
{
    private readonly INatsKVStore _store;
    private readonly INatsJSContext _reads;
    private readonly NatsFeedOptions _options;

    private DesiredRegistrations(INatsKVStore store, INatsJSContext js, NatsFeedOptions options)
    {
        _store = store;
        _reads = NatsStart.ShortTimeoutContext(js, options.ApiTimeout);
        _options = options;
    }

    /// <summary>
    /// Opens (creating or updating) the bucket; retries while NATS is only slow, until <see cref="NatsFeedOptions.StartTimeout"/>,
    /// and returns once the bucket has a leader.
    /// </summary>
    /// <exception cref="NatsFeedUnavailableException">NATS did not become usable in time.</exception>
    public static async Task<DesiredRegistrations> OpenAsync(INatsJSContext js, NatsFeedOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(js);
        options ??= NatsFeedOptions.Default;
        ILogger log = js.Connection.Opts.LoggerFactory.CreateLogger<DesiredRegistrations>();
        var kv = new NatsKVContext(js);
        INatsKVStore store = await NatsStart.UntilReadyAsync(js.Connection, token => kv.CreateOrUpdateStoreAsync(new NatsKVConfig(options.DesiredBucket)
        {
            History = 1,
            Storage = NatsKVStorageType.File,
            NumberOfReplicas = options.Replicas,
            Description = "KisFeed desired registrations: one key per {venue}.{code}.",
        }, token).AsTask(), $"KV bucket {options.DesiredBucket}", options, log, cancellationToken, notFoundIsTransient: true).ConfigureAwait(false);
        return await ReadyAsync(js, store, options, log, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Opens the bucket as it is when it exists (its replicas and other settings untouched), and creates it with
    /// <paramref name="options"/> only when it does not: for operators' tools (<c>kisfeed subs</c>), which must not turn
    /// a cluster's 3-replica bucket into a 1-replica one by running with the defaults. Retries like <see cref="OpenAsync"/>.
    /// </summary>
    public static async Task<DesiredRegistrations> OpenOrCreateAsync(INatsJSContext js, NatsFeedOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(js);
        options ??= NatsFeedOptions.Default;
        ILogger log = js.Connection.Opts.LoggerFactory.CreateLogger<DesiredRegistrations>();
        var kv = new NatsKVContext(js);
        INatsKVStore? existing = await NatsStart.UntilReadyAsync<INatsKVStore?>(js.Connection, async token =>
        {
            try
            {
                return await kv.GetStoreAsync(options.DesiredBucket, token).ConfigureAwait(false);
            }
            catch (NatsKVException)
            {
                return null;
            }
            catch (NatsJSApiException ex) when (ex.Error.Code == 404)
            {
                return null;
            }
        }, $"KV bucket {options.DesiredBucket}", options, log, cancellationToken).ConfigureAwait(false);
        return existing is null
            ? await OpenAsync(js, options, cancellationToken).ConfigureAwait(false)
            : await ReadyAsync(js, existing, options, log, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<DesiredRegistrations> ReadyAsync(INatsJSContext js, INatsKVStore store, NatsFeedOptions options, ILogger log, CancellationToken ct)
    {
        await NatsStart.StreamReadyAsync(js, KvKeys.StreamOf(options.DesiredBucket), $"KV bucket {options.DesiredBucket}", options, log, ct).ConfigureAwait(false);
        var desired = new DesiredRegistrations(store, js, options);
        await desired.PurgeDeleteMarkersAsync(ct).ConfigureAwait(false);
        return desired;
    }

    /// <summary>Adds registrations (already present ones stay).</summary>
    public async Task AddAsync(IEnumerable<Registration> registrations, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registrations);
        foreach (Registration r in registrations)
        {
            await _store.PutAsync(FeedSubjects.RegistrationKey(r), Encoding.UTF8.GetBytes(DateTimeOffset.UtcNow.ToString("O")), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Removes registrations (absent ones are ignored): each key's subject is purged, leaving no delete marker.</summary>
    public async Task RemoveAsync(IEnumerable<Registration> registrations, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registrations);
        foreach (Registration r in registrations)
        {
            string key = FeedSubjects.RegistrationKey(r);
            await NatsStart.UntilReadyAsync(_reads.Connection, async token =>
            {
                await KvKeys.PurgeKeyAsync(_reads, _options.DesiredBucket, key, token).ConfigureAwait(false);
                return true;
            }, $"removing {key} from KV bucket {_options.DesiredBucket}", _options.ReadRetryLimit, null, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The desired registrations, sorted by venue then code.</summary>
    public async Task<IReadOnlyList<Registration>> ListAsync(CancellationToken cancellationToken = default)
    {
        List<string> keys = await NatsStart.UntilReadyAsync(_reads.Connection, token => KvKeys.ListAsync(_reads, _options.DesiredBucket, token),
            $"the keys of KV bucket {_options.DesiredBucket}", _options.ReadRetryLimit, null, cancellationToken).ConfigureAwait(false);
        List<Registration> list = [];
        foreach (string key in keys)
        {
            if (FeedSubjects.TryParseRegistrationKey(key, out Registration r))
            {
                list.Add(r);
            }
        }

        list.Sort(RegistrationAssignment.Compare);
        return list;
    }

    /// <summary>
    /// Earlier versions removed registrations with a KV delete, whose marker would now be listed as a key: purge those
    /// subjects once when the bucket is opened (best effort; a failure leaves them for the next open).
    /// </summary>
    private async Task PurgeDeleteMarkersAsync(CancellationToken ct)
    {
        try
        {
            foreach (string key in await KvKeys.ListAsync(_reads, _options.DesiredBucket, ct).ConfigureAwait(false))
            {
                var entry = await _store.TryGetEntryAsync<byte[]>(key, cancellationToken: ct).ConfigureAwait(false);
                if (!entry.Success && entry.Error is NatsKVKeyDeletedException)
                {
                    await KvKeys.PurgeKeyAsync(_reads, _options.DesiredBucket, key, ct).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (NatsStart.IsTransient(ex, notFoundIsTransient: true, ct))
        {
        }
    }
}
