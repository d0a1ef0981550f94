namespace KisFeed.Nats;

/// <summary>Settings of one <see cref="NatsGateway"/>.</summary>
public sealed record GatewayOptions
{
    /// <summary>Defaults: id = host-pid, <see cref="NatsFeedOptions.Default"/>, the live KIS endpoints, a 10 s stop.</summary>
    public static GatewayOptions Default { get; } = new();

    /// <summary>This gateway's id, unique in the deployment (written as the holder of its leases).</summary>
    public string GatewayId { get; init; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>Names and lease timings (the same on every gateway).</summary>
    public NatsFeedOptions Feed { get; init; } = NatsFeedOptions.Default;

    /// <summary>
    /// Template of each KIS session (endpoints, logging, buffers); the app key and secret are filled per key, and its
    /// clock is <see cref="TimeProvider"/>.
    /// </summary>
    public KisOptions Session { get; init; } = KisOptions.Default;

    /// <summary>
    /// Whether <see cref="Session"/> is a simulator (the built-in one, <c>kisfeed simulate</c>, demo keys) rather than the
    /// market: then every message this gateway publishes is marked simulated (<see cref="FeedCodec.SimulatedVersion"/>),
    /// so every reader shows it as simulated. <c>kisfeed gateway</c> sets it from its session. Default false (live KIS).
    /// </summary>
    public bool Simulated { get; init; }

    /// <summary>At most this many keys held at once (null: a fair share of the keys with work, by live gateways).</summary>
    public int? MaxKeys { get; init; }

    /// <summary>
    /// The longest a stop takes, whatever NATS does. A stop first closes every KIS session (within
    /// min(5 s, half of this)), then makes one attempt, within what is left, to release the leases, remove this
    /// gateway's presence and publish what is queued. Leases it could not release expire by themselves
    /// (<see cref="NatsFeedOptions.LeaseTtl"/> after their last renewal). Default 10 s.
    /// </summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The clock of the lease loop, the lease watchdog, lease validity and every KIS session (a fake one in tests).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Checks the settings; throws <see cref="ArgumentException"/> naming the bad one.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(GatewayId);
        ArgumentNullException.ThrowIfNull(Feed);
        ArgumentNullException.ThrowIfNull(Session);
        ArgumentNullException.ThrowIfNull(TimeProvider);
        Feed.Validate();
        if (MaxKeys is < 1)
        {
            throw new ArgumentException("MaxKeys must be at least 1 (or null for a fair share).", nameof(MaxKeys));
        }

        if (StopTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"StopTimeout must be positive (got {StopTimeout}).", nameof(StopTimeout));
        }
    }
}
