using System.Net.ServerSentEvents;
using System.Text.Json;

using KisFeed.Cli;
using KisFeed.IntegrationTests.Client;
using KisFeed.Nats;
using KisFeed.Simulator;
using KisFeed.TestKit;

using NATS.Client.JetStream;

using Spectre.Console.Testing;

namespace KisFeed.IntegrationTests.Nats;

/// <summary>`kisfeed serve --from nats://…`: gateway → JetStream → the web board, checked through its HTTP and SSE API.</summary>
public sealed class ServeFromNatsTests
{
    private static readonly Registration[] Regs = [new(Venue.Nxt, "005930"), new(Venue.Nxt, "000660")];

    [Fact]
    public async Task TheBoardShowsTheWholeDayFromTheStreamRecordsItOnceAndResumesOnTheSameFile()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(120);
        CancellationToken ct = deadline.Token;
        using var dir = new TempDirectory();
        string db = Path.Combine(dir.Path, "board.duckdb");
        await using NatsServer server = await NatsServer.StartAsync(ct);
        await using var nats = NatsTestKit.Connect(server);
        NatsJSContext js = NatsTestKit.Js(nats);
        NatsFeedOptions feed = NatsTestKit.Feed;
        IReadOnlyList<SimulatorCredential> keys = CliApp.DemoCredentials(1);
        await using KisSimulator sim = await KisSimulator.StartAsync(ClientTestKit.Sim with { Credentials = keys, UpdatesPerSecond = 10 }, ct);
        await FeedPublisher.EnsureStreamAsync(js, feed, ct);
        DesiredRegistrations desired = await DesiredRegistrations.OpenAsync(js, feed, ct);
        await desired.AddAsync(Regs, ct);
        await using var gateway = new NatsGateway(nats, [new AppKeyCredential(keys[0].AppKey, keys[0].AppSecret)], GatewayOptions.Default with
        {
            GatewayId = "serve-test",
            Feed = feed,
            Session = KisOptions.Default with { WebSocketUri = new Uri(sim.WebSocketUri, "/tryitout"), RestUri = sim.RestBaseUri, Reconnect = ClientTestKit.FastReconnect },
        });
        using var stopGateway = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task gatewayRun = gateway.RunAsync(stopGateway.Token);

        // The stream has part of the day before the board starts: the board must still show it.
        await NatsTestKit.WaitUntilAsync(async () => (await js.GetStreamAsync(feed.StreamName, cancellationToken: ct)).Info.State.LastSeq >= 30, ct, "30 messages in the stream");
        using var http = new HttpClient();

        await using (Serving first = await Serving.StartAsync(server.Url, db, ct))
        {
            using JsonDocument status = JsonDocument.Parse(await http.GetStringAsync(new Uri(first.Url, "api/status"), ct));
            Assert.Equal("live", status.RootElement.GetProperty("mode").GetString());
            Assert.Equal("Open", status.RootElement.GetProperty("state").GetString());
            Assert.Contains($"NATS: {server.Url} stream {feed.StreamName}, from today's first record", status.RootElement.GetProperty("source").GetString(), StringComparison.Ordinal);

            // The page's event stream: its first event is a snapshot with a row per registration.
            using (HttpResponseMessage events = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(first.Url, "api/events")), HttpCompletionOption.ResponseHeadersRead, ct))
            {
                await using Stream body = await events.Content.ReadAsStreamAsync(ct);
                SseItem<string> snapshot = await SseParser.Create(body).EnumerateAsync(ct).FirstAsync(e => e.EventType == "snapshot", ct);
                using JsonDocument data = JsonDocument.Parse(snapshot.Data);
                Assert.Contains("NATS", data.RootElement.GetProperty("status").GetProperty("source").GetString(), StringComparison.Ordinal);
            }

            await NatsTestKit.WaitUntilAsync(
                async () =>
                {
                    foreach (Registration r in Regs)
                    {
                        if (await SnapshotUpdatesAsync(first.Url, http, r, ct) == 0)
                        {
                            return false;
                        }
                    }

                    return true;
                }, ct, "a board row with updates for every registration");

            // Stop the data; then the board's recorded ranking must count exactly the stream's trades of each registration,
            // from the first message of the day.
            sim.Stall(true);
            Dictionary<Registration, int> inStream = await TradesPerRegistrationAsync(js, feed, ct);
            await NatsTestKit.WaitUntilAsync(async () => (await RankingUpdatesAsync(http, first.Url, ct)).SequenceEqual(inStream.OrderBy(k => k.Key.Code)), ct, "the recorded ranking equals the stream");
        }

        // The file holds every trade of the stream, from its first message, once each.
        (List<RecordedDb.Row> rows, _, _) = RecordedDb.Read(db);
        List<long> tradeSeqs = [.. (await NatsTestKit.ReadAllAsync(js, feed, 1, ct)).Where(i => i.Item.Kind == FeedItemKind.Trade).Select(i => (long)i.StreamSequence)];
        Assert.Equal(tradeSeqs, rows.Select(r => r.StreamSeq));
        int firstCount = rows.Count;

        // Again on the same file: it resumes after its last stream sequence, so new records are added once and old ones not again.
        sim.Stall(false);
        ulong before = (await js.GetStreamAsync(feed.StreamName, cancellationToken: ct)).Info.State.LastSeq;
        await NatsTestKit.WaitUntilAsync(async () => (await js.GetStreamAsync(feed.StreamName, cancellationToken: ct)).Info.State.LastSeq >= before + 20, ct, "20 more messages");
        await using (Serving second = await Serving.StartAsync(server.Url, db, ct))
        {
            Assert.Contains("after stream sequence", second.Output, StringComparison.Ordinal);
            sim.Stall(true);
            Dictionary<Registration, int> inStream = await TradesPerRegistrationAsync(js, feed, ct);
            await NatsTestKit.WaitUntilAsync(async () => (await RankingUpdatesAsync(http, second.Url, ct)).SequenceEqual(inStream.OrderBy(k => k.Key.Code)), ct, "the recorded ranking equals the stream after the resume");
        }

        (rows, _, _) = RecordedDb.Read(db);
        List<NatsFeedItem> stream = await NatsTestKit.ReadAllAsync(js, feed, 1, ct);
        Assert.True(rows.Count > firstCount);
        Assert.Equal(
            stream.Where(i => i.Item.Kind == FeedItemKind.Trade).Select(i => (long)i.StreamSequence),
            rows.Select(r => r.StreamSeq));
        Assert.Equal(stream.Where(i => i.Item.Kind == FeedItemKind.Trade).Select(i => i.Item.Trade with { ReceivedAt = default }), rows.Select(r => r.Trade with { ReceivedAt = default }));

        await stopGateway.CancelAsync();
        await gatewayRun;
    }

    private static async Task<int> SnapshotUpdatesAsync(Uri url, HttpClient http, Registration r, CancellationToken ct)
    {
        using HttpResponseMessage events = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, new Uri(url, "api/events")), HttpCompletionOption.ResponseHeadersRead, ct);
        await using Stream body = await events.Content.ReadAsStreamAsync(ct);
        SseItem<string> snapshot = await SseParser.Create(body).EnumerateAsync(ct).FirstAsync(e => e.EventType == "snapshot", ct);
        using JsonDocument data = JsonDocument.Parse(snapshot.Data);
        return data.RootElement.GetProperty("rows").EnumerateArray()
            .Where(row => row.GetProperty("code").GetString() == r.Code && row.GetProperty("venue").GetString() == "nxt")
            .Select(row => (int)row.GetProperty("updates").GetInt64()).FirstOrDefault();
    }

    private static async Task<List<KeyValuePair<Registration, int>>> RankingUpdatesAsync(HttpClient http, Uri url, CancellationToken ct)
    {
        using JsonDocument ranking = JsonDocument.Parse(await http.GetStringAsync(new Uri(url, "api/ranking"), ct));
        return [.. ranking.RootElement.EnumerateArray()
            .Select(row => new KeyValuePair<Registration, int>(new Registration(Venue.Nxt, row.GetProperty("code").GetString()!), (int)row.GetProperty("updates").GetInt64()))
            .OrderBy(k => k.Key.Code)];
    }

    /// <summary>Trades per registration in the stream once it stopped growing.</summary>
    private static async Task<Dictionary<Registration, int>> TradesPerRegistrationAsync(NatsJSContext js, NatsFeedOptions feed, CancellationToken ct)
    {
        ulong last = 0;
        while (true)
        {
            await Task.Delay(500, ct); // the publisher's in-flight messages land; a quiet half second means it stopped
            ulong now = (await js.GetStreamAsync(feed.StreamName, cancellationToken: ct)).Info.State.LastSeq;
            if (now == last)
            {
                break;
            }

            last = now;
        }

        List<NatsFeedItem> items = await NatsTestKit.ReadAllAsync(js, feed, 1, ct);
        return items.Where(i => i.Item.Kind == FeedItemKind.Trade)
            .GroupBy(i => new Registration(i.Item.Trade.Venue, i.Item.Trade.Code))
            .ToDictionary(g => g.Key, g => g.Count());
    }

    /// <summary>`kisfeed serve --from` run in-process; disposing stops it and waits for its exit.</summary>
    private sealed class Serving : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop;
        private readonly Task<int> _run;
        private readonly LockedWriter _out;

        private Serving(CancellationTokenSource stop, Task<int> run, LockedWriter output, Uri url)
        {
            _stop = stop;
            _run = run;
            _out = output;
            Url = url;
        }

        public Uri Url { get; }

        public string Output => _out.ToString();

        public static async Task<Serving> StartAsync(string natsUrl, string db, CancellationToken ct)
        {
            var output = new LockedWriter();
            var errors = new LockedWriter();
            var console = new CliConsole(new TestConsole(), output, errors, IsTerminal: false, _ => null);
            var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            Task<int> run = CliApp.RunAsync(["serve", "005930", "000660", "--venue", "nxt", "--from", natsUrl, "--db", db, "--port", "0"], console, stop.Token);
            await NatsTestKit.WaitUntilAsync(() => run.IsCompleted || output.ToString().Contains("Ctrl-C", StringComparison.Ordinal), ct, "serve printed its address");
            Assert.False(run.IsCompleted, $"serve ended: {output} {errors}");
            string line = output.ToString().Split('\n')[0].Trim();
            Assert.StartsWith("KisFeed board: http://127.0.0.1:", line, StringComparison.Ordinal);
            return new Serving(stop, run, output, new Uri(line["KisFeed board: ".Length..]));
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            Assert.Equal(0, await _run);
            _stop.Dispose();
        }
    }
}
