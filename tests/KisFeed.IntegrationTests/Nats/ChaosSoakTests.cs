using KisFeed.Soak.Chaos;

namespace KisFeed.IntegrationTests.Nats;

/// <summary>
/// Issue 17 item 7, the short version of the hour of chaos (tools/KisFeed.Soak chaos): one `kisfeed simulate` whose
/// ledger is a file, a 3-node JetStream cluster, 3 gateways with --replicas 3 and a `record --from` recorder, every
/// fault once (kill -9 and SIGSTOP of a gateway, kill -9 of the stream leader, a node restart, poison messages, kill -9
/// of the recorder, every KIS session dropped), then the recording is checked against the ledger.
/// </summary>
public sealed class ChaosSoakTests
{
    [Fact]
    public async Task TwoMinutesOfEveryFaultLoseNothingOutsideReportedGapsDuplicateNothingAndNeverOpenTwoSessionsOnAKey()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(330);
        var output = new StringWriter();
        ChaosReport report = await ChaosScenario.RunAsync(new ChaosOptions
        {
            Minutes = 2,
            FaultEverySeconds = 12,
            RssEverySeconds = 5,
            CliDll = Path.Combine(AppContext.BaseDirectory, "KisFeed.Cli.dll"),
        }, output, deadline.Token);
        string table = report.Table();
        TestContext.Current.SendDiagnosticMessage(table);
        Assert.True(report.Passed, table + "\n" + output);

        // Every fault kind ran, each gateway fault ended in a takeover, and nothing exited by itself.
        Assert.Equal(Enum.GetValues<ChaosFaultKind>().Order(), report.Faults.Select(f => f.Kind).Distinct().Order());
        Assert.All(report.Faults.Where(f => f.Kind is ChaosFaultKind.KillGateway or ChaosFaultKind.StopGateway), f => Assert.NotNull(f.Takeover));
        Assert.All(report.Faults.Where(f => f.Kind == ChaosFaultKind.KillStreamLeader), f => Assert.NotNull(f.LeaderElection));
        Assert.Equal(0, report.UnexpectedExits);

        // The recording is the ledger minus what fell inside reported gaps: every live row matched one ledger record.
        Assert.True(report.LedgerRecords > 1000, table);
        Assert.Equal(report.LedgerRecords, report.RecordedLive + report.MissingInsideGaps);
        Assert.True(report.Gaps > 0, "the faults must have caused reported gaps:\n" + table);

        // One ledger: the shared simulator never refused a second session on a key, nor bound two.
        Assert.Equal(0, report.AlreadyInUseReplies);
        Assert.Equal(1, report.MostSessionsOnOneKey);

        // The poison was stored in the stream, skipped by the recorder and kept in its rejected table.
        Assert.True(report.PoisonsPublished > 0 && report.Rejected >= report.PoisonsPublished, table);

        // RSS was sampled for every process.
        Assert.Superset(new HashSet<string>(["sim", "gw1", "gw2", "gw3", "n1", "n2", "n3", "recorder"]), report.Rss.Select(r => r.Process).ToHashSet());
        Assert.All(report.Rss, r => Assert.True(r.Samples > 1 && r.EndKb > 0, r.ToString()));
    }
}
