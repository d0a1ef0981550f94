using KisFeed.Cli;
using KisFeed.IntegrationTests.Client;
using KisFeed.Simulator;
using KisFeed.Web;

namespace KisFeed.IntegrationTests.Web;

/// <summary><c>serve --from-start</c>: the board and its recording start from the day's REST rows.</summary>
public sealed class ServeFromStartTests
{
    [Fact]
    public async Task A_board_served_from_the_start_shows_and_records_the_days_REST_rows_before_any_live_update()
    {
        using CancellationTokenSource deadline = ClientTestKit.Deadline(60);
        CancellationToken ct = deadline.Token;
        // 13:00 KST whatever the wall clock says: just after midnight KST the day so far may have no row yet.
        TimeProvider clock = KisFeed.TestKit.ShiftedTime.AtKst(TimeSpan.FromHours(13));
        await using KisSimulator sim = await KisSimulator.StartAsync(ClientTestKit.Sim with { UpdatesPerSecond = 0, TimeProvider = clock }, ct); // no live data at all
        string dir = Directory.CreateTempSubdirectory("kisfeed-serve-seed-").FullName;
        string db = Path.Combine(dir, "board.duckdb");
        try
        {
            await using (ServeHost host = await ServeHost.StartLiveAsync(ClientTestKit.Options(sim) with { TimeProvider = clock }, "Demo: test simulator — simulated data", simulated: true,
                ["005930"], [Venue.Krx], db, WebBoardOptions.Default with { Port = 0 }, new FeedOptions { FromStartOfDay = true }, ct))
            {
                await ClientTestKit.WaitUntilAsync(() => host.Server.Board.Snapshot().Rows.Any(r => r.Code == "005930"), ct, "the seeded row on the board");
                await ClientTestKit.WaitUntilAsync(() => host.Recorder!.Statistics.RecordsWritten > 0, ct, "the seed recorded");

                // The seed is not an outage: the status strip counts no gap (its span is still on the chart).
                using var http = new HttpClient { BaseAddress = host.Url };
                using var status = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("api/status", ct));
                Assert.Equal(0, status.RootElement.GetProperty("gaps").GetInt32());
                Assert.Contains(host.Server.Board.Snapshot().Gaps, g => g.Reason == DataGap.SeedReason);
            }

            // Read back from the recording (a replay of the file), the seed is still not counted as a gap.
            await using (ServeHost replay = await ServeHost.StartReplayAsync(db, null, WebBoardOptions.Default with { Port = 0 }, ct))
            {
                Assert.Equal(0, replay.Server.Board.GapCount);
                Assert.NotEmpty(replay.Server.Board.Snapshot().Gaps);
            }

            List<ProgramTrade> stored = [];
            await foreach (ProgramTrade t in KisFeed.Storage.ProgramTradeReplay.ReadAsync(db, cancellationToken: ct))
            {
                stored.Add(t);
            }

            Assert.NotEmpty(stored);
            Assert.All(stored, t => Assert.Equal(TradeSource.Rest, t.Source));
            Assert.Equal(0, sim.RecordsSent);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
