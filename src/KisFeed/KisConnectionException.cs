namespace KisFeed;

/// <summary>The connection could not be made or was lost before a request completed.</summary>
public sealed class KisConnectionException : KisException
{
    /// <summary>Creates the exception.</summary>
    public KisConnectionException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
