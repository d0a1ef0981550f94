namespace KisFeed.Nats;

/// <summary>Counters of a <see cref="FeedConsumer"/> since it was created (every read it ran).</summary>
/// <param name="Read">Messages read and handed on (trades, gaps, healing outcomes of the wanted codes and venues).</param>
/// <param name="Rejected">Messages rejected (bad, damaged or forged: skipped, never handed on as data).</param>
/// <param name="RejectedByReason">The rejected messages by reason (reasons never seen are absent).</param>
/// <param name="Restarts">Times a read re-created its server-side consumer after it stopped answering (a node died, the connection moved).</param>
public sealed record FeedConsumerStatistics(long Read, long Rejected, IReadOnlyDictionary<FeedRejectReason, long> RejectedByReason, long Restarts);
