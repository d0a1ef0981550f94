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

    /// <summary>Every session closed and every lease given back.</summary>
    Stopped,
}

/// <summary>One thing a gateway did, for logs, the CLI and tests.</summary>
/// <param name="At">When (UTC).</param>
/// <param name="Kind">What.</param>
/// <param name="KeyId">The app key's lease id (empty for gateway-wide events).</param>
/// <param name="Detail">Words.</param>
public sealed record GatewayEvent(DateTimeOffset At, GatewayEventKind Kind, string KeyId, string Detail);
