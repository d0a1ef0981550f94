namespace KisFeed.Nats;

/// <summary>A stream message a <see cref="FeedConsumer"/> rejected: its raw copy, where it was, and why.</summary>
/// <param name="StreamSequence">The message's sequence in the stream.</param>
/// <param name="Subject">The subject it was published on.</param>
/// <param name="Reason">Why it was rejected.</param>
/// <param name="Detail">What was wrong, naming the field and its value.</param>
/// <param name="Payload">The message's bytes, as stored in the stream.</param>
/// <param name="StoredAt">When the server stored it (its JetStream timestamp), when known.</param>
public sealed record RejectedMessage(ulong StreamSequence, string Subject, FeedRejectReason Reason, string Detail, ReadOnlyMemory<byte> Payload, DateTimeOffset? StoredAt);
