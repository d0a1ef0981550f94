using System.Text;

using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace KisFeed.Nats;

/// <summary>
/// A lease on one app key, held by one gateway. Valid on the holder's monotonic clock (its <see cref="TimeProvider"/>'s
/// timestamps) until the send time of the last acknowledged create or renewal plus
/// <see cref="NatsFeedOptions.LeaseHoldWindow"/> (T − D); the server forgets it T after that renewal was stored. See
/// <see cref="NatsFeedOptions"/> for the rules.
/// </summary>
public sealed class AppKeyLease
{
    private readonly TimeProvider _time;
    private long _validUntil;
    private long _revision;

    internal AppKeyLease(string keyId, string owner, ulong revision, long sentAt, TimeSpan holdWindow, TimeProvider? time = null)
    {
        KeyId = keyId;
        Owner = owner;
        HoldWindow = holdWindow;
        _time = time ?? TimeProvider.System;
        _revision = (long)revision;
        _validUntil = sentAt + Ticks(holdWindow);
    }

    /// <summary>The lease-bucket key (<see cref="AppKeyCredential.Id"/>).</summary>
    public string KeyId { get; }

    /// <summary>The holder's gateway id.</summary>
    public string Owner { get; }

    /// <summary>T − D.</summary>
    public TimeSpan HoldWindow { get; }

    /// <summary>The KV revision the next renewal must match.</summary>
    public ulong Revision => (ulong)Interlocked.Read(ref _revision);

    /// <summary>Whether the holder may still use the key now (monotonic clock; a frozen process sees the jump when it wakes).</summary>
    public bool IsValid => _time.GetTimestamp() < Interlocked.Read(ref _validUntil);

    /// <summary>How long the lease stays usable without another renewal (negative once it ran out).</summary>
    public TimeSpan Remaining => _time.GetElapsedTime(_time.GetTimestamp(), Interlocked.Read(ref _validUntil));

    internal void Renewed(ulong revision, long sentAt)
    {
        Interlocked.Exchange(ref _revision, (long)revision);
        Interlocked.Exchange(ref _validUntil, sentAt + Ticks(HoldWindow));
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);
}

/// <summary>Outcome of a renewal.</summary>
public enum LeaseRenewal
{
    /// <summary>Stored: the lease is extended from the renewal's send time.</summary>
    Renewed,

    /// <summary>The server refused the compare-and-swap: the lease expired or changed hands. It is lost.</summary>
    Lost,

    /// <summary>No answer (NATS unreachable): the lease keeps running out; try again.</summary>
    Unknown,
}

/// <summary>
/// The app-key leases in a JetStream KV bucket (<see cref="NatsFeedOptions.LeaseBucket"/>, history 1, max age T, file
/// storage), and gateway presence in <see cref="NatsFeedOptions.GatewayBucket"/>.
/// </summary>
/// <remarks>
/// A lease is taken with <c>CreateAsync</c> (succeeds only when the key has no live value: never taken, expired after T
/// without renewal, or released), renewed with <c>UpdateAsync</c> on its revision (compare-and-swap: fails once anyone
/// else wrote it or it expired), and released with a delete on its revision.
/// </remarks>
public sealed class AppKeyLeaseStore
{
    private readonly INatsKVStore _leases;
    private readonly INatsKVStore _gateways;
    private readonly NatsFeedOptions _options;

    private AppKeyLeaseStore(INatsKVStore leases, INatsKVStore gateways, NatsFeedOptions options)
    {
        _leases = leases;
        _gateways = gateways;
        _options = options;
    }

    /// <summary>Opens (creating or updating) the lease and presence buckets.</summary>
    public static async Task<AppKeyLeaseStore> OpenAsync(INatsJSContext js, NatsFeedOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(js);
        options ??= NatsFeedOptions.Default;
        options.Validate();
        var kv = new NatsKVContext(js);
        INatsKVStore leases = await kv.CreateOrUpdateStoreAsync(new NatsKVConfig(options.LeaseBucket)
        {
            History = 1,
            MaxAge = options.LeaseTtl,
            Storage = NatsKVStorageType.File,
            NumberOfReplicas = options.Replicas,
            Description = "KisFeed app-key leases: one key per app key, value = holder; expires LeaseTtl after the last renewal.",
        }, cancellationToken).ConfigureAwait(false);
        INatsKVStore gateways = await kv.CreateOrUpdateStoreAsync(new NatsKVConfig(options.GatewayBucket)
        {
            History = 1,
            MaxAge = options.LeaseRenewInterval * 3,
            Storage = NatsKVStorageType.File,
            NumberOfReplicas = options.Replicas,
            Description = "KisFeed live gateways (presence, renewed every LeaseRenewInterval).",
        }, cancellationToken).ConfigureAwait(false);
        return new AppKeyLeaseStore(leases, gateways, options);
    }

    /// <summary>The lease bucket.</summary>
    public INatsKVStore Leases => _leases;

    /// <summary>The clock whose timestamps stamp send times and decide validity (the gateway's; the system's by default).</summary>
    internal TimeProvider Time { get; set; } = TimeProvider.System;

    /// <summary>Tries to take the lease of <paramref name="keyId"/>: null when someone holds it.</summary>
    public async Task<AppKeyLease?> TryAcquireAsync(string keyId, string owner, CancellationToken cancellationToken = default)
    {
        long sentAt = Time.GetTimestamp();
        var result = await _leases.TryCreateAsync(keyId, Encoding.UTF8.GetBytes(owner), cancellationToken: cancellationToken).ConfigureAwait(false);
        return result.Success ? new AppKeyLease(keyId, owner, result.Value, sentAt, _options.LeaseHoldWindow, Time) : null;
    }

    /// <summary>Renews by compare-and-swap on the lease's revision.</summary>
    public async Task<LeaseRenewal> RenewAsync(AppKeyLease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        long sentAt = Time.GetTimestamp();
        try
        {
            var result = await _leases.TryUpdateAsync(lease.KeyId, Encoding.UTF8.GetBytes(lease.Owner), lease.Revision, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (result.Success)
            {
                lease.Renewed(result.Value, sentAt);
                return LeaseRenewal.Renewed;
            }

            return result.Error is NatsKVWrongLastRevisionException ? LeaseRenewal.Lost : LeaseRenewal.Unknown;
        }
        catch (Exception ex) when (ex is NATS.Client.Core.NatsException or TimeoutException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return LeaseRenewal.Unknown;
        }
    }

    /// <summary>Gives the lease back (delete on its revision) so another gateway can take it at once. Close the key's session first.</summary>
    public async Task ReleaseAsync(AppKeyLease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        await _leases.TryDeleteAsync(lease.KeyId, new NatsKVDeleteOpts { Revision = lease.Revision }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The current holder of every held lease (key id → gateway id).</summary>
    public async Task<IReadOnlyDictionary<string, string>> HoldersAsync(CancellationToken cancellationToken = default)
    {
        var holders = new Dictionary<string, string>(StringComparer.Ordinal);
        await foreach (string key in Keys(_leases, cancellationToken).ConfigureAwait(false))
        {
            var entry = await _leases.TryGetEntryAsync<byte[]>(key, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (entry.Success && entry.Value.Value is { } value)
            {
                holders[key] = Encoding.UTF8.GetString(value);
            }
        }

        return holders;
    }

    /// <summary>Marks <paramref name="gatewayId"/> as live for 3 renew intervals.</summary>
    public async Task HeartbeatAsync(string gatewayId, CancellationToken cancellationToken = default) =>
        await _gateways.PutAsync(gatewayId, Encoding.UTF8.GetBytes(Environment.MachineName), cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>Removes the presence of <paramref name="gatewayId"/>.</summary>
    public async Task LeaveAsync(string gatewayId, CancellationToken cancellationToken = default) =>
        await _gateways.TryDeleteAsync(gatewayId, cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>Gateways seen alive in the last 3 renew intervals.</summary>
    public async Task<IReadOnlyList<string>> LiveGatewaysAsync(CancellationToken cancellationToken = default)
    {
        List<string> live = [];
        await foreach (string key in Keys(_gateways, cancellationToken).ConfigureAwait(false))
        {
            live.Add(key);
        }

        return live;
    }

    internal static async IAsyncEnumerable<string> Keys(INatsKVStore store, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // GetKeysAsync throws when the bucket is empty on some server versions; treat that as no keys.
        IAsyncEnumerator<string> e = store.GetKeysAsync(cancellationToken: cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                bool more;
                try
                {
                    more = await e.MoveNextAsync().ConfigureAwait(false);
                }
                catch (NatsKVException)
                {
                    yield break;
                }

                if (!more)
                {
                    yield break;
                }

                yield return e.Current;
            }
        }
        finally
        {
            await e.DisposeAsync().ConfigureAwait(false);
        }
    }
}
