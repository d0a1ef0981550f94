using KisFeed.TestKit;

using NATS.Client.Core;
using NATS.Client.JetStream;

namespace KisFeed.IntegrationTests.Nats;

/// <summary>Finds (and arranges) which node of a test cluster leads the JetStream meta group and a stream.</summary>
internal static class ClusterLeaders
{
    /// <summary>The meta leader as the running nodes see it (their <c>/jsz</c>), once they agree on one.</summary>
    public static async Task<string> MetaLeaderAsync(IReadOnlyList<NatsServer> nodes, CancellationToken ct)
    {
        while (true)
        {
            foreach (NatsServer node in nodes.Where(n => n.IsRunning))
            {
                try
                {
                    if (await node.MetaLeaderAsync(ct) is { } leader)
                    {
                        return leader;
                    }
                }
                catch (HttpRequestException)
                {
                }
            }

            await Task.Delay(100, ct);
        }
    }

    /// <summary>
    /// Asks the stream's leader to step down until the node leading the meta group leads <paramref name="stream"/> too
    /// (the node the issue killed led both); returns that node.
    /// </summary>
    public static async Task<NatsServer> LeaderOfMetaAndStreamAsync(IReadOnlyList<NatsServer> nodes, INatsConnection nats, string stream, CancellationToken ct)
    {
        var js = new NatsJSContext(nats);
        while (true)
        {
            string meta = await MetaLeaderAsync(nodes, ct);
            try
            {
                string? leader = (await js.GetStreamAsync(stream, cancellationToken: ct)).Info.Cluster?.Leader;
                if (leader == meta)
                {
                    return nodes.Single(n => n.Name == meta);
                }

                await nats.RequestAsync<byte[], byte[]>($"$JS.API.STREAM.LEADER.STEPDOWN.{stream}", [], cancellationToken: ct);
            }
            catch (NatsException)
            {
                // electing
            }

            await Task.Delay(500, ct);
        }
    }

    /// <summary>Waits until every one of <paramref name="streams"/> answers with a leader other than <paramref name="dead"/>.</summary>
    public static async Task WaitForNewLeadersAsync(INatsJSContext js, IEnumerable<string> streams, string dead, CancellationToken ct)
    {
        string[] names = [.. streams];
        await NatsTestKit.WaitUntilAsync(async () =>
        {
            foreach (string name in names)
            {
                try
                {
                    string? leader = (await js.GetStreamAsync(name, cancellationToken: ct)).Info.Cluster?.Leader;
                    if (string.IsNullOrEmpty(leader) || leader == dead)
                    {
                        return false;
                    }
                }
                catch (NatsException)
                {
                    return false;
                }
            }

            return true;
        }, ct, "the stream and the buckets have new leaders");
    }

    /// <summary>The stream and the three buckets of a deployment.</summary>
    public static string[] StreamsOf(KisFeed.Nats.NatsFeedOptions feed) => [feed.StreamName, "KV_" + feed.LeaseBucket, "KV_" + feed.GatewayBucket, "KV_" + feed.DesiredBucket];
}
