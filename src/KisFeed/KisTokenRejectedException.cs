namespace KisFeed;

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
