namespace KisFeed.Storage;

/// <summary>
/// A recording file could not be opened, written or read. The message names the path and says what to do; the DuckDB
/// error, if any, is the <see cref="Exception.InnerException"/>. Records flushed before the error stay in the file.
/// </summary>
public sealed class KisStorageException : KisException
{
    /// <summary>Creates the exception.</summary>
    public KisStorageException(string path, KisStorageError error, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Path = path;
        Error = error;
    }

    /// <summary>Creates an exception without a path (prefer the other constructor).</summary>
    public KisStorageException()
        : this(string.Empty, KisStorageError.Io, "Storage error.")
    {
    }

    /// <summary>Creates an exception without a path (prefer the other constructor).</summary>
    public KisStorageException(string message)
        : this(string.Empty, KisStorageError.Io, message)
    {
    }

    /// <summary>Creates an exception without a path (prefer the other constructor).</summary>
    public KisStorageException(string message, Exception innerException)
        : this(string.Empty, KisStorageError.Io, message, innerException)
    {
    }

    /// <summary>The file (or output) path the error is about.</summary>
    public string Path { get; }

    /// <summary>The kind of error.</summary>
    public KisStorageError Error { get; }
}
