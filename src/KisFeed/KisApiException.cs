namespace KisFeed;

/// <summary>
/// KIS answered with an error: a REST call (access token, approval key, program-trading history) with its HTTP status
/// and <c>error_code</c>/<c>msg_cd</c>, or a WebSocket subscribe or unsubscribe with its <c>msg_cd</c> and
/// <c>rt_cd</c>. App keys, secrets and tokens never appear in full. Callers tell the cases apart by
/// <see cref="ErrorCode"/> and the properties derived from it, not by type.
/// </summary>
public sealed class KisApiException : KisException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What KIS said and what to do.</param>
    /// <param name="operation">What was being done, e.g. <c>tokenP</c>, <c>approval</c>, <c>subscribe H0NXPGM0/005930</c>.</param>
    /// <param name="errorCode">KIS's code (<c>error_code</c> or <c>msg_cd</c>), when given.</param>
    /// <param name="errorMessage">KIS's message (<c>error_description</c> or <c>msg1</c>), secrets redacted, when given.</param>
    /// <param name="httpStatus">The HTTP status of a REST answer.</param>
    /// <param name="rtCd">The <c>rt_cd</c> of a WebSocket control reply.</param>
    /// <param name="registration">The registration a WebSocket control reply refused.</param>
    /// <param name="inner">The cause, if any.</param>
    public KisApiException(string message, string operation, string? errorCode, string? errorMessage, int? httpStatus = null, string? rtCd = null, Registration? registration = null, Exception? inner = null)
        : base(message, inner)
    {
        Operation = operation;
        ErrorCode = errorCode;
        ErrorMessage = errorMessage;
        HttpStatus = httpStatus;
        RtCd = rtCd;
        Registration = registration;
    }

    /// <summary>What was being done, e.g. <c>tokenP</c>, <c>approval</c>, <c>program-trade-by-stock 005930 nxt</c>, <c>subscribe H0NXPGM0/005930</c>.</summary>
    public string Operation { get; }

    /// <summary>KIS's code: <c>error_code</c> of REST (e.g. <c>EGW00201</c>) or <c>msg_cd</c> (e.g. <c>OPSP8996</c>); null when the answer had none.</summary>
    public string? ErrorCode { get; }

    /// <summary>KIS's message (<c>error_description</c> or <c>msg1</c>), secrets redacted, when given.</summary>
    public string? ErrorMessage { get; }

    /// <summary>The HTTP status of a REST answer; null for a WebSocket control reply.</summary>
    public int? HttpStatus { get; }

    /// <summary>The <c>rt_cd</c> of a WebSocket control reply: <c>"1"</c> for a registration error, <c>"9"</c> for a session error.</summary>
    public string? RtCd { get; }

    /// <summary>The registration a WebSocket control reply refused; null for REST.</summary>
    public Registration? Registration { get; }

    /// <summary>
    /// True when retrying with the same credentials cannot help: <c>EGW00101</c>–<c>EGW00105</c> (unknown app key,
    /// wrong secret), an approval request refused with HTTP 4xx other than a rate limit, or <c>OPSP0011</c> (an approval
    /// key KIS does not know, with no app key and secret to get another).
    /// </summary>
    public bool IsCredentialError => ErrorCode is "EGW00101" or "EGW00102" or "EGW00103" or "EGW00104" or "EGW00105" or ControlCodes.InvalidApproval
        || (Operation == "approval" && HttpStatus is >= 400 and < 500 && !IsRateLimited);

    /// <summary>True when KIS refused because requests came too fast: <c>EGW00201</c> (calls a second), <c>EGW00133</c> (one access token a minute), HTTP 429.</summary>
    public bool IsRateLimited => ErrorCode is "EGW00201" or "EGW00133" || HttpStatus == 429;

    /// <summary>How long to wait before the same call can succeed, when KIS says: a minute after <c>EGW00133</c>, a second after <c>EGW00201</c>.</summary>
    public TimeSpan? RetryAfter => ErrorCode switch
    {
        "EGW00133" => TimeSpan.FromMinutes(1),
        "EGW00201" => TimeSpan.FromSeconds(1),
        _ => null,
    };

    /// <inheritdoc/>
    /// <remarks>
    /// Rate limits, an app key another session holds (<c>OPSP8996</c>), and server errors without a KIS code (HTTP 5xx from a
    /// gateway). KIS sends many of its own codes with HTTP 500, so a code decides, not the status.
    /// </remarks>
    public override bool IsTransient => IsRateLimited || ErrorCode == ControlCodes.AppKeyInUse || (ErrorCode is null && HttpStatus >= 500);
}
