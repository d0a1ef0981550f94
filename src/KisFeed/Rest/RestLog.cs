using Microsoft.Extensions.Logging;

namespace KisFeed.Rest;

/// <summary>Source-generated REST log events (ids 4000–4099). Tokens, keys and secrets only ever appear redacted.</summary>
internal static partial class RestLog
{
    [LoggerMessage(4000, LogLevel.Information, "Access token obtained for app key {AppKey}; valid until {ExpiresAt:O}")]
    public static partial void TokenIssued(ILogger logger, string appKey, DateTimeOffset expiresAt);

    [LoggerMessage(4001, LogLevel.Warning, "KIS refused the access token for {Operation} ({ErrorCode}); renewing it")]
    public static partial void TokenRefused(ILogger logger, string operation, string? errorCode);

    [LoggerMessage(4002, LogLevel.Warning, "REST call over KIS's rate limit (EGW00201); retry {Attempt} in {Delay}")]
    public static partial void RateLimited(ILogger logger, int attempt, TimeSpan delay);

    [LoggerMessage(4003, LogLevel.Information, "Gap {GapId}: {Registration} {Outcome}, {Rows} REST row(s): {Detail}")]
    public static partial void GapHealed(ILogger logger, long gapId, Registration registration, GapHealing outcome, int rows, string detail);

    [LoggerMessage(4004, LogLevel.Warning, "{Operation}: KIS offers more pages, but the page cap ({MaxPages}) is reached; the oldest rows are not fetched")]
    public static partial void PageCapReached(ILogger logger, string operation, int maxPages);
}
