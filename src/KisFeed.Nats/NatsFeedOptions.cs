namespace KisFeed.Nats;

/// <summary>
/// Names and timings shared by every gateway, publisher and consumer of one deployment. Immutable: start from
/// <see cref="Default"/> and change with <c>with { ... }</c>. Every gateway of a deployment must use the same values.
/// </summary>
/// <remarks>
/// <para><b>Lease timing rules</b> (checked by <see cref="Validate"/>; the reasoning is in docs/scale-out.md):</para>
/// <list type="number">
/// <item><see cref="KisSilentSessionLifetime"/> (D) is the longest KIS keeps a session open after its client stopped
/// answering PINGPONG (ping interval + KIS's ping timeout, with slack).</item>
/// <item>The lease bucket's max age is <see cref="LeaseTtl"/> (T): the NATS server deletes a lease T after its last
/// renewal, and only then can another gateway create it.</item>
/// <item>A holder treats its lease as valid only until (send time of its last acknowledged create/renew) + T − D, on its
/// own monotonic clock. Past that it closes the key's KIS session before anything else. So a holder that froze at any
/// moment of its validity has its session dropped by KIS at most D later, i.e. before the server can expire the lease.</item>
/// <item>Renewals run every <see cref="LeaseRenewInterval"/> (R), with T − D ≥ 3 R so that two renewals may fail in a
/// row without losing the lease.</item>
/// </list>
/// </remarks>
public sealed record NatsFeedOptions
{
    /// <summary>Production defaults: stream <c>KISFEED</c>, subjects under <c>kisfeed</c>, T = 360 s, D = 300 s, R = 15 s.</summary>
    public static NatsFeedOptions Default { get; } = new();

    /// <summary>JetStream stream name. Default <c>KISFEED</c>.</summary>
    public string StreamName { get; init; } = "KISFEED";

    /// <summary>First subject token: trades go to <c>{prefix}.pgm.{venue}.{code}</c>, gaps to <c>{prefix}.gap.{venue}.{code}</c>.</summary>
    public string SubjectPrefix { get; init; } = "kisfeed";

    /// <summary>KV bucket of app-key leases (one key per app key). Default <c>kisfeed-leases</c>.</summary>
    public string LeaseBucket { get; init; } = "kisfeed-leases";

    /// <summary>KV bucket of live gateways (presence, used to share keys fairly). Default <c>kisfeed-gateways</c>.</summary>
    public string GatewayBucket { get; init; } = "kisfeed-gateways";

    /// <summary>KV bucket of the desired registrations (<c>{venue}.{code}</c> keys). Default <c>kisfeed-subs</c>.</summary>
    public string DesiredBucket { get; init; } = "kisfeed-subs";

    /// <summary>
    /// T: how long a lease lives after its last renewal (the lease bucket's max age). Takeover after a gateway dies takes
    /// this long. Default 360 s.
    /// </summary>
    public TimeSpan LeaseTtl { get; init; } = TimeSpan.FromSeconds(360);

    /// <summary>
    /// D: the longest KIS keeps a session whose client stopped answering PINGPONG. KIS does not document it; it pings
    /// about every 110 s, so the default assumes it drops a silent session within 300 s.
    /// </summary>
    public TimeSpan KisSilentSessionLifetime { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>R: how often a gateway renews its leases and reconciles its registrations. Default 15 s.</summary>
    public TimeSpan LeaseRenewInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How often the lease watchdog thread compares the clock with every lease's validity. Default 50 ms.</summary>
    public TimeSpan LeaseCheckInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>JetStream duplicate window: a record published again within it is stored once. Default 5 minutes.</summary>
    public TimeSpan DuplicateWindow { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long the stream keeps records. Default 8 days.</summary>
    public TimeSpan StreamMaxAge { get; init; } = TimeSpan.FromDays(8);

    /// <summary>Publishes awaiting their JetStream ack at once (the publisher's pipeline depth). Default 512.</summary>
    public int PublishWindow { get; init; } = 512;

    /// <summary>Replicas of the stream and the KV buckets: 1 on a single server, 3 on a three-node cluster.</summary>
    public int Replicas { get; init; } = 1;

    /// <summary>Registrations one app key carries (KIS allows 41).</summary>
    public int RegistrationsPerKey { get; init; } = 41;

    /// <summary>
    /// How long opening the stream, the buckets or a consumer keeps retrying while NATS is only slow (no quorum yet,
    /// JetStream starting, no responders, API timeouts) before it fails with <see cref="NatsFeedUnavailableException"/>.
    /// Default 2 minutes.
    /// </summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Timeout of the JetStream API requests a consumer makes to create or delete its server-side consumer, and of the
    /// control plane's reads (key lists). Short, because a request that lands on a dead node's share never gets an
    /// answer and is simply sent again. Default 1 s.
    /// </summary>
    public TimeSpan ApiTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one control-plane read or removal keeps retrying (5 s, or 5 × <see cref="ApiTimeout"/> if longer).</summary>
    internal TimeSpan ReadRetryLimit => ApiTimeout * 5 > TimeSpan.FromSeconds(5) ? ApiTimeout * 5 : TimeSpan.FromSeconds(5);

    /// <summary>How long a lease stays usable by its holder after the send time of its last acknowledged renewal: T − D.</summary>
    public TimeSpan LeaseHoldWindow => LeaseTtl - KisSilentSessionLifetime;

    /// <summary>Checks names and the lease timing rules; throws <see cref="ArgumentException"/> naming the broken rule.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(StreamName);
        ArgumentException.ThrowIfNullOrWhiteSpace(SubjectPrefix);
        ArgumentException.ThrowIfNullOrWhiteSpace(LeaseBucket);
        ArgumentException.ThrowIfNullOrWhiteSpace(GatewayBucket);
        ArgumentException.ThrowIfNullOrWhiteSpace(DesiredBucket);
        if (SubjectPrefix.Contains('.') || SubjectPrefix.Contains('*') || SubjectPrefix.Contains('>') || SubjectPrefix.Contains(' '))
        {
            throw new ArgumentException("SubjectPrefix must be one subject token (no '.', '*', '>' or spaces).", nameof(SubjectPrefix));
        }

        if (KisSilentSessionLifetime <= TimeSpan.Zero || LeaseRenewInterval <= TimeSpan.Zero || LeaseCheckInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException("KisSilentSessionLifetime, LeaseRenewInterval and LeaseCheckInterval must be positive.");
        }

        if (LeaseHoldWindow < 3 * LeaseRenewInterval)
        {
            throw new ArgumentException(
                $"Lease rule broken: LeaseTtl ({LeaseTtl}) must be at least KisSilentSessionLifetime ({KisSilentSessionLifetime}) + 3 × LeaseRenewInterval ({LeaseRenewInterval}), " +
                "so that a frozen holder's KIS session is dead before its lease can expire, and two renewals may fail in a row.", nameof(LeaseTtl));
        }

        if (LeaseCheckInterval * 4 > LeaseRenewInterval)
        {
            throw new ArgumentException("LeaseCheckInterval must be at most a quarter of LeaseRenewInterval.", nameof(LeaseCheckInterval));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(PublishWindow, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(Replicas, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(RegistrationsPerKey, 1);
        if (StartTimeout <= TimeSpan.Zero || ApiTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("StartTimeout and ApiTimeout must be positive.", nameof(StartTimeout));
        }

        if (DuplicateWindow <= TimeSpan.Zero || StreamMaxAge < DuplicateWindow)
        {
            throw new ArgumentException("DuplicateWindow must be positive and at most StreamMaxAge.", nameof(DuplicateWindow));
        }
    }
}
