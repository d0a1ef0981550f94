using System.Runtime.CompilerServices;

using DuckDB.NET.Data;

namespace KisFeed.Storage;

// Index program trading (H0UPPGM0) read back from its own table (schema version 7).
public static partial class ProgramTradeReplay
{
    /// <summary>
    /// Streams the index updates (<see cref="IndexProgramTrade"/>) of <paramref name="path"/>, in the order recorded,
    /// optionally of one trading date and of some index codes only. Updates equal what was recorded, except that
    /// <see cref="IndexProgramTrade.ReceivedAt"/> is truncated to microseconds and comes back with offset +00:00. A file
    /// older than schema version 7 has none.
    /// </summary>
    /// <exception cref="KisStorageException">The file is missing, not a recording or in use by another process.</exception>
    public static IAsyncEnumerable<IndexProgramTrade> ReadIndexAsync(string path, DateOnly? date = null, IEnumerable<string>? indexCodes = null, CancellationToken cancellationToken = default)
    {
        string full = StorageFile.FullPath(path);
        if (!File.Exists(full))
        {
            StorageFile.OpenForRead(full).Dispose(); // reports a wrong path at once
        }

        List<string> clauses = [];
        if (date is { } d)
        {
            clauses.Add($"trading_date = DATE '{d:yyyy-MM-dd}'");
        }

        if (indexCodes is not null)
        {
            List<string> codes = [.. indexCodes.Select(IndexCode.Normalize).Distinct()];
            clauses.Add(codes.Count == 0 ? "false" : $"index_code IN ({string.Join(", ", codes.Select(StorageFile.Literal))})");
        }

        string where = clauses.Count == 0 ? string.Empty : " WHERE " + string.Join(" AND ", clauses);
        return ReadIndexCoreAsync(full, where, cancellationToken);
    }

    private static async IAsyncEnumerable<IndexProgramTrade> ReadIndexCoreAsync(string full, string where, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using DuckDBConnection connection = StorageFile.OpenForRead(full);
        if (!StorageFile.HasTable(connection, StorageSchema.IndexTradesTable))
        {
            yield break; // recorded before version 7
        }

        using DuckDBCommand command = connection.CreateCommand();
        IEnumerable<string> numbers = StorageSchema.IndexTradeColumns.Skip(5).Take(StorageSchema.IndexTradeColumns.Count - 5 - 2);
        command.CommandText = "SELECT index_code, trading_date - DATE '1970-01-01', epoch_us(kis_time), epoch_us(received_at), " +
            string.Join(", ", numbers) + ", missing, CAST(source AS INTEGER) FROM index_program_trades" + where + " ORDER BY seq";
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
            var codes = new Dictionary<string, string>(StringComparer.Ordinal);
            while (reader.Read())
            {
                cancellationToken.ThrowIfCancellationRequested();
                string code = reader.GetString(0);
                if (!codes.TryGetValue(code, out string? shared))
                {
                    codes[code] = shared = code;
                }

                int c = 4;
                IndexProgramFlow Flow()
                {
                    var f = new IndexProgramFlow(reader.GetInt64(c), reader.GetInt64(c + 1), reader.GetInt64(c + 2), reader.GetInt64(c + 3), reader.GetInt64(c + 4), reader.GetInt64(c + 5));
                    c += 6;
                    return f;
                }

                IndexProgramShares Shares()
                {
                    var s = new IndexProgramShares(reader.GetDecimal(c), reader.GetDecimal(c + 1), reader.GetDecimal(c + 2), reader.GetDecimal(c + 3), reader.GetDecimal(c + 4), reader.GetDecimal(c + 5));
                    c += 6;
                    return s;
                }

                IndexProgramFlow ac = Flow(), ao = Flow(), nc = Flow(), no = Flow(), arb = Flow(), nabt = Flow(), customer = Flow(), own = Flow(), total = Flow();
                IndexProgramShares arbS = Shares(), nabtS = Shares(), customerS = Shares(), ownS = Shares(), totalS = Shares();
                long marketVolume = reader.GetInt64(c), marketValue = reader.GetInt64(c + 1);
                string missing = reader.GetString(c + 2);
                yield return new IndexProgramTrade(
                    shared,
                    DateOnly.FromDayNumber(UnixEpochDayNumber + (int)reader.GetInt64(1)),
                    new TimeOnly(reader.GetInt64(2) * TimeSpan.TicksPerMicrosecond),
                    ac, ao, nc, no, arb, nabt, customer, own, total, arbS, nabtS, customerS, ownS, totalS,
                    marketVolume, marketValue,
                    new DateTimeOffset(UnixEpochTicks + (reader.GetInt64(3) * TimeSpan.TicksPerMicrosecond), TimeSpan.Zero))
                {
                    Missing = missing.Length == 0 ? [] : missing.Split(','),
                    Source = (TradeSource)reader.GetInt32(c + 3),
                };
            }
        }
    }
}
