using System.Globalization;

using DuckDB.NET.Data;

namespace KisFeed.Storage;

/// <summary>What a recording holds: its trading dates, counts and gaps (for the CLI and dashboards).</summary>
public static class ProgramTradeCatalog
{
    /// <summary>The trading dates in the recording, oldest first, with record and code counts.</summary>
    public static Task<IReadOnlyList<RecordedDate>> ListDatesAsync(string path, CancellationToken cancellationToken = default)
        => Read<IReadOnlyList<RecordedDate>>(path, cancellationToken, connection =>
        {
            using DuckDBCommand command = connection.CreateCommand();
            command.CommandText =
                "SELECT trading_date, count(*), count(DISTINCT code), epoch_us(min(received_at)), epoch_us(max(received_at)) " +
                "FROM program_trades GROUP BY trading_date ORDER BY trading_date";
            using DuckDBDataReader reader = command.ExecuteReader();
            List<RecordedDate> dates = [];
            while (reader.Read())
            {
                dates.Add(new RecordedDate(
                    reader.GetFieldValue<DateOnly>(0),
                    reader.GetInt64(1),
                    reader.GetInt64(2),
                    FromUnixMicroseconds(reader.GetInt64(3)),
                    FromUnixMicroseconds(reader.GetInt64(4))));
            }

            return dates;
        });

    /// <summary>Where the records came from (simulated or live), from the file's metadata; null when the file does not say
    /// (recorded before KisFeed stored the source, or without <see cref="RecorderOptions.Source"/>).</summary>
    public static Task<RecordingSource?> GetSourceAsync(string path, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        string full = StorageFile.FullPath(path);
        using DuckDBConnection connection = StorageFile.OpenForRead(full);
        return Task.FromResult(ReadSource(connection, full).Source);
    }

    /// <summary>How many rejected stream messages the recording keeps a copy of (table <c>rejected</c>; 0 for files without it).</summary>
    public static Task<long> CountRejectedAsync(string path, CancellationToken cancellationToken = default)
        => Read(path, cancellationToken, connection =>
        {
            if (!StorageFile.HasTable(connection, StorageSchema.RejectedTable))
            {
                return 0L;
            }

            using DuckDBCommand command = connection.CreateCommand();
            command.CommandText = $"SELECT count(*) FROM {StorageSchema.RejectedTable}";
            return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        });

    /// <summary>The file's <c>meta</c> table (schema version, creator, source, …).</summary>
    public static Task<IReadOnlyDictionary<string, string>> GetMetadataAsync(string path, CancellationToken cancellationToken = default)
        => Read<IReadOnlyDictionary<string, string>>(path, cancellationToken, connection =>
        {
            using DuckDBCommand command = connection.CreateCommand();
            command.CommandText = "SELECT key, value FROM meta ORDER BY key";
            using DuckDBDataReader reader = command.ExecuteReader();
            Dictionary<string, string> meta = new(StringComparer.Ordinal);
            while (reader.Read())
            {
                meta[reader.GetString(0)] = reader.GetString(1);
            }

            return meta;
        });

    /// <summary>The codes recorded, with their venues and record counts, optionally for one trading date; by code.</summary>
    public static Task<IReadOnlyList<RecordedCode>> ListCodesAsync(string path, DateOnly? date = null, CancellationToken cancellationToken = default)
        => Read<IReadOnlyList<RecordedCode>>(path, cancellationToken, connection =>
        {
            using DuckDBCommand command = connection.CreateCommand();
            command.CommandText =
                "SELECT code, list(DISTINCT CAST(venue AS VARCHAR) ORDER BY CAST(venue AS VARCHAR)), count(*) FROM program_trades" +
                QueryFilter.Where(date, null, null) + " GROUP BY code ORDER BY code";
            using DuckDBDataReader reader = command.ExecuteReader();
            List<RecordedCode> codes = [];
            while (reader.Read())
            {
                List<Venue> venues = [];
                foreach (string v in reader.GetFieldValue<List<string>>(1))
                {
                    if (VenueExtensions.TryParse(v, out Venue venue))
                    {
                        venues.Add(venue);
                    }
                }

                codes.Add(new RecordedCode(reader.GetString(0), venues, reader.GetInt64(2)));
            }

            return codes;
        });

    internal static (RecordingSource? Source, long SinceSeq) ReadSource(DuckDBConnection connection, string full)
    {
        try
        {
            RecordingSource.TryParse(StorageFile.ReadMeta(connection, RecordingSource.MetaKey), out RecordingSource? source);
            long since = long.TryParse(StorageFile.ReadMeta(connection, RecordingSource.SinceSeqMetaKey), NumberStyles.None, CultureInfo.InvariantCulture, out long s) ? s : 1;
            return (source, since);
        }
        catch (DuckDBException ex)
        {
            throw StorageFile.Translate(ex, full, "read");
        }
    }

    /// <summary>The latest trading date in the recording, or null if it holds no records.</summary>
    public static Task<DateOnly?> LatestDateAsync(string path, CancellationToken cancellationToken = default)
        => Read<DateOnly?>(path, cancellationToken, connection =>
        {
            using DuckDBCommand command = connection.CreateCommand();
            command.CommandText = "SELECT max(trading_date) FROM program_trades";
            object? value = command.ExecuteScalar();
            return value is DateOnly date ? date : value is DateTime dt ? DateOnly.FromDateTime(dt) : null;
        });

    /// <summary>The gaps recorded with <see cref="ProgramTradeRecorder.RecordGap(RecordingGap)"/>, oldest first.</summary>
    public static Task<IReadOnlyList<RecordingGap>> ListGapsAsync(string path, CancellationToken cancellationToken = default)
        => Read<IReadOnlyList<RecordingGap>>(path, cancellationToken, connection =>
        {
            using DuckDBCommand command = connection.CreateCommand();
            command.CommandText = "SELECT epoch_us(from_time), epoch_us(to_time), venue, codes, reason FROM gaps ORDER BY from_time, recorded_at";
            using DuckDBDataReader reader = command.ExecuteReader();
            List<RecordingGap> gaps = [];
            while (reader.Read())
            {
                Venue? venue = reader.IsDBNull(2) ? null : VenueExtensions.TryParse(reader.GetString(2), out Venue v) ? v : null;
                gaps.Add(new RecordingGap(
                    FromUnixMicroseconds(reader.GetInt64(0)),
                    FromUnixMicroseconds(reader.GetInt64(1)),
                    venue,
                    reader.GetFieldValue<List<string>>(3),
                    reader.GetString(4)));
            }

            return gaps;
        });

    /// <summary>Opens the recording read-only, runs <paramref name="read"/> on it, and names the file in any DuckDB error.</summary>
    private static Task<T> Read<T>(string path, CancellationToken cancellationToken, Func<DuckDBConnection, T> read)
    {
        cancellationToken.ThrowIfCancellationRequested();
        string full = StorageFile.FullPath(path);
        using DuckDBConnection connection = StorageFile.OpenForRead(full);
        try
        {
            return Task.FromResult(read(connection));
        }
        catch (DuckDBException ex)
        {
            throw StorageFile.Translate(ex, full, "read");
        }
    }

    internal static DateTimeOffset FromUnixMicroseconds(long microseconds) =>
        DateTimeOffset.UnixEpoch.AddTicks(microseconds * TimeSpan.TicksPerMicrosecond);
}
