namespace KisFeed.Nats;

/// <summary>What a gateway did.</summary>
public enum GatewayEventKind
{
    /// <summary>Registered in the presence bucket.</summary>
    Started,

    /// <summary>Took a lease (CreateAsync succeeded).</summary>
    LeaseAcquired,

    /// <summary>A lease ran out or its renewal was refused; the key's session is being closed.</summary>
    LeaseLost,

    /// <summary>The key's KIS session is closed (after a loss or a release).</summary>
    SessionClosed,

    /// <summary>Gave a lease back after closing its session.</summary>
    LeaseReleased,

    /// <summary>A registration was accepted by KIS on a key's session.</summary>
    RegistrationStarted,

    /// <summary>A registration was taken off a key's session.</summary>
    RegistrationStopped,

    /// <summary>Something failed and will be retried.</summary>
    Error,

    /// <summary>The stop ended: every session closed first, then what NATS allowed in time (the detail says what was left).</summary>
    Stopped,

    /// <summary>What the gateway waits for before it takes keys, and until when (at start).</summary>
    Waiting,

    /// <summary>The first key is held and its first registration is live at KIS (once per run).</summary>
    Ready,

    /// <summary>A lease the stop could not release (NATS did not answer in time): it expires by its TTL.</summary>
    LeaseLeftToExpire,
}

/// <summary>One thing a gateway did, for logs, the CLI and tests.</summary>
/// <param name="At">When (UTC, on the gateway's clock).</param>
/// <param name="Kind">What.</param>
/// <param name="KeyId">The app key's lease id (empty for gateway-wide events).</param>
/// <param name="Detail">Words.</param>
public sealed record GatewayEvent(DateTimeOffset At, GatewayEventKind Kind, string KeyId, string Detail);
