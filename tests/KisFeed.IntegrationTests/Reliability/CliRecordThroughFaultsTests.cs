using KisFeed.Cli;
using KisFeed.IntegrationTests.Client;
using KisFeed.Simulator;
using KisFeed.Storage;

using Spectre.Console.Testing;

namespace KisFeed.IntegrationTests.Reliability;

/// <summary>`kisfeed record` (the real CLI, default reconnect policy) keeps running through faults and its database matches the ledger minus the gaps it wrote.</summary>
public sealed class CliRecordThroughFaultsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kisfeed-cli-rel-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task RecordKeepsRunningThroughFaultsAndTheDatabaseMatchesTheLedgerMinusItsGaps()
    {
        using CancellationTokenSource deadline = ClientTestKit.Deadline(75);
        CancellationToken ct = deadline.Token;
        await using KisSimulator sim = await KisSimulator.StartAsync(ClientTestKit.Sim, ct);
        string config = KisFeed.TestKit.CliConfig.Write(Path.Combine(_dir, "config.json"), SimulatorCredential.Demo.AppKey, SimulatorCredential.Demo.AppSecret,
            new Uri(sim.WebSocketUri, "/tryitout"), sim.RestBaseUri);
        string db = Path.Combine(_dir, "cli.duckdb");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var console = new CliConsole(new TestConsole(), TextWriter.Synchronized(stdout), TextWriter.Synchronized(stderr), IsTerminal: false);
        using var ctrlC = CancellationTokenSource.CreateLinkedTokenSource(ct); // stands for Ctrl-C
        Task<int> cli = CliApp.RunAsync(["record", "005930", "000660", "--venue", "krx", "--db", db, "--config", config], console, ctrlC.Token);

        async Task DataFlowsAsync(string what)
        {
            await ClientTestKit.WaitUntilAsync(() => sim.Sessions is [{ Registrations.Count: 2 }] || cli.IsCompleted, ct, what + ": registrations back");
            long sent = sim.RecordsSent;
            await ClientTestKit.WaitUntilAsync(() => sim.RecordsSent > sent + 20 || cli.IsCompleted, ct, what + ": data");
            Assert.False(cli.IsCompleted, $"kisfeed record ended early: {stderr}");
        }

        await DataFlowsAsync("start");
        await sim.DropAllSessionsAsync(DropMode.Abort);
        await DataFlowsAsync("after an abrupt close");
        await sim.DropAllSessionsAsync(DropMode.CloseError);
        await DataFlowsAsync("after close 1011");
        sim.InvalidateApprovalKeys();
        await sim.DropAllSessionsAsync(DropMode.Abort);
        await DataFlowsAsync("after a restart that invalidated the approval key");
        foreach ((string _, byte[] bytes) in MalformedFrames.Broken())
        {
            await sim.SendRawAsync(bytes);
        }

        await DataFlowsAsync("after malformed frames");
        sim.Stall(true); // quiet before Ctrl-C, so nothing is in flight when it stops
        int linesAtStall = WrittenCounts(stdout.ToString()).Count;
        await ClientTestKit.WaitUntilAsync(
            () => WrittenCounts(stdout.ToString()) is { } w && w.Count >= linesAtStall + 3 && w[^1] == w[^2] && w[^2] == w[^3], ct, "the recorder to settle (progress lines)");
        await ctrlC.CancelAsync();
        int exit = await cli;
        sim.Stall(false);
        Assert.True(exit == 0, stderr.ToString());

        IReadOnlyList<SimulatorLedgerEntry> ledger = sim.GetLedger();
        List<ProgramTrade> stored = [];
        await foreach (ProgramTrade t in ProgramTradeReplay.ReadAsync(db, cancellationToken: ct))
        {
            stored.Add(t);
        }

        List<DataGapEventArgs> gaps = NoSilentLossTests.ReadGaps(db);
        LedgerCheck.Result r = LedgerCheck.Compare(ledger, stored, gaps);
        Assert.True(r.Holds, "database vs ledger: " + r);
        Assert.True(gaps.Count >= 3, $"{gaps.Count} gap rows");
        Assert.True(r.Received > 100, r.ToString());
        Assert.Contains("gaps 3", stdout.ToString(), StringComparison.Ordinal);
    }

    private static List<long> WrittenCounts(string progress) =>
        [.. System.Text.RegularExpressions.Regex.Matches(progress, @"([\d,]+) written").Select(m => long.Parse(m.Groups[1].Value.Replace(",", string.Empty, StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture))];
}
