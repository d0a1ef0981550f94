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

    [LoggerMessage(3013, LogLevel.Warning, "Lease {KeyId} was not released ({Why}): it expires by itself in about {Seconds:0} s (T after its last renewal); until then no other gateway can take the key")]
    public static partial void LeaseLeftToExpire(ILogger logger, string keyId, string why, double seconds);

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

    [LoggerMessage(3022, LogLevel.Error, "Registration {Registration} on {KeyId}: its pump failed unexpectedly and is restarted")]
    public static partial void PumpCrashed(ILogger logger, string registration, string keyId, Exception exception);

    [LoggerMessage(3050, LogLevel.Information, "Gateway stopping: closing {Sessions} KIS session(s) first, then {Seconds:0.#} s for NATS")]
    public static partial void Stopping(ILogger logger, int sessions, double seconds);

    [LoggerMessage(3051, LogLevel.Warning, "Gateway stopped without finishing: {Report}")]
    public static partial void StoppedIncomplete(ILogger logger, string report);

    [LoggerMessage(3052, LogLevel.Warning, "The session of {KeyId} did not finish closing within {Seconds:0.#} s; its socket is being cut")]
    public static partial void SessionCloseSlow(ILogger logger, string keyId, double seconds);

    [LoggerMessage(3053, LogLevel.Warning, "The lease loop did not stop within {Seconds:0.#} s; stopping without it")]
    public static partial void LoopSlowToStop(ILogger logger, double seconds);

    [LoggerMessage(3040, LogLevel.Error, "A gateway event handler failed on {Kind}")]
    public static partial void EventHandlerFailed(ILogger logger, string kind, Exception exception);

    [LoggerMessage(3041, LogLevel.Warning, "Gateway event handlers still busy after {Seconds:0.#} s; the last events are not raised")]
    public static partial void EventsAbandoned(ILogger logger, double seconds);
}
