using System.Diagnostics;

using KisFeed.Nats;

using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace KisFeed.IntegrationTests.Nats;

public sealed class ControlPlaneProbe
{
    [Fact]
    public async Task Probe()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(170);
        CancellationToken ct = deadline.Token;
        IReadOnlyList<NatsServer> nodes = await NatsServer.StartClusterAsync(3, ct);
        try
        {
            string url = string.Join(',', nodes.Select(n => n.Url));
            await using var nats = new NatsConnection(NatsOpts.Default with { Url = url, Name = "probe" });
            var js = new NatsJSContext(nats);
            NatsFeedOptions feed = NatsTestKit.Feed with { Replicas = 3 };
            INatsJSStream stream = null!;
            for (int i = 0; ; i++)
            {
                try
                {
                    stream = await FeedPublisher.EnsureStreamAsync(js, feed, ct);
                    break;
                }
                catch (Exception) when (i < 100)
                {
                    await Task.Delay(200, ct);
                }
            }

            AppKeyLeaseStore leases = await AppKeyLeaseStore.OpenAsync(js, feed, ct);
            DesiredRegistrations desired = await DesiredRegistrations.OpenAsync(js, feed, ct);
            await desired.AddAsync([new Registration(Venue.Krx, "005930"), new Registration(Venue.Nxt, "005930")], ct);
            await js.PublishAsync("kisfeed.pgm.krx.005930", FeedCodec.EncodeTrade(NatsTestKit.Trade(Venue.Krx, "005930", 1)), cancellationToken: ct);
            AppKeyLease lease = (await leases.TryAcquireAsync("k0001", "probe", ct))!;
            await leases.HeartbeatAsync("probe", ct);

            // Make one node lead both the meta group and the stream.
            string? meta = null;
            while (meta is null)
            {
                meta = await nodes[0].MetaLeaderAsync(ct);
            }

            for (int i = 0; i < 20; i++)
            {
                stream = await js.GetStreamAsync(feed.StreamName, cancellationToken: ct);
                if (stream.Info.Cluster!.Leader == meta)
                {
                    break;
                }

                try
                {
                    await nats.RequestAsync<byte[], byte[]>($"$JS.API.STREAM.LEADER.STEPDOWN.{feed.StreamName}", [], cancellationToken: ct);
                }
                catch (NatsException)
                {
                }

                await Task.Delay(1000, ct);
            }

            TestContext.Current.SendDiagnosticMessage($"meta {meta}, stream leader {stream.Info.Cluster!.Leader}, connected to {nats.ServerInfo?.Name}");
            NatsServer victim = nodes.Single(n => n.Name == meta);
            List<(string Name, string Leader)> made = [];
            for (int k = 0; k < 9; k++)
            {
                string body = "{\"stream_name\":\"KV_" + feed.DesiredBucket + "\",\"config\":{\"deliver_subject\":\"" + nats.NewInbox() + "\",\"deliver_policy\":\"last_per_subject\",\"ack_policy\":\"none\",\"mem_storage\":true,\"num_replicas\":1,\"inactive_threshold\":300000000000,\"filter_subject\":\"$KV." + feed.DesiredBucket + ".>\"}}";
                NatsMsg<string> reply = await nats.RequestAsync<string, string>("$JS.API.CONSUMER.CREATE.KV_" + feed.DesiredBucket, body, cancellationToken: ct);
                using var doc = System.Text.Json.JsonDocument.Parse(reply.Data!);
                made.Add((doc.RootElement.GetProperty("name").GetString()!, doc.RootElement.GetProperty("cluster").GetProperty("leader").GetString()!));
            }

            // A live reader of KISFEED, to see how long it stalls.
            var lastRead = Stopwatch.StartNew();
            long readCount = 0;
            using var readerStop = new CancellationTokenSource();
            Task reader = Task.Run(async () =>
            {
                try
                {
                    await foreach (NatsFeedItem _ in new FeedConsumer(js, feed).ReadAsync([], VenueExtensions.All, FeedStart.AfterSequence(0), readerStop.Token))
                    {
                        Interlocked.Increment(ref readCount);
                        lastRead.Restart();
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    await File.WriteAllTextAsync("/tmp/probe-reader.log", ex.ToString(), CancellationToken.None);
                }
            }, ct);
            await Task.Delay(1000, ct);
            victim.Kill();
            var clock = Stopwatch.StartNew();
            var log = new System.Text.StringBuilder();
            async Task Op(string name, Func<Task> op)
            {
                var sw = Stopwatch.StartNew();
                try
                {
                    await op();
                    log.AppendLine($"{clock.Elapsed.TotalSeconds,6:F1} {name,-12} ok   {sw.ElapsedMilliseconds} ms");
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    log.AppendLine($"{clock.Elapsed.TotalSeconds,6:F1} {name,-12} FAIL {sw.ElapsedMilliseconds} ms {ex.GetType().Name}: {ex.Message}");
                }
            }

            var rawNats = nats;
            for (int i = 0; i < 50 && clock.Elapsed < TimeSpan.FromSeconds(100); i++)
            {
                await Task.Delay(500, ct);
                if (i == 6)
                {
                    foreach ((string name, string leader) in made)
                    {
                        await Op("delete-" + leader, async () =>
                        {
                            NatsMsg<string> reply = await nats.RequestAsync<string, string>($"$JS.API.CONSUMER.DELETE.KV_{feed.DesiredBucket}.{name}", "", replyOpts: new NatsSubOpts { Timeout = TimeSpan.FromSeconds(2) }, cancellationToken: ct);
                            log.Append($"[{reply.Data}] ");
                        });
                    }
                }

                await Op("publish", async () => (await js.PublishAsync("kisfeed.pgm.krx.005930", FeedCodec.EncodeTrade(NatsTestKit.Trade(Venue.Krx, "005930", i + 5)), cancellationToken: ct)).EnsureSuccess());
                log.AppendLine($"   reader: {Interlocked.Read(ref readCount)} read, last {lastRead.Elapsed.TotalSeconds:F1}s ago");
                await Op("subjects", async () =>
                {
                    INatsJSStream s = await js.GetStreamAsync("KV_" + feed.DesiredBucket, new StreamInfoRequest { SubjectsFilter = ">" }, ct);
                    log.Append($"[{s.Info.State.Subjects?.Count} subjects] ");
                });
                if (i % 20 == 0)
                {
                    foreach (NatsServer node in nodes.Where(x => x.IsRunning))
                    {
                        using var http = new HttpClient();
                        string jsz = await http.GetStringAsync(new Uri($"http://127.0.0.1:{node.MonitorPort}/jsz"), ct);
                        int at = jsz.IndexOf("meta_cluster", StringComparison.Ordinal);
                        log.AppendLine($"{node.Name} jsz: {jsz[at..Math.Min(jsz.Length, at + 600)].Replace("\n", " ", StringComparison.Ordinal)}");
                    }
                }
            }

            await readerStop.CancelAsync();
            TestContext.Current.SendDiagnosticMessage(log.ToString());
            await File.WriteAllTextAsync("/tmp/probe.log", log.ToString(), ct);
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
