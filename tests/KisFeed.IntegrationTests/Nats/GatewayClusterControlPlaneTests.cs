using System.Diagnostics;

using KisFeed.Nats;
using KisFeed.TestKit;

using NATS.Client.JetStream;

namespace KisFeed.IntegrationTests.Nats;

/// <summary>
/// Three gateway processes on a three-node cluster; the node leading the meta group and the stream is killed (-9) and
/// stays down. Before the fix, every gateway step failed with "No API response received from the server" every few
/// seconds for as long as the node was down: no takeover, no rebalancing, and <c>kisfeed subs list</c> failed too.
/// Here, once the stream and the buckets have new leaders: leases are renewed without a loss, the keys of a gateway
/// killed in that window move, a new gateway gets its share, and <c>subs add|remove|list</c> work.
/// </summary>
public sealed class GatewayClusterControlPlaneTests
{
    [Fact]
    public async Task WithANodeDownRenewalTakeoverRebalancingAndSubsKeepWorking()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(170);
        CancellationToken ct = deadline.Token;
        string[] codes = GatewayFailoverTests.Codes;
        Venue[] venues = GatewayFailoverTests.Venues;
        await using GatewayCluster cluster = await GatewayCluster.StartAsync(3, codes, venues, ct, natsNodes: 3);
        NatsFeedOptions feed = cluster.FeedOptions;
        try
        {
            int withWork = await GatewayFailoverTests.WaitForSteadyStateAsync(cluster, ct);
            NatsServer victim = await ClusterLeaders.LeaderOfMetaAndStreamAsync(cluster.Nodes, cluster.Nats, feed.StreamName, ct);
            victim.Kill();
            var sinceKill = Stopwatch.StartNew();
            await ClusterLeaders.WaitForNewLeadersAsync(cluster.Js, ClusterLeaders.StreamsOf(feed), victim.Name, ct);
            TimeSpan elected = sinceKill.Elapsed;

            // Leases lost while nothing could be acknowledged (T − D = 3 s here) are taken again; then it is quiet.
            await WaitHeldAsync(cluster, withWork, ct);
            long quietFrom = GatewayProcess.Now;
            // Lease writes counted by the bucket's stream sequence (read from whichever node answers), not by the test's
            // own KV watch, which may still be re-creating its consumer after the node died.
            ulong renewalsBefore = await LeaseWritesAsync(cluster, ct);
            await Task.Delay(feed.LeaseRenewInterval * 8, ct); // observation window: 8 renew intervals
            List<string> trouble = [.. cluster.Gateways.SelectMany(g => g.Lines.Where(l => l.Order > quietFrom && (l.Line.Contains(" error ", StringComparison.Ordinal) || l.Line.Contains("lease-lost", StringComparison.Ordinal))).Select(l => $"{g.Id}: {l.Line}"))];
            Assert.True(trouble.Count == 0, "with a node down the gateways still failed:\n" + string.Join('\n', trouble));
            ulong renewals = await LeaseWritesAsync(cluster, ct) - renewalsBefore;
            Assert.True(renewals >= (ulong)(withWork * 6), $"{renewals} lease writes in 8 renew intervals for {withWork} held keys");

            // Takeover: kill -9 the gateway holding the most keys; the others take them after the leases expire.
            IReadOnlyDictionary<string, string> holders = await cluster.HoldersAsync(ct);
            string victimGateway = holders.Values.GroupBy(v => v).OrderByDescending(g => g.Count()).First().Key;
            GatewayProcess dead = cluster.Gateways.Single(g => g.Id == victimGateway);
            dead.Kill9();
            var sinceGatewayKill = Stopwatch.StartNew();
            await NatsTestKit.WaitUntilAsync(async () =>
            {
                IReadOnlyDictionary<string, string> now = await cluster.HoldersAsync(ct);
                return now.Count == withWork && !now.Values.Contains(victimGateway);
            }, ct, $"the keys of {victimGateway} are taken over");
            TimeSpan takeover = sinceGatewayKill.Elapsed;
            DateTimeOffset takenAt = DateTimeOffset.UtcNow;
            await NatsTestKit.WaitUntilAsync(() => codes.All(c => venues.All(v => cluster.Trades.Any(t => t.Code == c && t.Venue == v && t.ReceivedAt > takenAt))), ct, "every registration carries data after the takeover");

            // Rebalancing: a new gateway gets a share of the keys.
            GatewayProcess late = GatewayProcess.Start("gw4", cluster.Url, cluster.KeysFile, feed);
            cluster.Gateways.Add(late);
            var sinceJoin = Stopwatch.StartNew();
            await NatsTestKit.WaitUntilAsync(async () =>
            {
                IReadOnlyDictionary<string, string> now = await cluster.HoldersAsync(ct);
                return now.Count == withWork && now.Values.Contains("gw4");
            }, ct, "the new gateway gw4 gets keys");
            TimeSpan rebalanced = sinceJoin.Elapsed;

            // Operators: subs add, list and remove, each answered within a few seconds.
            var subs = Stopwatch.StartNew();
            (int addExit, string addOut, string addErr) = await Cli.CliHarness.RunAsync("subs", "add", "035720", "--venue", "nxt", "--nats", cluster.Url);
            Assert.True(addExit == 0, addOut + addErr);
            (int listExit, string listOut, string listErr) = await Cli.CliHarness.RunAsync("subs", "list", "--nats", cluster.Url);
            Assert.True(listExit == 0, listErr);
            Assert.Contains("nxt 035720", listOut, StringComparison.Ordinal);
            Assert.Contains($"{(codes.Length * venues.Length) + 1} registration(s)", listOut, StringComparison.Ordinal);
            await NatsTestKit.WaitUntilAsync(() => cluster.Trades.Any(t => t is { Code: "035720", Venue: Venue.Nxt }), ct, "the added registration carries data");
            (int removeExit, _, string removeErr) = await Cli.CliHarness.RunAsync("subs", "remove", "035720", "--venue", "nxt", "--nats", cluster.Url);
            Assert.True(removeExit == 0, removeErr);
            (_, string afterRemove, _) = await Cli.CliHarness.RunAsync("subs", "list", "--nats", cluster.Url);
            Assert.DoesNotContain("035720", afterRemove, StringComparison.Ordinal);
            TimeSpan subsTook = subs.Elapsed;

            Assert.Empty(cluster.TwoSessions);
            Assert.Equal(0, cluster.Simulator.AlreadyInUseReplies);
            Assert.True(takeover < TimeSpan.FromSeconds(20), $"takeover took {takeover}");
            Assert.True(rebalanced < TimeSpan.FromSeconds(30), $"rebalancing took {rebalanced}");
            TestContext.Current.SendDiagnosticMessage(
                $"killed {victim.Name}; new leaders after {elected.TotalSeconds:F1}s; {renewals} lease writes in {feed.LeaseRenewInterval.TotalSeconds * 8:0}s without an error; " +
                $"takeover of {victimGateway} {takeover.TotalSeconds:F1}s (T = {feed.LeaseTtl.TotalSeconds:0}s); gw4 got keys after {rebalanced.TotalSeconds:F1}s; subs add/list/data/remove/list {subsTook.TotalSeconds:F1}s");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException(ex.Message + "\n" + cluster.Describe(), ex);
        }
    }

    private static async Task WaitHeldAsync(GatewayCluster cluster, int withWork, CancellationToken ct) =>
        await NatsTestKit.WaitUntilAsync(async () =>
        {
            try
            {
                return (await cluster.HoldersAsync(ct)).Count == withWork;
            }
            catch (NATS.Client.Core.NatsException)
            {
                return false;
            }
        }, ct, $"{withWork} keys held");

    private static async Task<ulong> LeaseWritesAsync(GatewayCluster cluster, CancellationToken ct)
    {
        INatsJSStream stream = await cluster.Js.GetStreamAsync("KV_" + cluster.Leases.Leases.Bucket, cancellationToken: ct);
        return stream.Info.State.LastSeq;
    }
}
