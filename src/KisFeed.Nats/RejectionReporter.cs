using Microsoft.Extensions.Logging;

namespace KisFeed.Nats;

/// <summary>
/// Reports rejected stream messages in a rate-limited log line: the first of each reason at once, then at most one line
/// per reason per <see cref="Interval"/> with the count since the last line, so a flood of forged messages costs a few
/// lines, not one per message.
/// </summary>
internal sealed class RejectionReporter(ILogger logger, TimeProvider time)
{
    /// <summary>The shortest time between two lines of one reason.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    private readonly Dictionary<FeedRejectReason, (long LastAt, long Suppressed)> _last = [];
    private readonly Lock _gate = new();

    public void Report(RejectedMessage message, long totalForReason)
    {
        long now = time.GetTimestamp();
        long suppressed;
        lock (_gate)
        {
            if (_last.TryGetValue(message.Reason, out var last) && time.GetElapsedTime(last.LastAt, now) < Interval)
            {
                _last[message.Reason] = (last.LastAt, last.Suppressed + 1);
                return;
            }

            suppressed = last.Suppressed;
            _last[message.Reason] = (now, 0);
        }

        string more = suppressed > 0 ? $" ({suppressed} more since the last line)" : string.Empty;
        Log.MessageRejected(logger, message.StreamSequence, message.Subject, message.Reason.ToString(), message.Detail, totalForReason, more, Advice(message.Reason));
    }

    /// <summary>What to do about a rejection of this kind.</summary>
    public static string Advice(FeedRejectReason reason) => reason switch
    {
        FeedRejectReason.UnknownVersion or FeedRejectReason.UnknownKind =>
            "A newer gateway may have written it: update this reader to the gateways' KisFeed version. If no gateway is newer, something other than a gateway publishes on the stream: give only gateways publish rights (docs/scale-out.md, \"Only gateways publish\").",
        FeedRejectReason.BadReceivedAt =>
            "Either the time is forged or the publishing gateway's clock is wrong: check NTP on the gateways, and give only gateways publish rights (docs/scale-out.md).",
        _ =>
            "No KisFeed gateway writes this: the message is forged or damaged. Give only gateways publish rights on the stream's subjects (docs/scale-out.md, \"Only gateways publish\").",
    };
}
