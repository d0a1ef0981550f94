using System.Diagnostics;

using KisFeed.Nats;

namespace KisFeed.IntegrationTests.Nats;

/// <summary>
/// nats-server stopped (SIGTERM) while three gateway processes and a recorder run, for longer than the lease, then
/// started again on the same port and file store. T = 5 s, D = 2 s, R = 1 s.
/// </summary>
public sealed class NatsRestartTests
{
    [Fact]
    public async Task GatewaysCloseTheirSessionsWhenTheServerIsGoneLongerThanTheLeaseAndAfterItsRestartNothingAckedIsLost()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(120);
        CancellationToken ct = deadline.Token;
        string[] codes = GatewayFailoverTests.Codes;
        Venue[] venues = GatewayFailoverTests.Venues;
        await using GatewayCluster cluster = await GatewayCluster.StartAsync(3, codes, venues, ct);
        string db = Path.Combine(cluster.Dir, "recorded.duckdb");
        GatewayProcess recorder = GatewayProcess.StartCli("recorder", ["record", "all", "--venue", "all", "--from", cluster.Server.Url, "--db", db]);
        cluster.Gateways.Add(recorder);
        NatsFeedOptions feed = GatewayCluster.Feed;
        try
        {
            int withWork = await GatewayFailoverTests.WaitForSteadyStateAsync(cluster, ct);
            await NatsTestKit.WaitUntilAsync(() => GatewayFailoverTests.CommittedSeq(recorder) > 20, ct, "the recorder commits");
            IReadOnlyDictionary<string, string> holders = await cluster.HoldersAsync(ct);

            // What the stream acknowledged before the stop: every message a reader got is stored.
            Dictionary<ulong, FeedItem> acked = cluster.Stream.ToDictionary(i => i.StreamSequence, i => i.Item);
            long stoppedAt = GatewayProcess.Now;
            var down = Stopwatch.StartNew();
            await cluster.Server.TerminateAsync(ct);

            // No renewal can succeed now: each holder closes its sessions itself (rule 2: at s + T - D), while NATS is down.
            foreach ((string key, string holder) in holders)
            {
                GatewayProcess gateway = cluster.Gateways.Single(g => g.Id == holder);
                await NatsTestKit.WaitUntilAsync(() => gateway.Lines.Any(l => l.Order > stoppedAt && l.Line.Contains("session-closed " + key, StringComparison.Ordinal)), ct,
                    $"{holder} closes the session of {key} while NATS is down");
            }

            Assert.True(down.Elapsed < feed.LeaseTtl, $"the sessions were closed only {down.Elapsed.TotalSeconds:0.0}s after the stop, not before the leases could expire ({feed.LeaseTtl.TotalSeconds}s)");
            await NatsTestKit.WaitUntilAsync(() => cluster.Simulator.Sessions.Count(s => s.AppKey is not null) == 0, ct, "no session left at the simulator");

            // Down for longer than the lease: the server expires every lease (max age) when it comes back.
            await NatsTestKit.WaitUntilAsync(() => down.Elapsed > feed.LeaseTtl + feed.LeaseRenewInterval, ct, "down for longer than the lease");
            long restartedAt = GatewayProcess.Now;
            await cluster.Server.StartAgainAsync(ct);
            DateTimeOffset restarted = DateTimeOffset.UtcNow;

            await NatsTestKit.WaitUntilAsync(async () =>
            {
                try
                {
                    return (await cluster.HoldersAsync(ct)).Count == withWork;
                }
                catch (Exception ex) when (ex is NATS.Client.Core.NatsException or TimeoutException)
                {
                    return false; // the test's own connection is still reconnecting
                }
            }, ct, $"{withWork} keys held again after the restart");
            await NatsTestKit.WaitUntilAsync(() => codes.All(c => venues.All(v => cluster.Trades.Any(t => t.Code == c && t.Venue == v && t.ReceivedAt > restarted))), ct,
                "every registration has data again after the restart");
            Assert.Contains(cluster.Gateways.Where(g => g.Id.StartsWith("gw", StringComparison.Ordinal)), g => g.Lines.Any(l => l.Order > restartedAt && l.Line.Contains(" lease-acquired ", StringComparison.Ordinal)));

            await GatewayFailoverTests.StopMarketAndCheckLedgerAsync(cluster, ct);

            // Nothing acknowledged before the stop was lost by the restart (file store): same sequence, same content.
            List<NatsFeedItem> after = await NatsTestKit.ReadAllAsync(cluster.Js, feed, acked.Count, ct);
            Dictionary<ulong, FeedItem> stored = after.ToDictionary(i => i.StreamSequence, i => i.Item);
            Assert.All(acked, a => Assert.Equal(a.Value.ToString(), stored.TryGetValue(a.Key, out FeedItem s) ? s.ToString() : "missing"));

            // The recorder rode through the restart: its database equals the stream, and the ledger minus the gaps.
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

            // Never two sessions on one key, never OPSP8996.
            Assert.Empty(cluster.TwoSessions);
            Assert.Equal(0, cluster.Simulator.AlreadyInUseReplies);
            TestContext.Current.SendDiagnosticMessage($"down {down.Elapsed.TotalSeconds:0.0}s; database vs ledger: {fromDb}");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException(ex.Message + "\n" + cluster.Describe(), ex);
        }
    }
}
