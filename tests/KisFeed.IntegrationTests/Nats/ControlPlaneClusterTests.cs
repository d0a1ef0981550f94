using System.Collections.Concurrent;
using System.Diagnostics;

using KisFeed.Nats;
using KisFeed.TestKit;

using NATS.Client.Core;
using NATS.Client.JetStream;

namespace KisFeed.IntegrationTests.Nats;

/// <summary>
/// The control plane on a three-node cluster with the node that leads both the JetStream meta group and the stream
/// killed (-9). Before the fix every gateway step failed with "No API response received from the server" about one
/// time in two for as long as the node was down: listing a KV bucket's keys creates an R1 ephemeral consumer, which
/// nats-server 2.9 places on any peer of the bucket's stream, the dead one included, and that create is never answered.
/// </summary>
public sealed class ControlPlaneClusterTests
{
    private static readonly Registration[] Published = [new(Venue.Nxt, "005930"), new(Venue.Krx, "005930"), new(Venue.Nxt, "000660")];

    [Fact]
    public async Task WithTheMetaAndStreamLeaderDeadLeasesKeyListsSubsAndNewConsumersKeepWorkingAndOrderIsKept()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(150);
        CancellationToken ct = deadline.Token;
        IReadOnlyList<NatsServer> nodes = await NatsServer.StartClusterAsync(3, ct);
        try
        {
            string url = string.Join(',', nodes.Select(n => n.Url));
            await using var nats = new NatsConnection(NatsOpts.Default with { Url = url, Name = "control-plane-test" });
            var js = new NatsJSContext(nats);
            // Leases that outlive the set-up (moving the stream's leader takes a few seconds): T = 60 s, renewed by the steps below.
            NatsFeedOptions feed = NatsTestKit.Feed with { Replicas = 3, LeaseTtl = TimeSpan.FromSeconds(60), KisSilentSessionLifetime = TimeSpan.FromSeconds(30), LeaseRenewInterval = TimeSpan.FromSeconds(5) };

            // Opened right after the cluster started: the open methods wait out the election themselves.
            await FeedPublisher.EnsureStreamAsync(js, feed, ct);
            AppKeyLeaseStore leases = await AppKeyLeaseStore.OpenAsync(js, feed, ct);
            DesiredRegistrations desired = await DesiredRegistrations.OpenAsync(js, feed, ct);
            await desired.AddAsync([new Registration(Venue.Krx, "005930")], ct);
            AppKeyLease lease = (await leases.TryAcquireAsync("k-held", "gw-test", ct))!;
            await leases.HeartbeatAsync("gw-test", ct);

            // Records flow through the kill: one publisher, three registrations, values increasing by one each.
            await using var publisher = new FeedPublisher(js, feed);
            using var stopPublishing = CancellationTokenSource.CreateLinkedTokenSource(ct);
            int handed = 0;
            Task publishing = Task.Run(async () =>
            {
                for (int i = 1; !stopPublishing.IsCancellationRequested; i++)
                {
                    foreach (Registration r in Published)
                    {
                        await publisher.EnqueueAsync(FeedItem.FromTrade(NatsTestKit.Trade(r.Venue, r.Code, i)), stopPublishing.Token);
                    }

                    Volatile.Write(ref handed, i);
                    await Task.Delay(20, stopPublishing.Token);
                }
            }, ct);

            // A reader started before the kill must keep reading after it.
            var live = new ConcurrentQueue<(long At, NatsFeedItem Item)>();
            var clock = Stopwatch.StartNew();
            var reader = new FeedConsumer(js, feed);
            using var stopReading = CancellationTokenSource.CreateLinkedTokenSource(ct);
            Task reading = Task.Run(async () =>
            {
                try
                {
                    await foreach (NatsFeedItem item in reader.ReadAsync([], VenueExtensions.All, FeedStart.AfterSequence(0), stopReading.Token))
                    {
                        live.Enqueue((clock.ElapsedMilliseconds, item));
                    }
                }
                catch (OperationCanceledException) when (stopReading.IsCancellationRequested)
                {
                }
            }, ct);
            await NatsTestKit.WaitUntilAsync(() => live.Count > 30, ct, "the reader reads");

            NatsServer victim = await ClusterLeaders.LeaderOfMetaAndStreamAsync(nodes, nats, feed.StreamName, ct);
            victim.Kill();
            long killedAt = clock.ElapsedMilliseconds;

            // The stream and the buckets elect new leaders (a few seconds); from then on every step must work, each
            // within a few seconds, for as long as the node stays down.
            await ClusterLeaders.WaitForNewLeadersAsync(js, ClusterLeaders.StreamsOf(feed), victim.Name, ct);
            long electedAt = clock.ElapsedMilliseconds;
            long consumerRestarts = 0;
            List<string> failures = [];
            Dictionary<string, long> worst = [];
            async Task Step(string name, Func<Task<bool>> step)
            {
                var watch = Stopwatch.StartNew();
                bool ok;
                string error = "wrong result";
                try
                {
                    ok = await step();
                }
                catch (Exception ex) when (ex is NatsException or TimeoutException)
                {
                    ok = false;
                    error = ex.Message;
                }

                worst[name] = Math.Max(worst.GetValueOrDefault(name), watch.ElapsedMilliseconds);
                if (!ok || watch.Elapsed > TimeSpan.FromSeconds(10))
                {
                    failures.Add($"{clock.Elapsed.TotalSeconds:F1}s {name}: {(ok ? "took " + watch.ElapsedMilliseconds + " ms" : error)}");
                }
            }

            int round = 0;
            var window = Stopwatch.StartNew();
            while (window.Elapsed < TimeSpan.FromSeconds(20))
            {
                round++;
                var added = new Registration(Venue.Nxt, (100_000 + round).ToString(System.Globalization.CultureInfo.InvariantCulture));
                await Step("renew", async () => await leases.RenewAsync(lease, ct) == LeaseRenewal.Renewed);
                await Step("heartbeat", async () =>
                {
                    await leases.HeartbeatAsync("gw-test", ct);
                    return true;
                });
                await Step("live gateways", async () => (await leases.LiveGatewaysAsync(ct)).Contains("gw-test"));
                await Step("holders", async () => (await leases.HoldersAsync(ct)).GetValueOrDefault("k-held") == "gw-test");
                await Step("take and release", async () =>
                {
                    AppKeyLease? taken = await leases.TryAcquireAsync("k-round-" + round, "gw-test", ct);
                    if (taken is null)
                    {
                        return false;
                    }

                    await leases.ReleaseAsync(taken, ct);
                    return true;
                });
                await Step("subs add + list", async () =>
                {
                    await desired.AddAsync([added], ct);
                    return (await desired.ListAsync(ct)).Contains(added);
                });
                await Step("subs remove + list", async () =>
                {
                    await desired.RemoveAsync([added], ct);
                    return !(await desired.ListAsync(ct)).Contains(added);
                });
                await Step("new consumer", async () =>
                {
                    using var first = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    first.CancelAfter(TimeSpan.FromSeconds(10));
                    try
                    {
                        var fresh = new FeedConsumer(js, feed);
                        await foreach (NatsFeedItem _ in fresh.ReadAsync(["000660"], [Venue.Nxt], FeedStart.AfterSequence(0), first.Token))
                        {
                            consumerRestarts += fresh.Statistics.Restarts;
                            return true;
                        }
                    }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                    {
                    }

                    return false;
                });
            }

            string measured = string.Join(", ", worst.Select(w => $"{w.Key} {w.Value} ms"));
            TestContext.Current.SendDiagnosticMessage($"killed {victim.Name} at {killedAt / 1000.0:F1}s, new leaders {(electedAt - killedAt) / 1000.0:F1}s later; {round} rounds; worst: {measured}; new consumers re-created {consumerRestarts} time(s) in all");
            Assert.True(electedAt - killedAt < 15_000, $"no new leaders for {electedAt - killedAt} ms after the kill");
            Assert.True(round >= 5, $"only {round} rounds in 20 s; worst: {measured}");
            Assert.True(failures.Count == 0, string.Join("\n", failures) + "\nworst: " + measured);
            Assert.Equal(["gw-test"], await leases.LiveGatewaysAsync(ct));

            // The reader from before the kill read on: records stored after the kill reached it.
            long liveBefore = live.Count;
            await NatsTestKit.WaitUntilAsync(() => live.Count > liveBefore + 30, ct, "the reader started before the kill still reads");

            // Per registration, the stream holds every record handed to the publisher once, in the order handed over,
            // across the leader change and whatever publishes were retried.
            await stopPublishing.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => publishing);
            await publisher.DrainAsync(ct);
            int last = Volatile.Read(ref handed);
            List<NatsFeedItem> stream = await NatsTestKit.ReadAllAsync(js, feed, 1, ct);
            foreach (Registration r in Published)
            {
                List<long> sells = [.. stream.Where(i => i.Item.Trade.Venue == r.Venue && i.Item.Trade.Code == r.Code).Select(i => i.Item.Trade.SellVolume - 1000)];
                Assert.Equal(Enumerable.Range(1, sells.Count).Select(i => (long)i), sells);
                Assert.True(sells.Count >= last, $"{r}: {sells.Count} stored, {last} handed over");
            }

            TestContext.Current.SendDiagnosticMessage($"published {publisher.Statistics.Published}, retries {publisher.Statistics.Retries}; the live reader re-created its consumer {reader.Statistics.Restarts} time(s)");
            await stopReading.CancelAsync();
            await reading;
        }
        finally
        {
            foreach (NatsServer node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }
}
