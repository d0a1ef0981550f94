using Microsoft.Extensions.Logging;

namespace KisFeed.Session;

/// <summary>Source-generated log messages with stable event ids (1xxx session, 2xxx data, 3xxx consumers).</summary>
internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Information, "Connecting to {Uri} (attempt {Attempt})")]
    public static partial void Connecting(ILogger logger, Uri uri, int attempt);

    [LoggerMessage(1001, LogLevel.Information, "Connected to {Uri}; re-sending {Count} registration(s)")]
    public static partial void Connected(ILogger logger, Uri uri, int count);

    [LoggerMessage(1002, LogLevel.Warning, "Connection lost: {Reason}. Reconnecting in {Delay} (attempt {Attempt})")]
    public static partial void ConnectionLost(ILogger logger, string reason, TimeSpan delay, int attempt, Exception? error);

    [LoggerMessage(1003, LogLevel.Information, "Requested a new approval key for app key {AppKey}")]
    public static partial void ApprovalKeyIssued(ILogger logger, string appKey);

    [LoggerMessage(1004, LogLevel.Warning, "No message at all for {Idle}; dropping the connection (watchdog)")]
    public static partial void Watchdog(ILogger logger, TimeSpan idle);

    [LoggerMessage(1005, LogLevel.Warning, "Re-registration of {Registration} failed: {Error}")]
    public static partial void ResubscribeFailed(ILogger logger, Registration registration, string error);

    [LoggerMessage(1006, LogLevel.Debug, "{Action} {Registration}: {MsgCd} {Msg1}")]
    public static partial void ControlReply(ILogger logger, string action, Registration registration, string? msgCd, string? msg1);

    [LoggerMessage(1007, LogLevel.Warning, "Unsolicited control message: rt_cd={RtCd} {MsgCd} {Msg1} (tr_id {TrId})")]
    public static partial void UnsolicitedControl(ILogger logger, string? rtCd, string? msgCd, string? msg1, string? trId);

    [LoggerMessage(1008, LogLevel.Warning, "Data gap: session was down from {From:O} to {To:O} for {Count} registration(s) ({Reason}): {Registrations}")]
    public static partial void DataGap(ILogger logger, DateTimeOffset from, DateTimeOffset to, int count, string reason, string registrations);

    [LoggerMessage(1009, LogLevel.Information, "Session closed")]
    public static partial void Closed(ILogger logger);

    [LoggerMessage(1010, LogLevel.Warning, "Unsubscribe of {Registration} failed: {Error}")]
    public static partial void UnsubscribeFailed(ILogger logger, Registration registration, string error);

    [LoggerMessage(1011, LogLevel.Error, "Cannot reconnect: {Error}")]
    public static partial void ReconnectFatal(ILogger logger, string error);

    [LoggerMessage(1012, LogLevel.Warning, "KIS refused the approval key request for app key {AppKey} as too fast (EGW00201, one a second); retrying once in a second")]
    public static partial void ApprovalRateLimited(ILogger logger, string appKey);

    [LoggerMessage(1013, LogLevel.Warning, "Releasing {Count} registration(s) of a subscription that was never disposed and is no longer referenced: {Registrations}")]
    public static partial void AbandonedSubscription(ILogger logger, int count, string registrations);

    [LoggerMessage(1014, LogLevel.Information, "Gap {GapId} for {Registration}: {Outcome}, {Rows} REST row(s); {Detail}")]
    public static partial void GapHealed(ILogger logger, long gapId, Registration registration, GapHealing outcome, int rows, string detail);


    [LoggerMessage(2000, LogLevel.Warning, "Rejected frame ({Error}): {Detail}; {Delivered} record(s) delivered; {Suppressed} more of this kind since the last report; raw: {Raw}")]
    public static partial void FrameRejected(ILogger logger, FrameError error, string detail, int delivered, long suppressed, string raw);

    [LoggerMessage(3000, LogLevel.Warning, "Consumer of {Registrations} is falling behind: {Dropped} update(s) dropped so far")]
    public static partial void ConsumerDropping(ILogger logger, string registrations, long dropped);

    [LoggerMessage(3001, LogLevel.Error, "An event handler threw")]
    public static partial void HandlerFailed(ILogger logger, Exception error);

    [LoggerMessage(3002, LogLevel.Warning, "Event handlers are falling behind: {Dropped} event(s) dropped so far (the queue holds 4096); keep handlers short or hand the work off")]
    public static partial void EventsDropped(ILogger logger, long dropped);
}
