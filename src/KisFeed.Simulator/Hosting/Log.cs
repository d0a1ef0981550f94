using Microsoft.Extensions.Logging;

namespace KisFeed.Simulator;

/// <summary>Source-generated log events (stable ids 1000–1099). Keys and secrets only ever appear redacted.</summary>
internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Information, "KIS simulator listening on {RestBaseUri} (WebSocket {WebSocketUri})")]
    public static partial void Started(ILogger logger, string restBaseUri, string webSocketUri);

    [LoggerMessage(1001, LogLevel.Information, "Approval key {ApprovalKey} issued for app key {AppKey}")]
    public static partial void ApprovalIssued(ILogger logger, string approvalKey, string appKey);

    [LoggerMessage(1002, LogLevel.Warning, "Approval refused ({ErrorCode}) for app key {AppKey}")]
    public static partial void ApprovalRefused(ILogger logger, string errorCode, string appKey);

    [LoggerMessage(1003, LogLevel.Information, "Session {SessionId} connected from {Remote}")]
    public static partial void SessionConnected(ILogger logger, long sessionId, string? remote);

    [LoggerMessage(1004, LogLevel.Information, "Session {SessionId} ended (clean close: {Clean})")]
    public static partial void SessionEnded(ILogger logger, long sessionId, bool clean);

    [LoggerMessage(1005, LogLevel.Debug, "Session {SessionId} {TrType} {TrId} {TrKey} -> {MsgCd}")]
    public static partial void ControlHandled(ILogger logger, long sessionId, string? trType, string? trId, string? trKey, string msgCd);

    [LoggerMessage(1006, LogLevel.Warning, "Session {SessionId} did not echo PINGPONG within {Timeout}; aborting")]
    public static partial void PingTimeout(ILogger logger, long sessionId, TimeSpan timeout);

    [LoggerMessage(1007, LogLevel.Warning, "Session {SessionId} send queue is full ({Capacity}); aborting the slow client")]
    public static partial void QueueOverflow(ILogger logger, long sessionId, int capacity);

    [LoggerMessage(1008, LogLevel.Information, "Session {SessionId} bound to app key {AppKey}")]
    public static partial void Bound(ILogger logger, long sessionId, string appKey);

    [LoggerMessage(1009, LogLevel.Information, "Dropping {Count} sessions ({Mode})")]
    public static partial void Dropping(ILogger logger, int count, DropMode mode);

    [LoggerMessage(1010, LogLevel.Debug, "Session {SessionId} send failed")]
    public static partial void SendFailed(ILogger logger, long sessionId, Exception exception);

    [LoggerMessage(1011, LogLevel.Error, "Market tick failed")]
    public static partial void TickFailed(ILogger logger, Exception exception);

    [LoggerMessage(1013, LogLevel.Warning, "Session {SessionId} sent an unsolicited PONG frame (a .NET KeepAliveInterval?); aborting like KIS")]
    public static partial void UnsolicitedPong(ILogger logger, long sessionId);

    [LoggerMessage(1012, LogLevel.Warning, "Session {SessionId} app key {AppKey} refused: already in use")]
    public static partial void AlreadyInUse(ILogger logger, long sessionId, string appKey);

    [LoggerMessage(1015, LogLevel.Warning, "{TrId} subscribed: answered SUBSCRIBE SUCCESS like KIS, but this simulator sends no data for it (data only for {ServedTrIds})")]
    public static partial void UnservedTr(ILogger logger, string trId, string servedTrIds);

    [LoggerMessage(1016, LogLevel.Information, "Session {SessionId}: {TrId} {TrKey} refused: not in the simulator's universe (OPSP8992)")]
    public static partial void UnknownCode(ILogger logger, long sessionId, string trId, string trKey);

    [LoggerMessage(1014, LogLevel.Warning, "Session {SessionId}: control reply {MsgCd} fault injected ({Fault})")]
    public static partial void ReplyFault(ILogger logger, long sessionId, ControlReplyFault fault, string msgCd);
}

// REST-side log events (ids 1100–1109).
internal static partial class Log
{
    [LoggerMessage(1100, LogLevel.Information, "Access token answered for app key {AppKey} (new: {Issued})")]
    public static partial void TokenAnswered(ILogger logger, string appKey, bool issued);

    [LoggerMessage(1101, LogLevel.Warning, "REST {Path} refused with {ErrorCode}")]
    public static partial void RestRefused(ILogger logger, string path, string errorCode);

    [LoggerMessage(1102, LogLevel.Debug, "Program-trading history of {Code} ({Venue}): {Rows} row(s)")]
    public static partial void HistoryServed(ILogger logger, string code, Venue venue, int rows);

    [LoggerMessage(1103, LogLevel.Information, "REST {Path}: {Code} is not in the simulator's universe")]
    public static partial void UnknownRestCode(ILogger logger, string path, string code);
}
