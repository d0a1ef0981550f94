namespace KisFeed;

/// <summary>
/// <c>EGW00133</c>: an access token was requested again within a minute (KIS issues at most one a minute per app key).
/// KisFeed caches the token in-process and on disk, so this means another program asked for one.
/// </summary>
public sealed class KisTokenRateLimitException : KisRestException
{
    /// <summary>Creates the exception.</summary>
    public KisTokenRateLimitException(string message, string operation, int? httpStatus, string? errorCode, string? errorMessage)
        : base(message, operation, httpStatus, errorCode, errorMessage)
    {
    }

    /// <summary>How long to wait before asking again (KIS: one issuance a minute).</summary>
    public TimeSpan RetryAfter { get; } = TimeSpan.FromMinutes(1);
}
