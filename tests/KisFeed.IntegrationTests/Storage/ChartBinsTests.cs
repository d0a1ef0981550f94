using DuckDB.NET.Data;

using KisFeed.Storage;

namespace KisFeed.IntegrationTests.Storage;

/// <summary>
/// Schema version 4's 10-second bins (<c>program_trade_bins</c>): the day curve and minute bars read from them equal
/// those computed from the rows themselves (the scan), whatever the commits, venues, late or REST rows; older files
/// gain the bins when a recorder opens them and are scanned while they are only read.
/// </summary>
public sealed class ChartBinsTests : IDisposable
{
    private static readonly DateOnly Day = new(2026, 11, 24);
    private static readonly string[] Codes = ["005930", "000660", "035420"];
    private static readonly TimeSpan[] Resolutions = [TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(7)];

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// Cumulative updates for 3 codes × 3 venues over 20 minutes, several per second at times (same-second ties go to
    /// the later <c>seq</c>), with every 13th update arriving late (its time is earlier than the one before) and every
    /// 17th from REST.
    /// </summary>
    private static List<ProgramTrade> Day1(int count, int seed)
    {
        Random random = new(seed);
        long[,] buy = new long[Codes.Length, 3], sell = new long[Codes.Length, 3];
        List<ProgramTrade> trades = new(count);
        for (int i = 0; i < count; i++)
        {
            int c = random.Next(Codes.Length), v = random.Next(3);
            buy[c, v] += random.Next(0, 1_000);
            sell[c, v] += random.Next(0, 1_000);
            int second = (int)((long)i * 1_200 / count);
            if (i % 13 == 0)
            {
                second = Math.Max(0, second - random.Next(1, 90));
            }

            TimeOnly time = new TimeOnly(9, 0).Add(TimeSpan.FromSeconds(second));
            trades.Add(new ProgramTrade(
                (Venue)v, Codes[c], Day, time, sell[c, v], sell[c, v] * 70_100, buy[c, v], buy[c, v] * 69_900, buy[c, v] - sell[c, v],
                (buy[c, v] * 69_900) - (sell[c, v] * 70_100), 0, 0, 0, new DateTimeOffset(Day.ToDateTime(time), TimeSpan.FromHours(9)),
                Source: i % 17 == 0 ? TradeSource.Rest : TradeSource.WebSocket));
        }

        return trades;
    }

    /// <summary>Asserts that every curve and bar series the bins give equals the scan's, and that there is something to compare.</summary>
    private static async Task AssertBinsEqualScanAsync(ProgramTradeQueries q)
    {
        Assert.True(q.UsesBins);
        int points = 0;
        foreach (string code in Codes)
        {
            foreach (TimeSpan resolution in Resolutions)
            {
                q.UsesBins = true;
                IReadOnlyDictionary<Venue, IReadOnlyList<ProgramTradeBucket>> binned = await q.DayCurvesAsync(Day, code, resolution, Ct);
                q.UsesBins = false;
                IReadOnlyDictionary<Venue, IReadOnlyList<ProgramTradeBucket>> scanned = await q.DayCurvesAsync(Day, code, resolution, Ct);
                Assert.Equal(scanned.Keys.Order(), binned.Keys.Order());
                foreach (Venue venue in scanned.Keys)
                {
                    Assert.Equal(scanned[venue], binned[venue]);
                    points += binned[venue].Count;
                }
            }

            foreach (Venue venue in VenueExtensions.All)
            {
                q.UsesBins = true;
                IReadOnlyList<ProgramTradeBucket> bars = await q.MinuteBarsAsync(Day, code, venue, Ct);
                IReadOnlyList<ProgramTradeBucket> curve = await q.DayCurveAsync(Day, code, venue, TimeSpan.FromSeconds(10), Ct);
                q.UsesBins = false;
                Assert.Equal(await q.MinuteBarsAsync(Day, code, venue, Ct), bars);
                Assert.Equal(await q.DayCurveAsync(Day, code, venue, TimeSpan.FromSeconds(10), Ct), curve);
            }
        }

        q.UsesBins = true;
        Assert.True(points > 1_000, $"only {points} buckets compared");
    }

    [Fact]
    public async Task Bins_kept_up_over_many_commits_equal_the_scan_while_recording_and_after()
    {
        string path = _dir.File("bins.duckdb");
        List<ProgramTrade> trades = Day1(6_000, seed: 5);
        await using (ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(path, RecorderOptions.Default with { BatchSize = 700 }))
        {
            using ProgramTradeQueries live = recorder.OpenQueries();
            for (int i = 0; i < trades.Count; i++)
            {
                recorder.Append(trades[i]);
                if (i % 1_999 == 1_998)
                {
                    recorder.Flush(); // commits of different sizes; most bins get rows from two or more commits
                    await AssertBinsEqualScanAsync(live);
                }
            }
        }

        using ProgramTradeQueries q = ProgramTradeQueries.Open(path);
        await AssertBinsEqualScanAsync(q);
        using DuckDBConnection c = OpenRaw(path);
        Assert.Equal(StorageSchema.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), Scalar(c, "SELECT value FROM meta WHERE key = 'schema_version'"));
        Assert.Equal("6000", Scalar(c, "SELECT sum(records) FROM program_trade_bins"));
        // A bin fed by several commits: the later commit's late row did not overwrite the bin's last update.
        Assert.Equal("0", Scalar(c, """
            SELECT count(*) FROM program_trade_bins b JOIN (
                SELECT trading_date, venue, code, CAST(epoch_us(kis_time) // 10000000 AS INTEGER) AS bin, arg_max(net_buy_value, (epoch_us(kis_time) // 1000000) * 1099511627776 + seq) AS net
                FROM program_trades GROUP BY ALL) r USING (trading_date, venue, code, bin)
            WHERE b.net_buy_value <> r.net
            """));
    }

    [Fact]
    public async Task Bins_folded_from_each_batch_equal_a_fresh_sql_fold_of_the_same_rows()
    {
        // Batches of different sizes (full ones and flushes) with late rows: REST rows healing a gap minutes back (bins
        // committed by earlier batches), times out of order within a batch, same-second ties, two days, sub-second times
        // down to the tick (the TIME column keeps microseconds) and negative values.
        string path = _dir.File("fold.duckdb");
        Random random = new(23);
        DateOnly[] days = [Day, Day.AddDays(1)];
        long[,] buy = new long[Codes.Length, 3], sell = new long[Codes.Length, 3];
        int live = 0, healed = 0;
        await using (ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(path, RecorderOptions.Default with { BatchSize = 500 }))
        {
            for (int i = 0; i < 9_000; i++)
            {
                int c = random.Next(Codes.Length), v = random.Next(3);
                buy[c, v] += random.Next(0, 1_000);
                sell[c, v] += random.Next(-200, 1_000);
                bool rest = i % 11 == 0;
                long second = (i * 1_800L / 9_000) - (rest ? random.Next(60, 600) : random.Next(0, 3) == 0 ? random.Next(0, 25) : 0);
                long ticks = (Math.Max(0, second) * TimeSpan.TicksPerSecond) + (i % 7 == 0 ? random.Next(0, (int)TimeSpan.TicksPerSecond) : i % 29 == 0 ? TimeSpan.TicksPerSecond - 1 : 0);
                TimeOnly time = new TimeOnly(9, 0).Add(TimeSpan.FromTicks(ticks));
                recorder.Append(new ProgramTrade(
                    (Venue)v, Codes[c], days[i % 5 == 0 ? 1 : 0], time, sell[c, v], sell[c, v] * 70_100, buy[c, v], buy[c, v] * 69_900,
                    buy[c, v] - sell[c, v], (buy[c, v] * 69_900) - (sell[c, v] * 70_100), 0, 0, 0,
                    new DateTimeOffset(Day.ToDateTime(time), TimeSpan.FromHours(9)),
                    Source: rest ? TradeSource.Rest : TradeSource.WebSocket));
                _ = rest ? healed++ : live++;
                if (random.Next(0, 300) == 0)
                {
                    recorder.Flush();
                }
            }

            Assert.True(recorder.Statistics.Batches > 20, $"only {recorder.Statistics.Batches} batches");
        }

        Assert.True(healed > 500 && live > 5_000);
        using DuckDBConnection db = OpenRaw(path);
        const string Bins = "SELECT trading_date, venue, code, bin, last_key, net_buy_value, buy_value, sell_value, volume, records FROM program_trade_bins ORDER BY ALL";
        List<string> folded = Rows(db, Bins);
        // The bins as FoldIntoBinsSql makes them from every row in one pass.
        Scalar(db, "DELETE FROM program_trade_bins; SELECT 1");
        Scalar(db, StorageSchema.FoldIntoBinsSql("true") + " SELECT 1");
        List<string> fresh = Rows(db, Bins);
        Assert.True(fresh.Count > 1_000, $"only {fresh.Count} bins");
        Assert.Equal(fresh, folded);
        Assert.Equal("9000", Scalar(db, "SELECT sum(records) FROM program_trade_bins"));
    }

    private static List<string> Rows(DuckDBConnection connection, string sql)
    {
        using DuckDBCommand command = connection.CreateCommand();
        command.CommandText = sql;
        using DuckDBDataReader reader = command.ExecuteReader();
        List<string> rows = [];
        object[] values = new object[reader.FieldCount];
        while (reader.Read())
        {
            reader.GetValues(values);
            rows.Add(string.Join('|', values.Select(v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture))));
        }

        return rows;
    }

    [Fact]
    public async Task An_older_file_is_scanned_while_read_and_gains_its_bins_when_recorded_to()
    {
        string path = _dir.File("v3.duckdb");
        List<ProgramTrade> trades = Day1(4_000, seed: 9);
        await StorageTestData.WriteAsync(path, trades.Take(2_500));
        using (DuckDBConnection c = OpenRaw(path))
        {
            // What a version 3 recorder left: no bins table.
            Scalar(c, "DROP TABLE program_trade_bins; UPDATE meta SET value = '3' WHERE key = 'schema_version'; SELECT 1");
        }

        using (ProgramTradeQueries old = ProgramTradeQueries.Open(path))
        {
            Assert.False(old.UsesBins);
            Assert.NotEmpty(await old.DayCurveAsync(Day, Codes[0], Venue.Krx, cancellationToken: Ct));
        }

        using (DuckDBConnection c = OpenRaw(path))
        {
            Assert.Equal("3", Scalar(c, "SELECT value FROM meta WHERE key = 'schema_version'")); // reading changed nothing
            Assert.Equal("0", Scalar(c, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'program_trade_bins'"));
        }

        await StorageTestData.WriteAsync(path, trades.Skip(2_500)); // opening it for write builds the bins, then appends
        using ProgramTradeQueries q = ProgramTradeQueries.Open(path);
        await AssertBinsEqualScanAsync(q);
        using DuckDBConnection after = OpenRaw(path);
        Assert.Equal(StorageSchema.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), Scalar(after, "SELECT value FROM meta WHERE key = 'schema_version'"));
        Assert.Equal("4000", Scalar(after, "SELECT sum(records) FROM program_trade_bins"));
    }

    [Fact]
    public async Task A_version_one_file_gets_no_bins_and_is_scanned()
    {
        string path = _dir.File("v1.duckdb");
        using (DuckDBConnection c = OpenRaw(path))
        {
            Scalar(c, """
                CREATE TABLE program_trades (
                    seq BIGINT NOT NULL, trading_date DATE NOT NULL, venue VARCHAR NOT NULL, tr_id VARCHAR NOT NULL,
                    code VARCHAR NOT NULL, kis_time TIME NOT NULL, received_at TIMESTAMPTZ NOT NULL,
                    sell_volume BIGINT NOT NULL, sell_value BIGINT NOT NULL, buy_volume BIGINT NOT NULL, buy_value BIGINT NOT NULL,
                    net_buy_volume BIGINT NOT NULL, net_buy_value BIGINT NOT NULL, ask_residual BIGINT NOT NULL,
                    bid_residual BIGINT NOT NULL, net_bid_residual BIGINT NOT NULL, missing_fields INTEGER NOT NULL);
                CREATE TABLE gaps (from_time TIMESTAMPTZ NOT NULL, to_time TIMESTAMPTZ NOT NULL, venue VARCHAR,
                    codes VARCHAR[] NOT NULL, reason VARCHAR NOT NULL, recorded_at TIMESTAMPTZ NOT NULL);
                CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
                INSERT INTO meta VALUES ('schema_version', '1'), ('created_by', 'KisFeed.Storage');
                SELECT 1
                """);
        }

        await StorageTestData.WriteAsync(path, Day1(500, seed: 2));
        using ProgramTradeQueries q = ProgramTradeQueries.Open(path);
        Assert.False(q.UsesBins);
        Assert.NotEmpty(await q.MinuteBarsAsync(Day, Codes[1], Venue.Nxt, Ct));
        using DuckDBConnection after = OpenRaw(path);
        Assert.Equal("1", Scalar(after, "SELECT value FROM meta WHERE key = 'schema_version'"));
    }

    private static DuckDBConnection OpenRaw(string path)
    {
        DuckDBConnection connection = new($"Data Source={path}");
        connection.Open();
        return connection;
    }

    private static string Scalar(DuckDBConnection connection, string sql)
    {
        using DuckDBCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) ?? "";
    }
}
