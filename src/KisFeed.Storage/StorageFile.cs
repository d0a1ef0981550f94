using System.Globalization;
using System.Text;

using DuckDB.NET.Data;

namespace KisFeed.Storage;

/// <summary>Opening recording files and turning DuckDB errors into <see cref="KisStorageException"/>.</summary>
internal static class StorageFile
{
    /// <summary>Opens (creating if needed) a recording for writing and makes sure the schema is there.</summary>
    public static DuckDBConnection OpenForWrite(string path)
    {
        string full = FullPath(path);
        if (Directory.Exists(full))
        {
            throw new KisStorageException(full, KisStorageError.Unwritable,
                $"Cannot record to '{full}': it is a directory. Give a file path, e.g. '{System.IO.Path.Combine(full, "trades.duckdb")}'.");
        }

        string? directory = System.IO.Path.GetDirectoryName(full);
        if (directory is not null && !Directory.Exists(directory))
        {
            throw new KisStorageException(full, KisStorageError.Unwritable,
                $"Cannot record to '{full}': the directory '{directory}' does not exist. Create it or choose another path.");
        }

        DuckDBConnection connection = Open(full, "record to");
        try
        {
            EnsureSchema(connection, full);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Opens an existing recording for reading; never creates a file.</summary>
    public static DuckDBConnection OpenForRead(string path)
    {
        string full = FullPath(path);
        if (!File.Exists(full))
        {
            throw new KisStorageException(full, KisStorageError.NotFound,
                Directory.Exists(full)
                    ? $"Cannot read '{full}': it is a directory, not a recording file."
                    : $"Cannot read '{full}': the file does not exist. Check the path (recordings are written by 'kisfeed record').");
        }

        DuckDBConnection connection = Open(full, "read");
        try
        {
            CheckSchema(connection, full);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public static string FullPath(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return System.IO.Path.GetFullPath(path);
    }

    private static DuckDBConnection Open(string full, string verb)
    {
        DuckDBConnectionStringBuilder builder = new() { DataSource = full };
        DuckDBConnection connection = new(builder.ConnectionString);
        try
        {
            connection.Open();
            Execute(connection, "SET TimeZone = 'UTC'");
            return connection;
        }
        catch (Exception ex) when (ex is DuckDBException or IOException or UnauthorizedAccessException)
        {
            connection.Dispose();
            throw Translate(ex, full, verb);
        }
    }

    private static void EnsureSchema(DuckDBConnection connection, string full)
    {
        try
        {
            HashSet<string> tables = Tables(connection);
            if (tables.Count == 0)
            {
                using DuckDBTransaction tx = connection.BeginTransaction();
                Execute(connection, StorageSchema.CreateSql);
                Execute(connection, string.Create(CultureInfo.InvariantCulture,
                    $"INSERT INTO meta VALUES ('schema_version', '{StorageSchema.Version}'), ('created_by', 'KisFeed.Storage')"));
                tx.Commit();
                return;
            }
        }
        catch (DuckDBException ex)
        {
            throw Translate(ex, full, "record to");
        }

        CheckSchema(connection, full);
    }

    private static void CheckSchema(DuckDBConnection connection, string full)
    {
        try
        {
            HashSet<string> tables = Tables(connection);
            if (!tables.Contains(StorageSchema.MetaTable) || !tables.Contains(StorageSchema.ProgramTradesTable))
            {
                throw new KisStorageException(full, KisStorageError.NotARecording,
                    $"'{full}' is a DuckDB database but not a KisFeed recording (no 'program_trades'/'meta' tables). Choose another file.");
            }

            using DuckDBCommand command = connection.CreateCommand();
            command.CommandText = "SELECT value FROM meta WHERE key = 'schema_version'";
            object? value = command.ExecuteScalar();
            if (value is not string text || !int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int version))
            {
                throw new KisStorageException(full, KisStorageError.NotARecording,
                    $"'{full}' has no KisFeed schema version in its 'meta' table. Choose another file.");
            }

            if (version > StorageSchema.Version)
            {
                throw new KisStorageException(full, KisStorageError.UnsupportedSchema,
                    $"'{full}' was written with recording schema version {version}, newer than this KisFeed understands ({StorageSchema.Version}). Update KisFeed.");
            }
        }
        catch (DuckDBException ex)
        {
            throw Translate(ex, full, "read");
        }
    }

    private static HashSet<string> Tables(DuckDBConnection connection)
    {
        using DuckDBCommand command = connection.CreateCommand();
        command.CommandText = "SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database() AND table_schema = 'main'";
        using DuckDBDataReader reader = command.ExecuteReader();
        HashSet<string> tables = new(StringComparer.Ordinal);
        while (reader.Read())
        {
            tables.Add(reader.GetString(0));
        }

        return tables;
    }

    public static void Execute(DuckDBConnection connection, string sql)
    {
        using DuckDBCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Maps a DuckDB or I/O error to a <see cref="KisStorageException"/> that names the path and the fix.</summary>
    public static KisStorageException Translate(Exception ex, string path, string verb)
    {
        if (ex is KisStorageException kse)
        {
            return kse;
        }

        string m = ex.Message;
        (KisStorageError error, string advice) = m switch
        {
            _ when Has(m, "not a valid DuckDB database") || Has(m, "is not a DuckDB") || Has(m, "database file with version")
                => (KisStorageError.NotADatabase, "the file is not a DuckDB database (or one from an incompatible DuckDB version). Choose another file name; the existing file was left untouched."),
            _ when Has(m, "No space left") || Has(m, "disk is full") || Has(m, "Disk full") || Has(m, "ENOSPC")
                => (KisStorageError.DiskFull, "the disk is full. Free space or record to another disk; records flushed before this error are still in the file."),
            _ when Has(m, "lock") && (Has(m, "Conflicting") || Has(m, "Could not set lock"))
                => (KisStorageError.InUse, "the file is in use by another process (another recorder?). Stop that process or use another file."),
            _ when Has(m, "Permission denied") || Has(m, "Read-only file system") || Has(m, "Access to the path") || ex is UnauthorizedAccessException
                => (KisStorageError.Unwritable, "permission denied or read-only file system. Choose a writable location."),
            _ when Has(m, "No such file or directory")
                => (KisStorageError.Unwritable, "the directory does not exist. Create it or choose another path."),
            _ when Has(m, "Is a directory")
                => (KisStorageError.Unwritable, "the path is a directory. Give a file path."),
            _ => (KisStorageError.Io, "check that the path is a writable, local file and that the disk is healthy."),
        };

        StringBuilder message = new();
        message.Append(CultureInfo.InvariantCulture, $"Cannot {verb} '{path}': {advice} (DuckDB: {FirstLine(m)})");
        return new KisStorageException(path, error, message.ToString(), ex);
    }

    private static bool Has(string text, string part) => text.Contains(part, StringComparison.OrdinalIgnoreCase);

    private static string FirstLine(string text)
    {
        int newline = text.IndexOf('\n', StringComparison.Ordinal);
        return (newline < 0 ? text : text[..newline]).Trim();
    }

    /// <summary>Quotes a string as a SQL literal.</summary>
    public static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>The size of the database file plus its write-ahead log, in bytes (0 if missing).</summary>
    public static long SizeOnDisk(string full)
    {
        long size = 0;
        foreach (string file in (ReadOnlySpan<string>)[full, full + ".wal"])
        {
            try
            {
                FileInfo info = new(file);
                if (info.Exists)
                {
                    size += info.Length;
                }
            }
            catch (IOException)
            {
            }
        }

        return size;
    }
}
