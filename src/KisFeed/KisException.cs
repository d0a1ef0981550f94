namespace KisFeed;

/// <summary>Base class of every error KisFeed raises on purpose.</summary>
public class KisException : Exception
{
    /// <summary>Creates the exception.</summary>
    public KisException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
