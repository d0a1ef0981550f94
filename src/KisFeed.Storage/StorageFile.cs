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

        // A damaged file must be refused before anything writes into it: DuckDB would otherwise open it, write new
        // blocks and fail later, changing a file someone may still want to recover.
        if (File.Exists(full) && new FileInfo(full).Length > 0)
        {
            CheckIntact(full, "record to");
        }

        DuckDBConnection connection = Open(full, "record to", readOnly: false);
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

        // Read-only: works on a read-only copy and never writes (no checkpoint, no write-ahead log) to a recording.
        DuckDBConnection connection = Open(full, "read", readOnly: true);
        try
        {
            CheckLength(connection, full, "read");
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

    private static DuckDBConnection Open(string full, string verb, bool readOnly)
    {
        DuckDBConnectionStringBuilder builder = new() { DataSource = full };
        if (readOnly)
        {
            builder["ACCESS_MODE"] = "READ_ONLY";
        }

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

    // DuckDB's file starts with three 4 KiB headers (one file header, two database headers), then its blocks.
    private const long DuckDbHeaderBytes = 3 * 4096;

    /// <summary>
    /// Opens an existing file read-only (which never writes) and checks it is as long as DuckDB's own header says.
    /// A file another process holds open for writing cannot be opened here; the write open then reports that.
    /// </summary>
    private static void CheckIntact(string full, string verb)
    {
        DuckDBConnection connection;
        try
        {
            connection = Open(full, verb, readOnly: true);
        }
        catch (KisStorageException ex) when (ex.Error == KisStorageError.InUse)
        {
            return;
        }

        using (connection)
        {
            CheckLength(connection, full, verb);
        }
    }

    /// <summary>Refuses a file shorter than its header's block count says: it was truncated (a copy cut short, a full disk).</summary>
    private static void CheckLength(DuckDBConnection connection, string full, string verb)
    {
        long blockSize, totalBlocks;
        try
        {
            using DuckDBCommand command = connection.CreateCommand();
            command.CommandText = "SELECT block_size, total_blocks FROM pragma_database_size()";
            using DuckDBDataReader reader = command.ExecuteReader();
            if (!reader.Read())
            {
                return;
            }

            blockSize = Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture);
            totalBlocks = Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture);
        }
        catch (DuckDBException ex)
        {
            throw Translate(ex, full, verb);
        }

        long expected = DuckDbHeaderBytes + (blockSize * totalBlocks);
        long actual = new FileInfo(full).Length;
        if (actual < expected)
        {
            throw new KisStorageException(full, KisStorageError.Damaged, string.Create(CultureInfo.InvariantCulture,
                $"Cannot {verb} '{full}': the file is truncated or damaged: it is {actual:N0} bytes, but its DuckDB header says {totalBlocks:N0} blocks of {blockSize:N0} bytes ({expected:N0} bytes). It was left untouched. Restore it from a copy, or record into a new file."));
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
                Execute(connection, StorageSchema.IndexTradesSql);
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

    /// <summary>True when the recording has the table <paramref name="table"/> (tables added by later schema versions).</summary>
    internal static bool HasTable(DuckDBConnection connection, string table) => Tables(connection).Contains(table);

    /// <summary>True when <paramref name="table"/> has <paramref name="column"/> (columns added by later schema versions).</summary>
    internal static bool HasColumn(DuckDBConnection connection, string table, string column)
    {
        using DuckDBCommand command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM information_schema.columns WHERE table_name = {Literal(table)} AND column_name = {Literal(column)}";
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) > 0;
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
            _ when Has(m, "Could not read enough bytes") || Has(m, "Corrupt database file") || Has(m, "checksum") || (Has(m, "block") && Has(m, "out of range"))
                => (KisStorageError.Damaged, "the file is truncated or damaged (DuckDB cannot read all of it). It was left untouched. Restore it from a copy, or record into a new file."),
            _ when Has(m, "No space left") || Has(m, "disk is full") || Has(m, "Disk full") || Has(m, "ENOSPC")
                => (KisStorageError.DiskFull, "the disk is full. Free space or record to another disk; records flushed before this error are still in the file."),
            _ when Has(m, "lock") && (Has(m, "Conflicting") || Has(m, "Could not set lock"))
                => (KisStorageError.InUse, InUseAdvice(m, verb)),
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

    /// <summary>Names the process that holds the file (DuckDB's lock error says "held in PROGRAM (PID n)") and what to do.</summary>
    private static string InUseAdvice(string message, string verb)
    {
        System.Text.RegularExpressions.Match m = System.Text.RegularExpressions.Regex.Match(message, @"held in (?<program>.*?) \(PID (?<pid>\d+)\)");
        string holder = "another process";
        if (m.Success)
        {
            string command = CommandLineOf(m.Groups["pid"].Value) ?? m.Groups["program"].Value;
            holder = $"process {m.Groups["pid"].Value} ({command})";
        }

        string what = verb == "record to" ? "another recorder or reader" : "a recorder (kisfeed record)";
        return $"{holder} has the file open; it is probably {what}. DuckDB lets only one process open a file while it is written. " +
            (verb == "record to"
                ? "Stop that process or record into another file."
                : "Stop the recorder (Ctrl-C flushes and closes the file) and run this again, or read an earlier copy of the file.");
    }

    private static string? CommandLineOf(string pid)
    {
        try
        {
            string path = $"/proc/{pid}/cmdline";
            if (!File.Exists(path))
            {
                return null;
            }

            string text = File.ReadAllText(path).Replace('\0', ' ').Trim();
            return text.Length == 0 ? null : text.Length > 120 ? text[..120] + "…" : text;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>One value of the <c>meta</c> table, or null.</summary>
    public static string? ReadMeta(DuckDBConnection connection, string key)
    {
        using DuckDBCommand command = connection.CreateCommand();
        command.CommandText = "SELECT value FROM meta WHERE key = " + Literal(key);
        return command.ExecuteScalar() as string;
    }

    /// <summary>
    /// Stores where the records come from, the first time a source is given for the file; refuses to mix simulated and
    /// live data in one file.
    /// </summary>
    public static void ApplySource(DuckDBConnection connection, string full, RecordingSource source, long nextSeq)
    {
        string? existing = ReadMeta(connection, RecordingSource.MetaKey);
        if (existing is null)
        {
            Execute(connection, string.Create(CultureInfo.InvariantCulture,
                $"INSERT INTO meta VALUES ('{RecordingSource.MetaKey}', {Literal(source.ToString())}), ('{RecordingSource.SinceSeqMetaKey}', '{nextSeq}')"));
            return;
        }

        // Unknown does not mix with a known source either: the file says one source for every row from source_since_seq.
        if (RecordingSource.TryParse(existing, out RecordingSource? recorded) && recorded.IsSimulated != source.IsSimulated)
        {
            throw new KisStorageException(full, KisStorageError.SourceMismatch,
                $"Cannot record {source.Kind} data to '{full}': it holds {recorded.Kind} data (from {recorded.Endpoint}). " +
                (recorded.IsSimulated is null || source.IsSimulated is null
                    ? "A file says one source for all its rows, and a source that does not say whether it is simulated cannot share it with one that does. Record into another file."
                    : "Mixing them would make simulated data pass for the market. Record into another file."));
        }
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
