namespace KisFeed;

/// <summary>The approval-key request (<c>POST /oauth2/Approval</c>) failed.</summary>
public sealed class KisApprovalException : KisException
{
    /// <summary>Creates the exception.</summary>
    public KisApprovalException(string message, int? httpStatus, string? errorCode, Exception? inner = null)
        : base(message, inner)
    {
        HttpStatus = httpStatus;
        ErrorCode = errorCode;
    }

    /// <summary>HTTP status, when the server answered.</summary>
    public int? HttpStatus { get; }

    /// <summary>KIS gateway error code (e.g. <c>EGW00103</c>), when given.</summary>
    public string? ErrorCode { get; }

    /// <summary>True when retrying with the same credentials cannot help (HTTP 400–499 other than 429).</summary>
    public bool IsCredentialError => HttpStatus is >= 400 and < 500 and not 429 && ErrorCode != "EGW00201";

    /// <summary>True when KIS refused because requests came too fast (<c>EGW00201</c>), not because of the credentials.</summary>
    public bool IsRateLimited => HttpStatus == 429 || ErrorCode == "EGW00201";
}
