using System.Text.Json;

using DuckDB.NET.Data;

using KisFeed.TestKit;

using static KisFeed.IntegrationTests.Cli.CliHarness;

namespace KisFeed.IntegrationTests.Cli;

/// <summary><c>--from-start</c> on the demo simulator: the day so far over REST, then live, in one recording.</summary>
public sealed class CliFromStartTests : IDisposable
{
    private readonly KisFeed.TestKit.TempDirectory _dir = new("kisfeed-fromstart-");

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// At a chosen KST hour whatever the wall clock says (the demo simulator and the client run on a shifted clock):
    /// mid-day, and 00:10, ten minutes into the KST day, when the demo's 30-minute history used to reach into the
    /// previous evening (rows the seed rightly drops: they are not of the day so far).
    /// </summary>
    [Theory]
    [InlineData("13:00:00")]
    [InlineData("00:10:00")]
    public async Task Record_from_start_writes_the_REST_rows_of_the_day_then_the_live_ones(string kst)
    {
        string db = _dir.File("day.duckdb");
        TimeProvider clock = ShiftedTime.AtKst(TimeSpan.Parse(kst, System.Globalization.CultureInfo.InvariantCulture));
        (int exit, string stdout, string stderr) = await RunAtAsync(clock, "record", "005930", "--venue", "krx", "--db", db, "--duration", "6s", "--from-start");
        Assert.True(exit == 0, stderr + stdout);

        using var connection = new DuckDBConnection($"Data Source={db};ACCESS_MODE=READ_ONLY");
        connection.Open();
        List<(int Source, TimeSpan Time)> rows = [];
        using (DuckDBCommand q = connection.CreateCommand())
        {
            q.CommandText = "SELECT source, kis_time FROM program_trades ORDER BY seq";
            using DuckDBDataReader r = q.ExecuteReader();
            while (r.Read())
            {
                rows.Add((r.GetByte(0), r.GetFieldValue<TimeSpan>(1)));
            }
        }

        // Source = Rest (1) first, then only WebSocket (0): the seed is one block before the live records.
        int live = rows.FindIndex(x => x.Source == 0);
        Assert.True(live > 0, $"REST rows first ({rows.Count} rows, first live at {live})");
        Assert.All(rows[..live], x => Assert.Equal(1, x.Source));
        Assert.All(rows[live..], x => Assert.Equal(0, x.Source));
        // No second twice across the seam: every REST row is older than the first live record.
        Assert.True(rows[live - 1].Time < rows[live].Time, $"last REST row {rows[live - 1].Time}, first live {rows[live].Time}");
        Assert.DoesNotContain(rows[..live].Select(x => (long)x.Time.TotalSeconds), rows[live..].Select(x => (long)x.Time.TotalSeconds).ToHashSet().Contains);

        // The seed is recorded like a healed gap: its reason, and how far REST reached.
        using DuckDBCommand g = connection.CreateCommand();
        g.CommandText = "SELECT (SELECT reason FROM gaps), (SELECT outcome || ' ' || rest_rows FROM gap_healing)";
        using DuckDBDataReader gr = g.ExecuteReader();
        Assert.True(gr.Read());
        Assert.Contains("seeded from REST", gr.GetString(0), StringComparison.Ordinal);
        Assert.EndsWith($" {live}", gr.GetString(1), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_from_start_prints_the_REST_rows_first_then_the_live_ones_and_says_how_far_back_REST_reached()
    {
        (int exit, string stdout, string stderr) = await RunAtAsync(ShiftedTime.AtKst(TimeSpan.FromHours(13)), "watch", "005930", "--venue", "krx", "--format", "jsonl", "--duration", "5s", "--from-start");
        Assert.True(exit == 0, stderr + stdout);
        string[] sources = [.. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("source").GetString()!)];
        int live = Array.IndexOf(sources, "websocket");
        Assert.True(live > 0, $"REST rows first ({sources.Length} lines, first live at {live}): {stderr}");
        Assert.All(sources[..live], s => Assert.Equal("rest", s));
        Assert.All(sources[live..], s => Assert.Equal("websocket", s));
        Assert.Contains($"{live} row(s) of the day so far from REST", stderr, StringComparison.Ordinal);
    }
}
