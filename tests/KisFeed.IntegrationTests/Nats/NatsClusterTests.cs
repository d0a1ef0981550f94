using KisFeed.Nats;
using KisFeed.TestKit;

using NATS.Client.JetStream;

namespace KisFeed.IntegrationTests.Nats;

/// <summary>
/// A three-node JetStream cluster (stream and KV buckets with 3 replicas), three gateway processes and a recorder given
/// every node's URL; the node leading the stream is killed (-9) mid-stream.
/// </summary>
public sealed class NatsClusterTests
{
    [Fact]
    public async Task KillingTheStreamLeaderOfAThreeNodeClusterLosesNothingAckedAndKeysNeverHaveTwoSessions()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(150);
        CancellationToken ct = deadline.Token;
        string[] codes = GatewayFailoverTests.Codes;
        Venue[] venues = GatewayFailoverTests.Venues;
        await using GatewayCluster cluster = await GatewayCluster.StartAsync(3, codes, venues, ct, natsNodes: 3);
        NatsFeedOptions feed = cluster.FeedOptions;
        string db = Path.Combine(cluster.Dir, "recorded.duckdb");
        GatewayProcess recorder = GatewayProcess.StartCli("recorder", ["record", "all", "--venue", "all", "--from", cluster.Url, "--db", db]);
        cluster.Gateways.Add(recorder);
        try
        {
            int withWork = await GatewayFailoverTests.WaitForSteadyStateAsync(cluster, ct);
            await NatsTestKit.WaitUntilAsync(() => GatewayFailoverTests.CommittedSeq(recorder) > 20, ct, "the recorder commits");

            // Really replicated: the stream and the lease bucket have 3 replicas, one leader and 2 followers.
            INatsJSStream stream = await cluster.Js.GetStreamAsync(feed.StreamName, cancellationToken: ct);
            Assert.Equal(3, stream.Info.Config.NumReplicas);
            Assert.Equal(2, stream.Info.Cluster!.Replicas!.Count);
            INatsJSStream leaseStream = await cluster.Js.GetStreamAsync("KV_" + feed.LeaseBucket, cancellationToken: ct);
            Assert.Equal(3, leaseStream.Info.Config.NumReplicas);
            // An operator's `kisfeed subs` with the defaults leaves the buckets' replicas alone.
            (int subsExit, string subsOut, string subsErr) = await Cli.CliHarness.RunAsync("subs", "list", "--nats", cluster.Url);
            Assert.True(subsExit == 0, subsErr);
            Assert.Contains($"{codes.Length * venues.Length} registration(s)", subsOut, StringComparison.Ordinal);
            Assert.Equal(3, (await cluster.Js.GetStreamAsync("KV_" + feed.DesiredBucket, cancellationToken: ct)).Info.Config.NumReplicas);
            string leader = stream.Info.Cluster.Leader!;
            NatsServer victim = cluster.Nodes.Single(n => n.Name == leader);

            Dictionary<ulong, FeedItem> acked = cluster.Stream.ToDictionary(i => i.StreamSequence, i => i.Item);
            victim.Kill();
            DateTimeOffset killed = DateTimeOffset.UtcNow;

            await NatsTestKit.WaitUntilAsync(async () =>
            {
                try
                {
                    string? now = (await cluster.Js.GetStreamAsync(feed.StreamName, cancellationToken: ct)).Info.Cluster?.Leader;
                    return now is not null && now != leader;
                }
                catch (Exception ex) when (ex is NATS.Client.Core.NatsException or TimeoutException)
                {
                    return false; // electing, or the test's connection moving to another node
                }
            }, ct, "another node leads the stream");
            await NatsTestKit.WaitUntilAsync(() => codes.All(c => venues.All(v => cluster.Trades.Any(t => t.Code == c && t.Venue == v && t.ReceivedAt > killed))), ct,
                "every registration has data after the node was killed");
            await NatsTestKit.WaitUntilAsync(async () =>
            {
                try
                {
                    return (await cluster.HoldersAsync(ct)).Count == withWork;
                }
                catch (Exception ex) when (ex is NATS.Client.Core.NatsException or TimeoutException)
                {
                    return false;
                }
            }, ct, $"{withWork} keys held");

            await GatewayFailoverTests.StopMarketAndCheckLedgerAsync(cluster, ct);

            // Nothing acknowledged before the kill was lost: same sequences, same content, on the surviving nodes.
            List<NatsFeedItem> after = await NatsTestKit.ReadAllAsync(cluster.Js, feed, acked.Count, ct);
            Dictionary<ulong, FeedItem> stored = after.ToDictionary(i => i.StreamSequence, i => i.Item);
            Assert.All(acked, a => Assert.Equal(a.Value.ToString(), stored.TryGetValue(a.Key, out FeedItem s) ? s.ToString() : "missing"));

            // The recorder continued through the kill: its database equals the stream and the ledger minus the gaps.
            ulong lastSeq = after[^1].StreamSequence;
            await NatsTestKit.WaitUntilAsync(() => GatewayFailoverTests.CommittedSeq(recorder) >= (long)lastSeq, ct, $"the recorder commits up to {lastSeq}");
            recorder.Terminate();
            await recorder.WaitForExitAsync(ct);
            (List<RecordedDb.Row> rows, List<DataGapEventArgs> gaps, List<long> gapSeqs) = RecordedDb.Read(db);
            // Every stream message up to the last one it committed, once (gateways may still publish gaps after the market stopped).
            List<long> seqs = [.. rows.Select(r => r.StreamSeq).Concat(gapSeqs).Order()];
            List<NatsFeedItem> final = await NatsTestKit.ReadAllAsync(cluster.Js, feed, 1, ct);
            Assert.Equal(final.Select(i => (long)i.StreamSequence).Where(q => q <= seqs[^1]), seqs);
            Reliability.LedgerCheck.Result fromDb = Reliability.LedgerCheck.Compare(Reliability.LedgerCheck.Distinct(cluster.Simulator.GetLedger()), rows.Select(r => r.Trade), gaps);
            Assert.True(fromDb.Holds, "database vs ledger: " + fromDb);
            Assert.Empty(fromDb.Duplicated);

            Assert.Empty(cluster.TwoSessions);
            Assert.Equal(0, cluster.Simulator.AlreadyInUseReplies);
            TestContext.Current.SendDiagnosticMessage($"killed {leader}; database vs ledger: {fromDb}");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException(ex.Message + "\n" + cluster.Describe(), ex);
        }
    }
}
