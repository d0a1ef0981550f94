using System.Diagnostics;
using System.Text.Json;

using KisFeed.Nats;
using KisFeed.TestKit;

using NATS.Client.Core;
using NATS.Client.JetStream;

namespace KisFeed.IntegrationTests.Nats;

/// <summary>
/// Everything started at the same moment against a fresh three-node cluster whose JetStream has no meta leader yet:
/// five gateway processes, an operator's <c>subs add</c> and a consumer. Before the fix, gateways started together on a
/// fresh cluster exited with "No API response received from the server" (3 of 3, then 2 of 3). Ten rounds, each on a
/// fresh server: a three-node cluster in odd rounds (no meta leader at first), a single node in even ones (JetStream
/// starting), to keep the run near two minutes on a busy machine.
/// </summary>
public sealed class StartRaceTests
{
    private const int Rounds = 10;
    private const int Gateways = 5;

    [Fact]
    public async Task FiveGatewaysASubsAndAConsumerStartedTogetherOnAFreshServerAllComeUpTenTimes()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(240);
        CancellationToken ct = deadline.Token;
        using var dir = new TempDirectory();
        string keysFile = Path.Combine(dir.Path, "keys.json");
        // KIS is never reached here (its port is closed): the gateways only have to come up on NATS.
        await File.WriteAllTextAsync(keysFile, JsonSerializer.Serialize(new
        {
            keys = global::KisFeed.Cli.CliApp.DemoCredentials(2).Select(k => new { appkey = k.AppKey, appsecret = k.AppSecret }),
            ws_url = $"ws://127.0.0.1:{Cli.CliHarness.ClosedPort()}/tryitout",
            rest_url = $"http://127.0.0.1:{Cli.CliHarness.ClosedPort()}",
        }), ct);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keysFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        List<double> upIn = [];
        for (int round = 1; round <= Rounds; round++)
        {
            bool cluster = round % 2 == 1;
            NatsFeedOptions feed = NatsTestKit.Feed with { Replicas = cluster ? 3 : 1 };
            IReadOnlyList<NatsServer> nodes = cluster ? await NatsServer.StartClusterAsync(3, ct) : [await NatsServer.StartAsync(ct)];
            List<GatewayProcess> gateways = [];
            try
            {
                string url = string.Join(',', nodes.Select(n => n.Url));
                var clock = Stopwatch.StartNew();
                for (int i = 1; i <= Gateways; i++)
                {
                    gateways.Add(GatewayProcess.Start($"r{round}gw{i}", url, keysFile, feed));
                }

                await using var nats = new NatsConnection(NatsOpts.Default with { Url = url, Name = $"race-{round}" });
                var js = new NatsJSContext(nats);
                Task subs = Task.Run(async () =>
                {
                    DesiredRegistrations desired = await DesiredRegistrations.OpenOrCreateAsync(js, feed, ct);
                    await desired.AddAsync([new Registration(Venue.Nxt, "005930")], ct);
                }, ct);
                Task<NatsFeedItem> consumer = Task.Run(async () =>
                {
                    await foreach (NatsFeedItem item in new FeedConsumer(js, feed).ReadAsync([], VenueExtensions.All, FeedStart.AfterSequence(0), ct))
                    {
                        return item;
                    }

                    throw new InvalidOperationException("the read ended");
                }, ct);

                using var roundDeadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
                roundDeadline.CancelAfter(TimeSpan.FromSeconds(60));
                string Describe() => $"round {round}:\n" + string.Join('\n', gateways.Select(g => $"--- {g.Id}{(g.HasExited ? " (exited)" : string.Empty)}:\n{g.Output}"));
                await NatsTestKit.WaitUntilAsync(() => gateways.Any(g => g.HasExited) || gateways.All(Started), roundDeadline.Token, "every gateway started\n" + "(see output below)");
                Assert.False(gateways.Any(g => g.HasExited), Describe());
                await subs.WaitAsync(roundDeadline.Token);
                upIn.Add(clock.Elapsed.TotalSeconds);

                // The consumer came up too: it reads what is published now.
                await js.PublishAsync("kisfeed.pgm.nxt.005930", FeedCodec.EncodeTrade(NatsTestKit.Trade(Venue.Nxt, "005930", round)), cancellationToken: ct);
                NatsFeedItem first = await consumer.WaitAsync(roundDeadline.Token);
                Assert.Equal(NatsTestKit.Trade(Venue.Nxt, "005930", round), first.Item.Trade);
                Assert.Equal(feed.Replicas, (await js.GetStreamAsync(feed.StreamName, cancellationToken: ct)).Info.Config.NumReplicas);
                Assert.False(gateways.Any(g => g.HasExited), Describe());
            }
            finally
            {
                foreach (GatewayProcess g in gateways)
                {
                    g.Dispose();
                }

                foreach (NatsServer node in nodes)
                {
                    await node.DisposeAsync();
                }
            }
        }

        TestContext.Current.SendDiagnosticMessage($"{Rounds} rounds of {Gateways} gateways on a fresh 3-node cluster (odd rounds) or single node: all up after {string.Join(", ", upIn.Select(s => s.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)))} s");
    }

    private static bool Started(GatewayProcess g) => g.Lines.Any(l => l.Line.Contains(" started - gateway ", StringComparison.Ordinal));
}
