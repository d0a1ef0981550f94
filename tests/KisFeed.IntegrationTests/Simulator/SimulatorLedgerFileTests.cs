using System.Net.Http.Json;
using System.Text.Json;

using KisFeed.Cli;
using KisFeed.Simulator;

using Spectre.Console.Testing;

using static KisFeed.IntegrationTests.Simulator.SimTestKit;

namespace KisFeed.IntegrationTests.Simulator;

/// <summary>
/// The simulator's ledger as a file and its test endpoints (<c>kisfeed simulate --ledger FILE --admin</c>), which the
/// chaos soak reads from another process: the file holds exactly what <see cref="KisSimulator.GetLedger()"/> holds, and
/// its status lines count OPSP8996 refusals.
/// </summary>
public sealed class SimulatorLedgerFileTests
{
    [Fact]
    public async Task TheLedgerFileHoldsEveryRecordSentAndTheStatusCountsOpsp8996AndStallStopsOutput()
    {
        using CancellationTokenSource cts = Deadline(20);
        using var dir = new KisFeed.TestKit.TempDirectory();
        string file = Path.Combine(dir.Path, "ledger.tsv");
        SimulatorLedgerFile.Status atStall;
        KisSimulator sim = await KisSimulator.StartAsync(Quiet with { LedgerFile = file, AdminEndpoints = true }, cts.Token);
        await using (sim)
        {
            string key1 = await ApprovalKeyAsync(sim, cts.Token);
            string key2 = await ApprovalKeyAsync(sim, cts.Token);
            await using RawKisSocket first = await RawKisSocket.ConnectAsync(sim, cts.Token);
            await using RawKisSocket second = await RawKisSocket.ConnectAsync(sim, cts.Token);
            using (JsonDocument r = await first.RequestAsync(SubscribeJson(key1, "H0STPGM0", "005930"), cts.Token))
            {
                Assert.Equal("OPSP0000", r.RootElement.GetProperty("body").GetProperty("msg_cd").GetString());
            }

            using (JsonDocument r = await first.RequestAsync(SubscribeJson(key1, "H0NXPGM0", "000660"), cts.Token))
            {
                Assert.Equal("OPSP0000", r.RootElement.GetProperty("body").GetProperty("msg_cd").GetString());
            }

            using (JsonDocument r = await second.RequestAsync(SubscribeJson(key2, "H0STPGM0", "005930"), cts.Token))
            {
                Assert.Equal("OPSP8996", r.RootElement.GetProperty("body").GetProperty("msg_cd").GetString());
            }

            for (int i = 0; i < 5; i++)
            {
                sim.PublishNow(3);
            }

            await WaitUntilAsync(() => sim.RecordsSent >= 30, cts.Token, "30 records are sent");
            using var http = new HttpClient { BaseAddress = sim.RestBaseUri };
            using (HttpResponseMessage r = await http.PostAsync(new Uri("/simulator/stall?on=true", UriKind.Relative), null, cts.Token))
            {
                r.EnsureSuccessStatusCode();
                atStall = (await r.Content.ReadFromJsonAsync<SimulatorLedgerFile.Status>(new JsonSerializerOptions(JsonSerializerDefaults.Web), cts.Token))!;
            }

            Assert.True(sim.IsStalled);
            Assert.Equal((1L, 1), (atStall.AlreadyInUseReplies, atStall.MostSessionsOnOneKey));
            Assert.InRange(atStall.RecordsSent, 30, sim.RecordsSent);
            using HttpResponseMessage bad = await http.PostAsync(new Uri("/simulator/drop?mode=sideways", UriKind.Relative), null, cts.Token);
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Contains("use abort, close-normal or close-error", await bad.Content.ReadAsStringAsync(cts.Token), StringComparison.Ordinal);
        }

        // Read once the simulator stopped (the file is flushed and closed), against its in-memory ledger.
        IReadOnlyList<SimulatorLedgerEntry> inMemory = sim.GetLedger();
        (List<SimulatorLedgerEntry> entries, SimulatorLedgerFile.Status? last) = SimulatorLedgerFile.Read(file);
        Assert.Equal(inMemory.Count, entries.Count);
        Assert.Equal(
            inMemory.Select(e => (e.SessionId, e.FrameSequence, e.IndexInFrame, e.TrId, e.Code, string.Join('^', e.Fields), e.SentAt)),
            entries.Select(e => (e.SessionId, e.FrameSequence, e.IndexInFrame, e.TrId, e.Code, string.Join('^', e.Fields), e.SentAt)));
        Assert.Equal(sim.RecordsSent, entries.Count);
        Assert.NotNull(last);
        Assert.Equal((sim.RecordsSent, 1L, 1), (last.RecordsSent, last.AlreadyInUseReplies, last.MostSessionsOnOneKey));
    }

    [Fact]
    public async Task WithoutTheOptionsThereIsNoFileAndNoAdminEndpoint()
    {
        using CancellationTokenSource cts = Deadline(20);
        await using KisSimulator sim = await KisSimulator.StartAsync(Quiet, cts.Token);
        using var http = new HttpClient { BaseAddress = sim.RestBaseUri };
        using HttpResponseMessage r = await http.PostAsync(new Uri("/simulator/stall?on=true", UriKind.Relative), null, cts.Token);
        Assert.NotEqual(System.Net.HttpStatusCode.OK, r.StatusCode);
        Assert.False(sim.IsStalled);
    }

    [Fact]
    public async Task SimulateTakesLedgerAndAdminKeepsNoLedgerInMemoryThenAndNamesAnUnwritableLedgerPath()
    {
        SimulatorOptions parsed = CliApp.SimulateOptionSet.Parse("--ledger", "run/ledger.tsv", "--admin");
        Assert.Equal(("run/ledger.tsv", true, 0), (parsed.LedgerFile, parsed.AdminEndpoints, parsed.LedgerCapacityPerSession));
        SimulatorOptions plain = CliApp.SimulateOptionSet.Parse();
        Assert.Equal((null, false), (plain.LedgerFile, plain.AdminEndpoints));
        Assert.True(plain.LedgerCapacityPerSession > 0);

        var stdout = new StringWriter();
        var stderr = new StringWriter();
        string missing = Path.Combine(Path.GetTempPath(), "kisfeed-no-such-dir-" + Guid.NewGuid().ToString("N"), "ledger.tsv");
        int exit = await CliApp.RunAsync(["simulate", "--port", "0", "--ledger", missing, "--duration", "1s"],
            new CliConsole(new TestConsole(), stdout, stderr, IsTerminal: false), TestContext.Current.CancellationToken);
        Assert.NotEqual(0, exit);
        Assert.Contains($"Cannot write the ledger '{missing}'", stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("Pick a writable --ledger path", stderr.ToString(), StringComparison.Ordinal);
    }
}
