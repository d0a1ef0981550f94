using System.Collections.Concurrent;

using KisFeed.Cli;
using KisFeed.IntegrationTests.Client;
using KisFeed.Simulator;

using Spectre.Console.Testing;

namespace KisFeed.IntegrationTests.Reliability;

/// <summary>The fault script of <c>kisfeed simulate --scenario</c>: parsing, running against a client, and the CLI flag.</summary>
public sealed class ScenarioTests
{
    [Theory]
    [InlineData("at 10s explode", "line 1")]
    [InlineData("# ok\nevery ten drop abort", "line 2")]
    [InlineData("at 5s drop sideways", "drop takes")]
    [InlineData("at 5s reply-fault lose", "reply-fault takes")]
    [InlineData("sometimes 5s stall 1s", "expected 'at")]
    public void ABadScenarioNamesTheLine(string text, string expected)
    {
        FormatException ex = Assert.Throws<FormatException>(() => SimulatorScenario.Parse(text));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AScenarioDrivesFaultsAndTheClientRecoversFromEach()
    {
        using CancellationTokenSource deadline = ClientTestKit.Deadline(30);
        CancellationToken ct = deadline.Token;
        await using KisSimulator sim = await KisSimulator.StartAsync(ClientTestKit.Sim, ct);
        await using var client = new KisRealtimeClient(ClientTestKit.Options(sim) with { IdleTimeout = TimeSpan.FromMilliseconds(600) });
        var gaps = new ConcurrentQueue<DataGapEventArgs>();
        client.DataGap += (_, e) => gaps.Enqueue(e);
        await using IKisSubscription<ProgramTrade> sub = await client.SubscribeAsync(Registration.Of(["005930"], [Venue.Nxt]), cancellationToken: ct);
        SimulatorScenario scenario = SimulatorScenario.Parse("""
            at 200ms drop abort          # Friday restart
            at 1500ms reply-fault duplicate 1
            at 1500ms drop close-error
            at 3s stall 1s               # silent; the watchdog (600 ms) reconnects
            at 5s invalidate-keys
            at 5s drop close-normal
            """);
        var executed = new ConcurrentQueue<string>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task run = scenario.RunAsync(sim, executed.Enqueue, stop.Token);
        // Malformed frames have their own test (EachMalformedFrameIsCountedLoggedRawAndTheStreamGoesOn); here they would
        // race the reconnect after the last drop and might reach no session at all.
        await ClientTestKit.WaitUntilAsync(() => executed.Count == 6 && gaps.Count >= 4, ct, $"the scenario ({executed.Count} steps, {gaps.Count} gaps)");
        await ClientTestKit.ReadUntilAsync(sub, s => s.Count >= 5, ct, "data after the scenario");
        await stop.CancelAsync();
        await run;
        Assert.Equal(ConnectionState.Connected, client.State);
    }

    [Fact]
    public async Task SimulateRunsAScenarioFileFromTheCommandLine()
    {
        string file = Path.Combine(Path.GetTempPath(), $"kisfeed-scenario-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(file, "at 300ms drop abort\nevery 400ms reply-fault delay 1 100ms\n", TestContext.Current.CancellationToken);
        try
        {
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            var console = new CliConsole(new TestConsole(), TextWriter.Synchronized(stdout), TextWriter.Synchronized(stderr), IsTerminal: false);
            int exit = await CliApp.RunAsync(["simulate", "--port", "0", "--scenario", file, "--app-key-lock", "2", "--duration", "1500ms"], console, TestContext.Current.CancellationToken);
            Assert.True(exit == 0, stderr.ToString());
            Assert.Contains("fault: at 300ms drop abort", stdout.ToString(), StringComparison.Ordinal);
            Assert.Contains("fault: every 400ms reply-fault delay 1 100ms", stdout.ToString(), StringComparison.Ordinal);

            exit = await CliApp.RunAsync(["simulate", "--port", "0", "--scenario", file + ".missing", "--duration", "1s"], console, TestContext.Current.CancellationToken);
            Assert.NotEqual(0, exit);
            Assert.Contains("scenario", stderr.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
