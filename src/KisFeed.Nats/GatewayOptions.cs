namespace KisFeed.Nats;

/// <summary>Settings of one <see cref="NatsGateway"/>.</summary>
public sealed record GatewayOptions
{
    /// <summary>Defaults: id = host-pid, <see cref="NatsFeedOptions.Default"/>, the live KIS endpoints.</summary>
    public static GatewayOptions Default { get; } = new();

    /// <summary>This gateway's id, unique in the deployment (written as the holder of its leases).</summary>
    public string GatewayId { get; init; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>Names and lease timings (the same on every gateway).</summary>
    public NatsFeedOptions Feed { get; init; } = NatsFeedOptions.Default;

    /// <summary>Template of each KIS session (endpoints, logging, buffers); the app key and secret are filled per key.</summary>
    public KisOptions Session { get; init; } = KisOptions.Default;

    /// <summary>At most this many keys held at once (null: a fair share of the keys with work, by live gateways).</summary>
    public int? MaxKeys { get; init; }
}
