namespace KisFeed;

/// <summary>
/// <c>EGW00201</c>: more REST calls per second than KIS allows for the app key, still refused after the retries with
/// backoff. Every caller of one app key in the process shares one limiter, so this means another process or machine
/// uses the same app key, or the limit is set above KIS's.
/// </summary>
public sealed class KisRateLimitException : KisRestException
{
    /// <summary>Creates the exception.</summary>
    public KisRateLimitException(string message, string operation, int? httpStatus, string? errorCode, string? errorMessage)
        : base(message, operation, httpStatus, errorCode, errorMessage)
    {
    }
}
