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
