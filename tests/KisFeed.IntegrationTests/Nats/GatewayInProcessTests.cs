using KisFeed.IntegrationTests.Client;
using KisFeed.IntegrationTests.Reliability;
using KisFeed.Nats;
using KisFeed.Simulator;
using KisFeed.TestKit;

using NATS.Client.JetStream;

namespace KisFeed.IntegrationTests.Nats;

/// <summary>A <see cref="NatsGateway"/> in the test process: a KIS drop reaches the stream as gap messages.</summary>
public sealed class GatewayInProcessTests
{
    [Fact]
    public async Task AKisDropIsPublishedAsAGapOfEachRegistrationAndTheStreamMatchesTheLedger()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(60);
        CancellationToken ct = deadline.Token;
        await using NatsServer server = await NatsServer.StartAsync(ct);
        await using var nats = NatsTestKit.Connect(server);
        NatsJSContext js = NatsTestKit.Js(nats);
        NatsFeedOptions feed = NatsTestKit.Feed;
        IReadOnlyList<SimulatorCredential> keys = global::KisFeed.Cli.CliApp.DemoCredentials(1);
        await using KisSimulator sim = await KisSimulator.StartAsync(ClientTestKit.Sim with { Credentials = keys, UpdatesPerSecond = 10 }, ct);
        await FeedPublisher.EnsureStreamAsync(js, feed, ct);
        DesiredRegistrations desired = await DesiredRegistrations.OpenAsync(js, feed, ct);
        Registration[] regs = [new(Venue.Nxt, "005930"), new(Venue.Krx, "005930"), new(Venue.Nxt, "000660")];
        await desired.AddAsync(regs, ct);

        var events = new System.Collections.Concurrent.ConcurrentQueue<GatewayEvent>();
        await using var gateway = new NatsGateway(nats, [new AppKeyCredential(keys[0].AppKey, keys[0].AppSecret)], GatewayOptions.Default with
        {
            GatewayId = "in-process",
            Feed = feed,
            Session = KisOptions.Default with { WebSocketUri = new Uri(sim.WebSocketUri, "/tryitout"), RestUri = sim.RestBaseUri, Reconnect = ClientTestKit.FastReconnect },
        });
        gateway.Event += events.Enqueue;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task running = gateway.RunAsync(stop.Token);

        var stream = new System.Collections.Concurrent.ConcurrentQueue<NatsFeedItem>();
        var consumer = new FeedConsumer(js, feed);
        Task reading = Task.Run(async () =>
        {
            try
            {
                await foreach (NatsFeedItem item in consumer.ReadAsync([], VenueExtensions.All, FeedStart.AfterSequence(0), stop.Token))
                {
                    stream.Enqueue(item);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }, ct);

        await NatsTestKit.WaitUntilAsync(() => regs.All(r => stream.Any(i => i.Item.Kind == FeedItemKind.Trade && i.Item.Trade.Venue == r.Venue && i.Item.Trade.Code == r.Code)), ct, "data for every registration");
        await sim.DropAllSessionsAsync(DropMode.Abort);
        await NatsTestKit.WaitUntilAsync(() => regs.All(r => stream.Any(i => i.Item.Gap?.Registrations[0] == r)), ct, "a gap message for every registration");
        DateTimeOffset after = DateTimeOffset.UtcNow;
        await NatsTestKit.WaitUntilAsync(() => regs.All(r => stream.Any(i => i.Item.Kind == FeedItemKind.Trade && i.Item.Trade.ReceivedAt > after && i.Item.Trade.Code == r.Code && i.Item.Trade.Venue == r.Venue)), ct, "data again after the reconnect");

        sim.Stall(true);
        List<DataGapEventArgs> Gaps() => [.. stream.Where(i => i.Item.Kind == FeedItemKind.Gap).Select(i => new DataGapEventArgs(i.Item.Gap!))];
        LedgerCheck.Result Check() => LedgerCheck.Compare(LedgerCheck.Distinct(sim.GetLedger()), stream.Where(i => i.Item.Kind == FeedItemKind.Trade).Select(i => i.Item.Trade), Gaps());
        using (var settle = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            settle.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                await NatsTestKit.WaitUntilAsync(() => Check().Holds, settle.Token, "the stream holds the ledger minus the gaps");
            }
            catch (Xunit.Sdk.XunitException)
            {
                Assert.Fail(Check().ToString());
            }
        }

        await stop.CancelAsync();
        await running;
        await reading;
        Assert.Contains(events, e => e.Kind == GatewayEventKind.LeaseReleased);
        Assert.Contains(events, e => e.Kind == GatewayEventKind.Stopped);
        Assert.Equal(0, sim.AlreadyInUseReplies);
    }
}
