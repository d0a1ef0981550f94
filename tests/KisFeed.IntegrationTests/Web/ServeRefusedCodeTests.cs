using System.Text.Json;

using KisFeed.Cli;
using KisFeed.IntegrationTests.Client;
using KisFeed.Simulator;
using KisFeed.Web;

namespace KisFeed.IntegrationTests.Web;

/// <summary><c>serve</c> with a code the server refuses: the board shows the others and names the refused one.</summary>
public sealed class ServeRefusedCodeTests
{
    [Fact]
    public async Task The_board_shows_the_codes_the_server_took_and_its_status_names_the_refused_one()
    {
        using CancellationTokenSource deadline = ClientTestKit.Deadline(60);
        CancellationToken ct = deadline.Token;
        // The server takes two registrations: of three codes on KRX, the third is refused (OPSP0008 MAX SUBSCRIBE OVER).
        await using KisSimulator sim = await KisSimulator.StartAsync(ClientTestKit.Sim with { UpdatesPerSecond = 0, MaxRegistrations = 2 }, ct);
        string dir = Directory.CreateTempSubdirectory("kisfeed-serve-refused-").FullName;
        try
        {
            await using ServeHost host = await ServeHost.StartLiveAsync(ClientTestKit.Options(sim), "Demo: test simulator — simulated data", simulated: true,
                ["005930", "000660", "035420"], [Venue.Krx], Path.Combine(dir, "board.duckdb"), WebBoardOptions.Default with { Port = 0 }, ct);

            // What `kisfeed serve` prints under the URL.
            Assert.Contains("H0STPGM0/035420 refused by the server (OPSP0008 MAX SUBSCRIBE OVER); the board shows the others", host.Description, StringComparison.Ordinal);
            Assert.Contains("the board shows the others", host.Description, StringComparison.Ordinal);

            // The status strip of every page says the same.
            using var http = new HttpClient();
            using (JsonDocument status = JsonDocument.Parse(await http.GetStringAsync(new Uri(host.Url, "api/status"), ct)))
            {
                string source = status.RootElement.GetProperty("source").GetString()!;
                Assert.Contains("Demo: test simulator", source, StringComparison.Ordinal);
                Assert.Contains("H0STPGM0/035420 refused by the server (OPSP0008", source, StringComparison.Ordinal);
                Assert.Equal("Connected", status.RootElement.GetProperty("state").GetString());
            }

            // The two held codes stream onto the board with the values the simulator sent.
            Assert.Equal(2, Assert.Single(sim.Sessions).Registrations.Count);
            sim.PublishNow(1);
            await ClientTestKit.WaitUntilAsync(() => host.Server.Board.Snapshot().Rows.Count == 2, ct, "a row per held code");
            var last = new Dictionary<string, long>();
            foreach (SimulatorLedgerEntry e in sim.GetLedger())
            {
                last[e.Code] = long.Parse(e.Fields[7], System.Globalization.CultureInfo.InvariantCulture);
            }

            var rows = host.Server.Board.Snapshot().Rows;
            Assert.Equal(["000660", "005930"], rows.Select(r => r.Code).Order());
            Assert.All(rows, r => Assert.Equal(last[r.Code], r.Net));
            Assert.DoesNotContain(rows, r => r.Code == "035420");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
