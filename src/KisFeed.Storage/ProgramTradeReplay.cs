using System.Runtime.CompilerServices;

using DuckDB.NET.Data;

namespace KisFeed.Storage;

/// <summary>Reads a recording back as <see cref="ProgramTrade"/> updates in <c>seq</c> (insertion) order.</summary>
public static partial class ProgramTradeReplay
{
    private const long UnixEpochTicks = 621_355_968_000_000_000;
    private const int UnixEpochDayNumber = 719_162;

    /// <summary>
    /// Streams the records of <paramref name="path"/> that match <paramref name="query"/>, in <c>seq</c> order, optionally
    /// paced by their <c>received_at</c> differences. Records equal what was recorded, except that
    /// <see cref="ProgramTrade.ReceivedAt"/> is truncated to microseconds and comes back with offset +00:00.
    /// </summary>
    /// <exception cref="KisStorageException">The file is missing, not a recording or in use by another process
    /// (thrown when enumeration starts, except a missing file, which is reported at once).</exception>
    public static IAsyncEnumerable<ProgramTrade> ReadAsync(string path, ReplayQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= ReplayQuery.Default;
        if (query.Speed is { } speed && (!double.IsFinite(speed) || speed <= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(query), speed, "Speed must be a positive number (or null for as fast as possible).");
        }

        ArgumentNullException.ThrowIfNull(query.TimeProvider, nameof(query));
        string full = StorageFile.FullPath(path);
        if (!File.Exists(full))
        {
            // Report a wrong path eagerly; everything else happens when enumeration starts.
            StorageFile.OpenForRead(full).Dispose();
        }

        string where = query.WhereClause();
        return ReadCoreAsync(full, where, query.Speed, query.TimeProvider, cancellationToken);
    }

    private static async IAsyncEnumerable<ProgramTrade> ReadCoreAsync(
        string full, string where, double? speed, TimeProvider time, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using DuckDBConnection connection = StorageFile.OpenForRead(full);

        // One snapshot for the code table and the rows, so every row's code hash is in the table.
        using DuckDBTransaction snapshot = connection.BeginTransaction();
        CodeTable codes = LoadCodes(connection, full, where);

        using DuckDBCommand command = connection.CreateCommand();
        command.CommandText =
            "SELECT CASE venue WHEN 'krx' THEN 0 WHEN 'nxt' THEN 1 WHEN 'unified' THEN 2 ELSE -1 END, " + CodeTable.HashSql + ", " +
            "trading_date - DATE '1970-01-01', epoch_us(kis_time), " +
            "sell_volume, sell_value, buy_volume, buy_value, net_buy_volume, net_buy_value, " +
            "ask_residual, bid_residual, net_bid_residual, epoch_us(received_at), missing_fields, " +
            (StorageFile.HasColumn(connection, StorageSchema.ProgramTradesTable, "source") ? "CAST(coalesce(source, 0) AS INTEGER)" : "0") +
            (codes.HasCollisions ? ", code" : "") +
            " FROM program_trades" + where + " ORDER BY seq";

        DuckDBDataReader reader;
        try
        {
            reader = (DuckDBDataReader)await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DuckDBException ex)
        {
            throw StorageFile.Translate(ex, full, "read");
        }

        using (reader)
        {
            long firstReceivedUs = 0;
            long startTimestamp = 0;
            int sinceCheck = 0;
            bool first = true;
            while (reader.Read())
            {
                if (++sinceCheck == 4096)
                {
                    sinceCheck = 0;
                    cancellationToken.ThrowIfCancellationRequested();
                }

                int venue = reader.GetInt32(0);
                if ((uint)venue > 2u)
                {
                    throw new KisStorageException(full, KisStorageError.NotARecording,
                        $"'{full}' has a row with an unknown venue. The file was not written by KisFeed or was modified.");
                }

                string code = codes.Get(reader.GetInt64(1), reader);
                long receivedUs = reader.GetInt64(13);
                ProgramTrade trade = new(
                    (Venue)venue,
                    code,
                    DateOnly.FromDayNumber(UnixEpochDayNumber + (int)reader.GetInt64(2)),
                    new TimeOnly(reader.GetInt64(3) * TimeSpan.TicksPerMicrosecond),
                    reader.GetInt64(4),
                    reader.GetInt64(5),
                    reader.GetInt64(6),
                    reader.GetInt64(7),
                    reader.GetInt64(8),
                    reader.GetInt64(9),
                    reader.GetInt64(10),
                    reader.GetInt64(11),
                    reader.GetInt64(12),
                    new DateTimeOffset(UnixEpochTicks + (receivedUs * TimeSpan.TicksPerMicrosecond), TimeSpan.Zero),
                    (ProgramTradeFields)reader.GetInt32(14),
                    (TradeSource)reader.GetInt32(15));

                if (speed is { } s)
                {
                    if (first)
                    {
                        firstReceivedUs = receivedUs;
                        startTimestamp = time.GetTimestamp();
                    }
                    else
                    {
                        TimeSpan target = TimeSpan.FromTicks((long)((receivedUs - firstReceivedUs) * TimeSpan.TicksPerMicrosecond / s));
                        TimeSpan wait = target - time.GetElapsedTime(startTimestamp);
                        if (wait > TimeSpan.Zero)
                        {
                            await Task.Delay(wait, time, cancellationToken).ConfigureAwait(false);
                        }
                    }
                }

                first = false;
                yield return trade;
            }
        }
    }

    private static CodeTable LoadCodes(DuckDBConnection connection, string full, string where)
    {
        try
        {
            using DuckDBCommand command = connection.CreateCommand();
            command.CommandText = "SELECT DISTINCT code, " + CodeTable.HashSql + " FROM program_trades" + where;
            using DuckDBDataReader reader = command.ExecuteReader();
            CodeTable table = new();
            while (reader.Read())
            {
                table.Add(reader.GetInt64(1), reader.GetString(0));
            }

            return table;
        }
        catch (DuckDBException ex)
        {
            throw StorageFile.Translate(ex, full, "read");
        }
    }

    /// <summary>Maps DuckDB's <c>hash(code)</c> to one shared string per distinct code, so rows allocate no strings.</summary>
    private sealed class CodeTable
    {
        /// <summary>DuckDB's 64-bit hash of the code, shifted to fit a BIGINT (read without the generic getter).</summary>
        public const string HashSql = "CAST(hash(code) >> 1 AS BIGINT)";
        private const int CodeColumn = 16;
        private readonly Dictionary<long, string?> _byHash = [];

        /// <summary>True when two codes share a hash; rows then carry the code text as well.</summary>
        public bool HasCollisions { get; private set; }
        private readonly Dictionary<string, string> _interned = new(StringComparer.Ordinal);

        public void Add(long hash, string code)
        {
            code = Intern(code);
            if (_byHash.TryGetValue(hash, out string? existing) && existing != code)
            {
                _byHash[hash] = null; // hash collision: read those rows' code as text
                HasCollisions = true;
            }
            else
            {
                _byHash[hash] = code;
            }
        }

        public string Get(long hash, DuckDBDataReader reader)
        {
            if (_byHash.TryGetValue(hash, out string? code) && code is not null)
            {
                return code;
            }

            string text = Intern(reader.GetString(CodeColumn));
            _byHash.TryAdd(hash, text);
            return text;
        }

        private string Intern(string code)
        {
            if (_interned.TryGetValue(code, out string? existing))
            {
                return existing;
            }

            _interned.Add(code, code);
            return code;
        }
    }
}
