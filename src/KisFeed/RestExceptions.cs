namespace KisFeed;

/// <summary>
/// A KIS REST call (access token or program-trading history) failed. Carries the HTTP status and KIS's own
/// <c>error_code</c>/<c>msg_cd</c> and message; app keys, secrets and tokens never appear in full.
/// </summary>
public class KisRestException : KisException
{
    /// <summary>Creates the exception.</summary>
    public KisRestException(string message, string operation, int? httpStatus, string? errorCode, string? errorMessage, Exception? inner = null)
        : base(message, inner)
    {
        Operation = operation;
        HttpStatus = httpStatus;
        ErrorCode = errorCode;
        ErrorMessage = errorMessage;
    }

    /// <summary>What was being done, e.g. <c>tokenP</c> or <c>program-trade-by-stock 005930 nxt</c>.</summary>
    public string Operation { get; }

    /// <summary>HTTP status, when the server answered.</summary>
    public int? HttpStatus { get; }

    /// <summary>KIS error code (<c>error_code</c> or <c>msg_cd</c>, e.g. <c>EGW00201</c>), when given.</summary>
    public string? ErrorCode { get; }

    /// <summary>KIS's message (<c>error_description</c> or <c>msg1</c>), secrets redacted, when given.</summary>
    public string? ErrorMessage { get; }
}

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

/// <summary>
/// <c>EGW00123</c> (expired) or <c>EGW00121</c> (invalid): KIS refused the access token, and a freshly issued one was
/// refused too.
/// </summary>
public sealed class KisTokenRejectedException : KisRestException
{
    /// <summary>Creates the exception.</summary>
    public KisTokenRejectedException(string message, string operation, int? httpStatus, string? errorCode, string? errorMessage)
        : base(message, operation, httpStatus, errorCode, errorMessage)
    {
    }
}

/// <summary>
/// <c>EGW00101</c>–<c>EGW00105</c>: the request or the credentials are wrong (missing or unknown app key, wrong app
/// secret). Retrying cannot help.
/// </summary>
public sealed class KisCredentialException : KisRestException
{
    /// <summary>Creates the exception.</summary>
    public KisCredentialException(string message, string operation, int? httpStatus, string? errorCode, string? errorMessage)
        : base(message, operation, httpStatus, errorCode, errorMessage)
    {
    }
}
