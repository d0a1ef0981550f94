namespace KisFeed.Nats;

/// <summary>
/// Everything a <see cref="NatsGateway"/> asks of NATS: the lease and presence buckets, the desired registrations, the
/// stream's last record of a registration, and the publisher. <see cref="NatsBackplane"/> is the JetStream one; tests put
/// an in-memory one with the same semantics here (KV create, update on revision, delete on revision, max age) so lease
/// timing runs on virtual time.
/// </summary>
/// <remarks>
/// While NATS cannot be reached, a call waits (as NATS.Net does) until its <see cref="CancellationToken"/> fires: the
/// gateway gives every call a deadline.
/// </remarks>
internal interface IGatewayBackplane
{
    /// <summary>Creates or opens the stream and the buckets and starts the publisher.</summary>
    Task OpenAsync(CancellationToken cancellationToken);

    /// <summary>Takes the lease of a key with a create: null when it has a live value (someone holds it).</summary>
    Task<AppKeyLease?> TryAcquireAsync(string keyId, string owner, CancellationToken cancellationToken);

    /// <summary>Renews on the lease's revision (compare-and-swap).</summary>
    Task<LeaseRenewal> RenewAsync(AppKeyLease lease, CancellationToken cancellationToken);

    /// <summary>Deletes the lease on its revision (close the key's session first).</summary>
    Task ReleaseAsync(AppKeyLease lease, CancellationToken cancellationToken);

    /// <summary>Writes this gateway's presence (it lives 3 R).</summary>
    Task HeartbeatAsync(string gatewayId, CancellationToken cancellationToken);

    /// <summary>Deletes this gateway's presence.</summary>
    Task LeaveAsync(string gatewayId, CancellationToken cancellationToken);

    /// <summary>The gateways with a live presence entry (this one included once it has written its own).</summary>
    Task<IReadOnlyList<string>> LiveGatewaysAsync(CancellationToken cancellationToken);

    /// <summary>Every live lease: key id, holder, and when the server stored its last create or renewal.</summary>
    Task<IReadOnlyList<HeldLease>> LeasesAsync(CancellationToken cancellationToken);

    /// <summary>The desired registrations.</summary>
    Task<IReadOnlyList<Registration>> DesiredAsync(CancellationToken cancellationToken);

    /// <summary>When the last trade of <paramref name="registration"/> stored today was received (null: none today).</summary>
    Task<DateTimeOffset?> LastStoredTodayAsync(Registration registration, CancellationToken cancellationToken);

    /// <summary>Queues one item for the stream.</summary>
    ValueTask PublishAsync(FeedItem item, CancellationToken cancellationToken);

    /// <summary>
    /// Waits until everything queued is stored, or until <paramref name="cancellationToken"/> fires; then stops
    /// publishing. Returns how many items were given up (0 when all were stored).
    /// </summary>
    Task<long> FlushAndCloseAsync(CancellationToken cancellationToken);

    /// <summary>Publisher counters.</summary>
    FeedPublisherStatistics Statistics { get; }
}
