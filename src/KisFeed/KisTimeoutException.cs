namespace KisFeed;

/// <summary>KIS did not answer in time.</summary>
public sealed class KisTimeoutException : KisException
{
    /// <summary>Creates the exception.</summary>
    public KisTimeoutException(string message)
        : base(message)
    {
    }
}
