using DuckDB.NET.Data;

namespace KisFeed.IntegrationTests.Nats;

/// <summary>
/// Reads back what `kisfeed record --from nats://` stored: rows with their stream sequence and source (REST-healed
/// rows are <see cref="TradeSource.Rest"/>), and gaps with every code they touched. Also compiled into tools/KisFeed.Soak
/// (its chaos scenario checks the recording with it).
/// </summary>
internal static class RecordedDb
{
    public sealed record Row(ProgramTrade Trade, long StreamSeq);

    public static (List<Row> Rows, List<DataGapEventArgs> Gaps, List<long> GapSeqs) Read(string path)
    {
        using var connection = new DuckDBConnection($"Data Source={path};ACCESS_MODE=READ_ONLY");
        connection.Open();
        List<Row> rows = [];
        using (DuckDBCommand c = connection.CreateCommand())
        {
            c.CommandText = """
                SELECT CAST(t.venue AS VARCHAR), t.code, t.trading_date, t.kis_time, t.sell_volume, t.sell_value, t.buy_volume, t.buy_value,
                       t.net_buy_volume, t.net_buy_value, t.ask_residual, t.bid_residual, t.net_bid_residual, t.received_at, p.stream_seq, t.source
                FROM program_trades t JOIN stream_positions p ON p.row_seq = t.seq ORDER BY p.stream_seq
                """;
            using var r = c.ExecuteReader();
            while (r.Read())
            {
                Venue venue = r.GetString(0) switch { "krx" => Venue.Krx, "nxt" => Venue.Nxt, _ => Venue.Unified };
                var trade = new ProgramTrade(venue, r.GetString(1), DateOnly.FromDateTime(r.GetDateTime(2)), TimeOnly.FromTimeSpan(r.GetFieldValue<TimeSpan>(3)),
                    r.GetInt64(4), r.GetInt64(5), r.GetInt64(6), r.GetInt64(7), r.GetInt64(8), r.GetInt64(9), r.GetInt64(10), r.GetInt64(11), r.GetInt64(12),
                    new DateTimeOffset(DateTime.SpecifyKind(r.GetDateTime(13), DateTimeKind.Utc)),
                    Source: r.IsDBNull(15) ? TradeSource.WebSocket : (TradeSource)Convert.ToByte(r.GetValue(15), System.Globalization.CultureInfo.InvariantCulture));
                rows.Add(new Row(trade, r.GetInt64(14)));
            }
        }

        List<DataGapEventArgs> gaps = [];
        List<long> gapSeqs = [];
        using (DuckDBCommand c = connection.CreateCommand())
        {
            c.CommandText = "SELECT g.from_time, g.to_time, CAST(g.venue AS VARCHAR), array_to_string(g.codes, ',') FROM gaps g";
            using var r = c.ExecuteReader();
            while (r.Read())
            {
                Venue venue = r.GetString(2) switch { "krx" => Venue.Krx, "nxt" => Venue.Nxt, _ => Venue.Unified };
                gaps.Add(new DataGapEventArgs(new DataGap(
                    gaps.Count,
                    new DateTimeOffset(DateTime.SpecifyKind(r.GetDateTime(0), DateTimeKind.Utc)),
                    new DateTimeOffset(DateTime.SpecifyKind(r.GetDateTime(1), DateTimeKind.Utc)),
                    [.. r.GetString(3).Split(',').Select(code => new Registration(venue, code))], "recorded")));
            }
        }

        using (DuckDBCommand c = connection.CreateCommand())
        {
            c.CommandText = "SELECT stream_seq FROM stream_positions WHERE row_seq IS NULL";
            using var r = c.ExecuteReader();
            while (r.Read())
            {
                gapSeqs.Add(r.GetInt64(0));
            }
        }

        return (rows, gaps, gapSeqs);
    }
}
