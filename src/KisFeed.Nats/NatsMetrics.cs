using System.Diagnostics.Metrics;

namespace KisFeed.Nats;

/// <summary>
/// The NATS side's instruments on the <c>KisFeed</c> meter (<see cref="System.Diagnostics.Metrics"/>; seen by
/// <c>dotnet-counters</c>, OpenTelemetry and any <see cref="MeterListener"/>), all prefixed <c>kisfeed.nats.</c>.
/// </summary>
public static class NatsMetrics
{
    /// <summary>The meter's name, shared with the core library's instruments.</summary>
    public const string MeterName = "KisFeed";

    private static readonly Meter Meter = new(MeterName, typeof(NatsMetrics).Assembly.GetName().Version?.ToString());

    /// <summary><c>kisfeed.nats.published</c>: messages JetStream acknowledged as stored (tags <c>kind</c>: trade, gap, heal; <c>stream</c>).</summary>
    internal static readonly Counter<long> Published = Meter.CreateCounter<long>("kisfeed.nats.published", "{message}", "Messages stored by JetStream");

    /// <summary><c>kisfeed.nats.duplicates</c>: publishes JetStream acknowledged as duplicates (the dedup window caught a republish).</summary>
    internal static readonly Counter<long> Duplicates = Meter.CreateCounter<long>("kisfeed.nats.duplicates", "{message}", "Publishes acknowledged as duplicates (dedup hits)");

    /// <summary><c>kisfeed.nats.publish_retries</c>: publishes that failed and were sent again with the same id.</summary>
    internal static readonly Counter<long> PublishRetries = Meter.CreateCounter<long>("kisfeed.nats.publish_retries", "{message}", "Publishes sent again after a failure");

    /// <summary><c>kisfeed.nats.rejected</c>: stream messages consumers rejected (tags <c>reason</c>: a <see cref="FeedRejectReason"/>; <c>stream</c>).</summary>
    internal static readonly Counter<long> Rejected = Meter.CreateCounter<long>("kisfeed.nats.rejected", "{message}", "Stream messages rejected by consumers");

    /// <summary><c>kisfeed.nats.consumer_restarts</c>: consumers re-created after their server-side consumer stopped answering.</summary>
    internal static readonly Counter<long> ConsumerRestarts = Meter.CreateCounter<long>("kisfeed.nats.consumer_restarts", "{restart}", "Stream consumers re-created");
}
