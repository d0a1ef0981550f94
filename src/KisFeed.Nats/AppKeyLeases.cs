using System.Text;

using Microsoft.Extensions.Logging;

using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
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

    /// <summary>
    /// Takes the revision of a renewal whose acknowledgement was lost but which the server stored (the key holds this
    /// owner at a later revision). The validity is not extended: only an acknowledged renewal does that.
    /// </summary>
    internal void Adopt(ulong revision) => Interlocked.Exchange(ref _revision, (long)revision);

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
    private readonly INatsJSContext _reads;
    private readonly INatsJSStream _leaseStream;
    private readonly NatsFeedOptions _options;

    private AppKeyLeaseStore(INatsKVStore leases, INatsKVStore gateways, INatsJSContext reads, INatsJSStream leaseStream, NatsFeedOptions options)
    {
        _leases = leases;
        _leaseStream = leaseStream;
        _gateways = gateways;
        _reads = reads;
        _options = options;
    }

    /// <summary>
    /// Opens (creating or updating) the lease and presence buckets. Any number of gateways may call it at the same
    /// moment: while NATS is only slow (no quorum yet, JetStream starting) it retries with backoff until
    /// <see cref="NatsFeedOptions.StartTimeout"/>, and it returns once both buckets have a leader.
    /// </summary>
    /// <exception cref="NatsFeedUnavailableException">NATS did not become usable within <see cref="NatsFeedOptions.StartTimeout"/>.</exception>
    public static async Task<AppKeyLeaseStore> OpenAsync(INatsJSContext js, NatsFeedOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(js);
        options ??= NatsFeedOptions.Default;
        options.Validate();
        var kv = new NatsKVContext(js);
        ILogger log = js.Connection.Opts.LoggerFactory.CreateLogger<AppKeyLeaseStore>();
        INatsKVStore leases = await NatsStart.UntilReadyAsync(js.Connection, token => kv.CreateOrUpdateStoreAsync(new NatsKVConfig(options.LeaseBucket)
        {
            History = 1,
            MaxAge = options.LeaseTtl,
            Storage = NatsKVStorageType.File,
            NumberOfReplicas = options.Replicas,
            Description = "KisFeed app-key leases: one key per app key, value = holder; expires LeaseTtl after the last renewal.",
        }, token).AsTask(), $"KV bucket {options.LeaseBucket}", options, log, cancellationToken, notFoundIsTransient: true).ConfigureAwait(false);
        INatsKVStore gateways = await NatsStart.UntilReadyAsync(js.Connection, token => kv.CreateOrUpdateStoreAsync(new NatsKVConfig(options.GatewayBucket)
        {
            History = 1,
            MaxAge = options.LeaseRenewInterval * 3,
            Storage = NatsKVStorageType.File,
            NumberOfReplicas = options.Replicas,
            Description = "KisFeed live gateways (presence, renewed every LeaseRenewInterval).",
        }, token).AsTask(), $"KV bucket {options.GatewayBucket}", options, log, cancellationToken, notFoundIsTransient: true).ConfigureAwait(false);
        INatsJSStream leaseStream = await NatsStart.StreamReadyAsync(js, KvKeys.StreamOf(options.LeaseBucket), $"KV bucket {options.LeaseBucket}", options, log, cancellationToken).ConfigureAwait(false);
        await NatsStart.StreamReadyAsync(js, KvKeys.StreamOf(options.GatewayBucket), $"KV bucket {options.GatewayBucket}", options, log, cancellationToken).ConfigureAwait(false);
        return new AppKeyLeaseStore(leases, gateways, NatsStart.ShortTimeoutContext(js, options.ApiTimeout), leaseStream, options);
    }

    /// <summary>The lease bucket.</summary>
    public INatsKVStore Leases => _leases;

    /// <summary>The clock whose timestamps stamp send times and decide validity (the gateway's; the system's by default).</summary>
    internal TimeProvider Time { get; set; } = TimeProvider.System;

    /// <summary>
    /// Tries to take the lease of <paramref name="keyId"/>: null when someone holds it. A create that succeeded is
    /// confirmed by reading the key's last record from the bucket's stream leader: nats-server before 2.9.21 checks a
    /// compare-and-swap before, not inside, the cluster's consensus, so two creates sent at the same moment to a
    /// replicated bucket can both be acknowledged (nats-server issue 4320; Debian ships 2.9.10). Only the later one
    /// holds the key, so the earlier one, seeing a later record than its own, is no lease.
    /// </summary>
    public async Task<AppKeyLease?> TryAcquireAsync(string keyId, string owner, CancellationToken cancellationToken = default)
    {
        long sentAt = Time.GetTimestamp();
        var result = await _leases.TryCreateAsync(keyId, Encoding.UTF8.GetBytes(owner), cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!result.Success)
        {
            return null;
        }

        if (_options.Replicas > 1)
        {
            StreamMsgGetResponse last = await _leaseStream.GetAsync(new StreamMsgGetRequest { LastBySubj = $"$KV.{_options.LeaseBucket}.{keyId}" }, cancellationToken).ConfigureAwait(false);
            if (last.Message.Seq != result.Value)
            {
                return null;
            }
        }

        return new AppKeyLease(keyId, owner, result.Value, sentAt, _options.LeaseHoldWindow, Time);
    }

    /// <summary>
    /// Renews by compare-and-swap on the lease's revision. A refused swap is checked once: when the key holds this
    /// owner at a later revision, an earlier renewal whose acknowledgement was lost (a leader change) was stored, so
    /// that revision is taken and the renewal sent again; only a key changed by someone else is <see cref="LeaseRenewal.Lost"/>.
    /// </summary>
    public async Task<LeaseRenewal> RenewAsync(AppKeyLease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        try
        {
            LeaseRenewal first = await TryRenewAsync(lease, cancellationToken).ConfigureAwait(false);
            if (first != LeaseRenewal.Lost)
            {
                return first;
            }

            var entry = await _leases.TryGetEntryAsync<byte[]>(lease.KeyId, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!entry.Success)
            {
                return entry.Error is NatsKVKeyNotFoundException or NatsKVKeyDeletedException ? LeaseRenewal.Lost : LeaseRenewal.Unknown;
            }

            if (entry.Value.Value is { } value && Encoding.UTF8.GetString(value) == lease.Owner && entry.Value.Revision > lease.Revision)
            {
                lease.Adopt(entry.Value.Revision);
                return await TryRenewAsync(lease, cancellationToken).ConfigureAwait(false);
            }

            return LeaseRenewal.Lost;
        }
        catch (Exception ex) when (ex is NATS.Client.Core.NatsException or TimeoutException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return LeaseRenewal.Unknown;
        }
    }

    private async Task<LeaseRenewal> TryRenewAsync(AppKeyLease lease, CancellationToken cancellationToken)
    {
        long sentAt = Time.GetTimestamp();
        var result = await _leases.TryUpdateAsync(lease.KeyId, Encoding.UTF8.GetBytes(lease.Owner), lease.Revision, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (result.Success)
        {
            lease.Renewed(result.Value, sentAt);
            return LeaseRenewal.Renewed;
        }

        return result.Error is NatsKVWrongLastRevisionException ? LeaseRenewal.Lost : LeaseRenewal.Unknown;
    }

    /// <summary>Gives the lease back (delete on its revision) so another gateway can take it at once. Close the key's session first.</summary>
    public async Task ReleaseAsync(AppKeyLease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        await _leases.TryDeleteAsync(lease.KeyId, new NatsKVDeleteOpts { Revision = lease.Revision }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The current holder of every held lease (key id → gateway id). Reads no consumer (see <see cref="LiveGatewaysAsync"/>).</summary>
    public async Task<IReadOnlyDictionary<string, string>> HoldersAsync(CancellationToken cancellationToken = default)
    {
        var holders = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string key in await ReadKeysAsync(_options.LeaseBucket, cancellationToken).ConfigureAwait(false))
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

    /// <summary>Removes the presence of <paramref name="gatewayId"/> (its subject is purged: no delete marker is left to look live).</summary>
    public async Task LeaveAsync(string gatewayId, CancellationToken cancellationToken = default) =>
        await KvKeys.PurgeKeyAsync(_reads, _options.GatewayBucket, gatewayId, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Gateways seen alive in the last 3 renew intervals: the presence bucket's subjects, read from its stream's info
    /// (answered by the stream leader) rather than through a consumer, which nats-server 2.9 may place on a dead node.
    /// </summary>
    public async Task<IReadOnlyList<string>> LiveGatewaysAsync(CancellationToken cancellationToken = default) =>
        await ReadKeysAsync(_options.GatewayBucket, cancellationToken).ConfigureAwait(false);

    /// <summary>The keys of the lease bucket that hold a value, read from the stream's info (no consumer: see <see cref="HoldersAsync"/>).</summary>
    internal Task<List<string>> LeaseKeysAsync(CancellationToken cancellationToken) => ReadKeysAsync(_options.LeaseBucket, cancellationToken);

    private Task<List<string>> ReadKeysAsync(string bucket, CancellationToken ct) =>
        NatsStart.UntilReadyAsync(_reads.Connection, token => KvKeys.ListAsync(_reads, bucket, token), $"the keys of KV bucket {bucket}", _options.ReadRetryLimit, null, ct);
}
