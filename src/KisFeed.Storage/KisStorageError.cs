namespace KisFeed.Storage;

/// <summary>What went wrong with a recording file.</summary>
public enum KisStorageError
{
    /// <summary>An I/O or database error without a more specific cause.</summary>
    Io = 0,

    /// <summary>The path cannot be created or written (missing directory, a directory, no permission, read-only file system).</summary>
    Unwritable,

    /// <summary>The file does not exist (replay, export and catalog never create files).</summary>
    NotFound,

    /// <summary>The file exists but is not a DuckDB database.</summary>
    NotADatabase,

    /// <summary>The file is a DuckDB database but not a KisFeed recording.</summary>
    NotARecording,

    /// <summary>The recording was written by a newer KisFeed (schema version too high).</summary>
    UnsupportedSchema,

    /// <summary>Another process holds the file open for writing.</summary>
    InUse,

    /// <summary>The disk is full.</summary>
    DiskFull,

    /// <summary>The file holds simulated data and live data was to be added, or the other way round.</summary>
    SourceMismatch,

    /// <summary>The file is a DuckDB database that is truncated or damaged (shorter than its own header says, or unreadable blocks).</summary>
    Damaged,
}
