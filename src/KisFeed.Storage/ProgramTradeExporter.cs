using System.Globalization;

using DuckDB.NET.Data;

namespace KisFeed.Storage;

/// <summary>Exports a recording with DuckDB's <c>COPY ... TO</c>; columns are those of <c>program_trades</c>
/// (<see cref="StorageSchema.ProgramTradeColumns"/>), rows in <c>seq</c> order.</summary>
public static class ProgramTradeExporter
{
    /// <summary>
    /// Writes the records of <paramref name="dbPath"/> matching <paramref name="query"/> to <paramref name="outputPath"/>
    /// (overwritten if it exists).
    /// </summary>
    /// <returns>The number of rows written.</returns>
    /// <exception cref="KisStorageException">The recording cannot be read or the output cannot be written.</exception>
    public static Task<long> ExportAsync(
        string dbPath, ExportFormat format, string outputPath, ExportQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= ExportQuery.Default;
        string options = CopyOptions(format);
        (string output, bool created) = PrepareOutput(outputPath);
        string where = query.WhereClause();
        cancellationToken.ThrowIfCancellationRequested();
        using DuckDBConnection connection = StorageFile.OpenForRead(dbPath);
        (RecordingSource? source, long since) = ProgramTradeCatalog.ReadSource(connection, StorageFile.FullPath(dbPath));
        bool hasSource = StorageFile.HasColumn(connection, StorageSchema.ProgramTradesTable, "source"); // v1/v2 files: every row is websocket
        string columns = StorageSchema.ExportColumnList(textTimestamps: format != ExportFormat.Parquet, source, since, hasSource);
        using DuckDBCommand command = connection.CreateCommand();
        command.CommandText = string.Create(CultureInfo.InvariantCulture,
            $"COPY (SELECT {columns} FROM program_trades{where} ORDER BY seq) TO {StorageFile.Literal(output)} ({options})");
        return Task.FromResult(Copy(command, output, created, cancellationToken));
    }

    /// <summary>
    /// Writes the index updates of <paramref name="dbPath"/> (<see cref="StorageSchema.IndexTradesTable"/>, columns
    /// <see cref="StorageSchema.IndexTradeColumns"/>, in the order recorded) to <paramref name="outputPath"/> (overwritten
    /// if it exists); optionally one trading date only. A file older than schema version 7 exports no rows (and writes no file).
    /// </summary>
    /// <returns>The number of rows written.</returns>
    /// <exception cref="KisStorageException">The recording cannot be read or the output cannot be written.</exception>
    public static Task<long> ExportIndexAsync(string dbPath, ExportFormat format, string outputPath, DateOnly? date = null, CancellationToken cancellationToken = default)
    {
        string options = CopyOptions(format);
        (string output, bool created) = PrepareOutput(outputPath);
        cancellationToken.ThrowIfCancellationRequested();
        using DuckDBConnection connection = StorageFile.OpenForRead(dbPath);
        if (!StorageFile.HasTable(connection, StorageSchema.IndexTradesTable))
        {
            return Task.FromResult(0L); // recorded before version 7: nothing to export, no file written
        }

        string columns = string.Join(", ", StorageSchema.IndexTradeColumns.Select(c =>
            c == "source" ? "CASE source WHEN 1 THEN 'rest' ELSE 'websocket' END AS source"
            : c == "received_at" && format != ExportFormat.Parquet ? "strftime(received_at, '%Y-%m-%dT%H:%M:%S.%fZ') AS received_at"
            : c));
        string where = date is { } d ? string.Create(CultureInfo.InvariantCulture, $" WHERE trading_date = DATE '{d:yyyy-MM-dd}'") : string.Empty;
        using DuckDBCommand command = connection.CreateCommand();
        command.CommandText = $"COPY (SELECT {columns} FROM index_program_trades{where} ORDER BY seq) TO {StorageFile.Literal(output)} ({options})";
        return Task.FromResult(Copy(command, output, created, cancellationToken));
    }

    private static string CopyOptions(ExportFormat format) => format switch
    {
        ExportFormat.Csv => "FORMAT csv, HEADER true",
        ExportFormat.Parquet => "FORMAT parquet, COMPRESSION zstd",
        ExportFormat.Jsonl => "FORMAT json",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown export format."),
    };

    /// <summary>The output's full path, checked writable (a directory or a missing folder is named), and whether it is new.</summary>
    private static (string Output, bool Created) PrepareOutput(string outputPath)
    {
        string output = StorageFile.FullPath(outputPath);
        string? outputDirectory = Path.GetDirectoryName(output);
        if (Directory.Exists(output))
        {
            throw new KisStorageException(output, KisStorageError.Unwritable,
                $"Cannot export to '{output}': it is a directory. Give a file path.");
        }

        if (outputDirectory is not null && !Directory.Exists(outputDirectory))
        {
            throw new KisStorageException(output, KisStorageError.Unwritable,
                $"Cannot export to '{output}': the directory '{outputDirectory}' does not exist. Create it or choose another path.");
        }

        bool created = !File.Exists(output);
        ProbeWritable(output, outputDirectory);
        return (output, created);
    }

    /// <summary>Runs a <c>COPY … TO</c>, cancellable; a failed copy removes the output it created.</summary>
    private static long Copy(DuckDBCommand command, string output, bool created, CancellationToken cancellationToken)
    {
        try
        {
            using CancellationTokenRegistration registration = cancellationToken.Register(static state => ((DuckDBCommand)state!).Cancel(), command);
            // DuckDB reports the rows written by COPY as the statement's changed-row count.
            long rows = command.ExecuteNonQuery();
            cancellationToken.ThrowIfCancellationRequested();
            return rows;
        }
        catch (DuckDBException ex)
        {
            if (created)
            {
                TryDelete(output);
            }

            cancellationToken.ThrowIfCancellationRequested();
            throw StorageFile.Translate(ex, output, "export to");
        }
    }

    /// <summary>Creates (or opens) the output file first, so a place that takes no files (e.g. /proc) is named as such
    /// instead of DuckDB's "No such file or directory".</summary>
    private static void ProbeWritable(string output, string? directory)
    {
        bool existed = File.Exists(output);
        try
        {
            using (new FileStream(output, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite))
            {
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            string why = ex switch
            {
                UnauthorizedAccessException => "permission denied",
                FileNotFoundException or DirectoryNotFoundException => $"'{directory}' does not take new files (a virtual or read-only file system?)",
                _ => ex.Message,
            };
            throw new KisStorageException(output, KisStorageError.Unwritable,
                $"Cannot export to '{output}': cannot create the file there: {why}. Choose a writable location.", ex);
        }

        if (!existed)
        {
            TryDelete(output);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
