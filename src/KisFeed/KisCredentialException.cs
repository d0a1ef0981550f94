namespace KisFeed;

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
