using System.Text;

using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace KisFeed.Nats;

/// <summary>
/// The registrations the deployment should follow, one KV key <c>{venue}.{code}</c> each in
/// <see cref="NatsFeedOptions.DesiredBucket"/>. Any operator changes it at run time (<c>kisfeed subs add|remove|list</c>);
/// gateways read it every renew interval and move registrations accordingly.
/// </summary>
public sealed class DesiredRegistrations
{
    private readonly INatsKVStore _store;

    private DesiredRegistrations(INatsKVStore store) => _store = store;

    /// <summary>Opens (creating) the bucket.</summary>
    public static async Task<DesiredRegistrations> OpenAsync(INatsJSContext js, NatsFeedOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(js);
        options ??= NatsFeedOptions.Default;
        var kv = new NatsKVContext(js);
        INatsKVStore store = await kv.CreateOrUpdateStoreAsync(new NatsKVConfig(options.DesiredBucket)
        {
            History = 1,
            Storage = NatsKVStorageType.File,
            NumberOfReplicas = options.Replicas,
            Description = "KisFeed desired registrations: one key per {venue}.{code}.",
        }, cancellationToken).ConfigureAwait(false);
        return new DesiredRegistrations(store);
    }

    /// <summary>
    /// Opens the bucket as it is when it exists (its replicas and other settings untouched), and creates it with
    /// <paramref name="options"/> only when it does not: for operators' tools (<c>kisfeed subs</c>), which must not turn
    /// a cluster's 3-replica bucket into a 1-replica one by running with the defaults.
    /// </summary>
    public static async Task<DesiredRegistrations> OpenOrCreateAsync(INatsJSContext js, NatsFeedOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(js);
        options ??= NatsFeedOptions.Default;
        try
        {
            return new DesiredRegistrations(await new NatsKVContext(js).GetStoreAsync(options.DesiredBucket, cancellationToken).ConfigureAwait(false));
        }
        catch (NatsKVException)
        {
            return await OpenAsync(js, options, cancellationToken).ConfigureAwait(false);
        }
        catch (NatsJSApiException ex) when (ex.Error.Code == 404)
        {
            return await OpenAsync(js, options, cancellationToken).ConfigureAwait(false);
        }
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

    /// <summary>Removes registrations (absent ones are ignored).</summary>
    public async Task RemoveAsync(IEnumerable<Registration> registrations, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(registrations);
        foreach (Registration r in registrations)
        {
            await _store.TryDeleteAsync(FeedSubjects.RegistrationKey(r), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The desired registrations, sorted by venue then code.</summary>
    public async Task<IReadOnlyList<Registration>> ListAsync(CancellationToken cancellationToken = default)
    {
        List<Registration> list = [];
        await foreach (string key in AppKeyLeaseStore.Keys(_store, cancellationToken).ConfigureAwait(false))
        {
            if (FeedSubjects.TryParseRegistrationKey(key, out Registration r))
            {
                list.Add(r);
            }
        }

        list.Sort(RegistrationAssignment.Compare);
        return list;
    }
}
