namespace KisFeed.Nats;

/// <summary>One item read from the stream, with its stream sequence.</summary>
/// <param name="Item">The trade, gap or healing outcome (a gap or an outcome names one registration); default for a rejected message.</param>
/// <param name="StreamSequence">The message's sequence in the stream (unique, increasing in stream order).</param>
public readonly record struct NatsFeedItem(FeedItem Item, ulong StreamSequence)
{
    /// <summary>For a healing outcome, the gap it heals (its bounds as the gateway's client reported them); otherwise null.</summary>
    public DataGap? HealedGap { get; init; }

    /// <summary>
    /// True when the gateway that published it ran on a simulator (the payload is marked, <see cref="FeedCodec.SimulatedVersion"/>),
    /// false for data from the market. Gateways before that mark wrote live and simulated data alike as version 1, read as false.
    /// </summary>
    public bool Simulated { get; init; }

    /// <summary>
    /// A message the consumer rejected (bad, damaged or forged), with its raw copy; then <see cref="Item"/> is default.
    /// Only readers that set <see cref="FeedConsumer.YieldRejected"/> see these (a recorder keeps the copy and moves its
    /// position past it); every other reader only sees good items.
    /// </summary>
    public RejectedMessage? Rejected { get; init; }
}
