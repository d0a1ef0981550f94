using Microsoft.Extensions.Logging;

namespace KisFeed.Nats;

internal static partial class Log
{
    [LoggerMessage(3001, LogLevel.Warning, "Publish to {Subject} failed (attempt {Attempt}), sending again with the same id: {Error}")]
    public static partial void PublishRetry(ILogger logger, string subject, int attempt, string error);

    [LoggerMessage(3010, LogLevel.Information, "Lease {KeyId} acquired by {Owner} (revision {Revision})")]
    public static partial void LeaseAcquired(ILogger logger, string keyId, string owner, ulong revision);

    [LoggerMessage(3011, LogLevel.Warning, "Lease {KeyId} lost: {Reason}; closing its KIS session")]
    public static partial void LeaseLost(ILogger logger, string keyId, string reason);

    [LoggerMessage(3012, LogLevel.Information, "Lease {KeyId} released")]
    public static partial void LeaseReleased(ILogger logger, string keyId);

    [LoggerMessage(3020, LogLevel.Warning, "Gateway step failed: {Error}")]
    public static partial void StepFailed(ILogger logger, string error);

    [LoggerMessage(3021, LogLevel.Warning, "Registration {Registration} on {KeyId} failed: {Error}")]
    public static partial void RegistrationFailed(ILogger logger, string registration, string keyId, string error);

    [LoggerMessage(3030, LogLevel.Warning, "Rejected stream message {Sequence} on {Subject} ({Reason}): {Detail}. Skipped: not stored, not shown. {Count} rejected for this reason so far{More}. {Advice}")]
    public static partial void MessageRejected(ILogger logger, ulong sequence, string subject, string reason, string detail, long count, string more, string advice);

    [LoggerMessage(3031, LogLevel.Warning, "Stream consumer on {Stream} ({Filter}) stopped answering after sequence {Sequence}, re-creating it (attempt {Attempt}): {Error}")]
    public static partial void ConsumerRestart(ILogger logger, string stream, string filter, ulong sequence, int attempt, string error);

    [LoggerMessage(3032, LogLevel.Information, "Waiting for NATS JetStream ({What}), attempt {Attempt}: {Error}")]
    public static partial void WaitingForNats(ILogger logger, string what, int attempt, string error);
}
