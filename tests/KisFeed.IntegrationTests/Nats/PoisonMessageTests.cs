using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json;

using DuckDB.NET.Data;

using KisFeed.Cli;
using KisFeed.Nats;
using KisFeed.TestKit;

using Microsoft.Extensions.Logging;

using NATS.Client.JetStream;

using Spectre.Console.Testing;

namespace KisFeed.IntegrationTests.Nats;

/// <summary>
/// Anyone who can connect may publish on <c>kisfeed.pgm.*</c>. A trade whose time of day is −1 tick made
/// <c>watch</c>, <c>record</c> and <c>serve --from nats://</c> exit with ArgumentOutOfRangeException, and a restarted
/// <c>record</c> met it again. Here forged messages are published with the raw NATS client on a real nats-server, and
/// every reader goes on, counts them, keeps a raw copy and resumes past them.
/// </summary>
public sealed class PoisonMessageTests
{
    private const int TicksOffset = 17; // header 7 + 6-character code, then i32 date: the i64 time of day

    /// <summary>A real-looking trade with its time of day set to −1 tick (what crashed the consumers).</summary>
    internal static byte[] MinusOneTick(string code = "005930")
    {
        byte[] b = FeedCodec.EncodeTrade(NatsTestKit.Trade(Venue.Nxt, code, 99_000));
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(TicksOffset), -1);
        return b;
    }

    private static async Task<ulong> PublishRawAsync(NatsJSContext js, string subject, byte[] payload, CancellationToken ct) =>
        (await js.PublishAsync(subject, payload, cancellationToken: ct)).Seq;

    private static async Task PublishGoodAsync(NatsJSContext js, NatsFeedOptions feed, IEnumerable<ProgramTrade> trades, CancellationToken ct)
    {
        await using var publisher = new FeedPublisher(js, feed);
        await publisher.PublishAllAsync(trades.Select(t => FeedItem.FromTrade(t)).ToAsyncEnumerable(), ct);
    }

    [Fact]
    public async Task AForgedMessageIsSkippedCountedByReasonMeteredAndLoggedOncePerReasonAndTheReadGoesOn()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(60);
        CancellationToken ct = deadline.Token;
        await using NatsServer server = await NatsServer.StartAsync(ct);
        await using var nats = NatsTestKit.Connect(server);
        NatsJSContext js = NatsTestKit.Js(nats);
        NatsFeedOptions feed = NatsTestKit.Feed;
        await FeedPublisher.EnsureStreamAsync(js, feed, ct);

        List<ProgramTrade> good = [.. Enumerable.Range(1, 20).Select(i => NatsTestKit.Trade(Venue.Nxt, "005930", i))];
        await PublishGoodAsync(js, feed, good[..10], ct);
        for (int i = 0; i < 30; i++)
        {
            await PublishRawAsync(js, "kisfeed.pgm.nxt.005930", MinusOneTick(), ct);
        }

        await PublishRawAsync(js, "kisfeed.pgm.nxt.005930", [0xde, 0xad, 0xbe, 0xef], ct); // garbage: an unknown version
        await PublishRawAsync(js, "kisfeed.pgm.nxt.005930", [], ct);
        await PublishRawAsync(js, "kisfeed.pgm.krx.005930", FeedCodec.EncodeTrade(good[0]), ct); // a real record on another venue's subject
        await PublishGoodAsync(js, feed, good[10..], ct);

        var logs = new ListLogger();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(logs));
        var rejectedByReason = new ConcurrentDictionary<string, long>();
        using var meter = new MeterListener();
        meter.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == NatsMetrics.MeterName && instrument.Name == "kisfeed.nats.rejected")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        meter.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "reason")
                {
                    rejectedByReason.AddOrUpdate((string)tag.Value!, value, (_, v) => v + value);
                }
            }
        });
        meter.Start();

        var consumer = new FeedConsumer(js, feed, loggers);
        List<ProgramTrade> read = [];
        await foreach (ProgramTrade t in consumer.ProgramTradesAsync([], VenueExtensions.All, FeedStart.AfterSequence(0), ct))
        {
            read.Add(t);
            if (read.Count == good.Count)
            {
                break;
            }
        }

        Assert.Equal(good, read); // every good record, in order; none of the forged ones
        FeedConsumerStatistics stats = consumer.Statistics;
        Assert.Equal(33, stats.Rejected);
        Assert.Equal(30, stats.RejectedByReason[FeedRejectReason.BadTime]);
        Assert.Equal(1, stats.RejectedByReason[FeedRejectReason.UnknownVersion]);
        Assert.Equal(1, stats.RejectedByReason[FeedRejectReason.Empty]);
        Assert.Equal(1, stats.RejectedByReason[FeedRejectReason.SubjectMismatch]);
        Assert.Equal(20, stats.Read);
        Assert.True(rejectedByReason.GetValueOrDefault("BadTime") >= 30, $"metered: {string.Join(", ", rejectedByReason)}");
        Assert.True(rejectedByReason.GetValueOrDefault("SubjectMismatch") >= 1);

        // One line per reason (the 30 of a kind are rate-limited to one), naming what was wrong and what to do.
        List<string> lines = [.. logs.Lines.Where(l => l.Contains("Rejected stream message", StringComparison.Ordinal))];
        Assert.Equal(4, lines.Count);
        string badTime = Assert.Single(lines, l => l.Contains("(BadTime)", StringComparison.Ordinal));
        Assert.Contains("kisfeed.pgm.nxt.005930", badTime, StringComparison.Ordinal);
        Assert.Contains("-1 ticks", badTime, StringComparison.Ordinal);
        Assert.Contains("not stored, not shown", badTime, StringComparison.Ordinal);
        Assert.Contains("publish rights", badTime, StringComparison.Ordinal);
        Assert.Contains("update this reader", Assert.Single(lines, l => l.Contains("(UnknownVersion)", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RecordFromNatsKeepsARawCopyGoesOnAndARestartResumesPastThePoisonMessage()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(120);
        CancellationToken ct = deadline.Token;
        using var dir = new TempDirectory();
        string db = Path.Combine(dir.Path, "poison.duckdb");
        await using NatsServer server = await NatsServer.StartAsync(ct);
        await using var nats = NatsTestKit.Connect(server);
        NatsJSContext js = NatsTestKit.Js(nats);
        NatsFeedOptions feed = NatsTestKit.Feed;
        await FeedPublisher.EnsureStreamAsync(js, feed, ct);
        List<ProgramTrade> good = [.. Enumerable.Range(1, 12).Select(i => NatsTestKit.Trade(Venue.Nxt, "005930", i))];
        await PublishGoodAsync(js, feed, good[..5], ct);
        byte[] poison = MinusOneTick();
        ulong poisonSeq = await PublishRawAsync(js, "kisfeed.pgm.nxt.005930", poison, ct);
        await PublishGoodAsync(js, feed, good[5..10], ct);

        string[] record = ["record", "all", "--venue", "all", "--from", server.Url, "--db", db];
        using (GatewayProcess first = GatewayProcess.StartCli("recorder", record))
        {
            await NatsTestKit.WaitUntilAsync(() => first.HasExited || GatewayFailoverTests.CommittedSeq(first) >= (long)poisonSeq + 5, ct, "the recorder commits past the poison message\n" + first.Output);
            Assert.False(first.HasExited, first.Output);
            Assert.Contains("rejected 1", first.Output, StringComparison.Ordinal);
            Assert.Single(first.Lines, l => l.Line.Contains("Rejected stream message", StringComparison.Ordinal) && l.Line.Contains("(BadTime)", StringComparison.Ordinal));
            first.Terminate();
            await first.WaitForExitAsync(ct);
        }

        (List<RecordedDb.Row> rows, _, List<long> positionsWithoutRow) = RecordedDb.Read(db);
        Assert.Equal(good[..10], rows.Select(r => r.Trade));
        Assert.Contains((long)poisonSeq, positionsWithoutRow); // its position was committed: a restart starts after it
        using (var connection = new DuckDBConnection($"Data Source={db};ACCESS_MODE=READ_ONLY"))
        {
            connection.Open();
            using DuckDBCommand c = connection.CreateCommand();
            c.CommandText = "SELECT stream, stream_seq, subject, reason, detail, payload, stored_at IS NOT NULL FROM rejected";
            using DuckDBDataReader r = c.ExecuteReader();
            Assert.True(r.Read());
            Assert.Equal((feed.StreamName, (long)poisonSeq, "kisfeed.pgm.nxt.005930", "BadTime"), (r.GetString(0), r.GetInt64(1), r.GetString(2), r.GetString(3)));
            Assert.Contains("-1 ticks", r.GetString(4), StringComparison.Ordinal);
            using Stream payload = r.GetStream(5);
            using var copy = new MemoryStream();
            await payload.CopyToAsync(copy, ct);
            Assert.Equal(poison, copy.ToArray()); // the raw bytes, as stored in the stream
            Assert.True(r.GetBoolean(6));
            Assert.False(r.Read());
        }

        // Restarted: it resumes after its last committed position, never meets the poison message again.
        await PublishGoodAsync(js, feed, good[10..], ct);
        ulong last = (await js.GetStreamAsync(feed.StreamName, cancellationToken: ct)).Info.State.LastSeq;
        using (GatewayProcess second = GatewayProcess.StartCli("recorder-2", record))
        {
            await NatsTestKit.WaitUntilAsync(() => second.HasExited || GatewayFailoverTests.CommittedSeq(second) >= (long)last, ct, "the restarted recorder commits the new records\n" + second.Output);
            Assert.False(second.HasExited, second.Output);
            Assert.Matches(@"after sequence (\d+)", second.Output);
            long resumedAfter = long.Parse(System.Text.RegularExpressions.Regex.Match(second.Output, @"after sequence (\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(resumedAfter > (long)poisonSeq, second.Output);
            Assert.Contains("rejected 0", second.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("Rejected stream message", second.Output, StringComparison.Ordinal);
            second.Terminate();
            await second.WaitForExitAsync(ct);
        }

        Assert.Equal(good, RecordedDb.Read(db).Rows.Select(r => r.Trade));
        (int exit, string info, string err) = await Cli.CliHarness.RunAsync("info", "--db", db);
        Assert.True(exit == 0, err);
        Assert.Contains("Rejected 1 stream message(s) (bad or forged; raw copies in table 'rejected'", info, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WatchAndServeFromNatsGoOnPastAPoisonMessageAndTheStatusCountsIt()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(120);
        CancellationToken ct = deadline.Token;
        using var dir = new TempDirectory();
        await using NatsServer server = await NatsServer.StartAsync(ct);
        await using var nats = NatsTestKit.Connect(server);
        NatsJSContext js = NatsTestKit.Js(nats);
        NatsFeedOptions feed = NatsTestKit.Feed;
        await FeedPublisher.EnsureStreamAsync(js, feed, ct);
        DateTimeOffset now = DateTimeOffset.UtcNow.AddSeconds(-30); // today's records: the board shows today
        List<ProgramTrade> good = [.. Enumerable.Range(1, 6).Select(i => NatsTestKit.Trade(Venue.Nxt, "005930", i, now.AddMilliseconds(i)))];
        await PublishGoodAsync(js, feed, good[..3], ct);
        await PublishRawAsync(js, "kisfeed.pgm.nxt.005930", MinusOneTick(), ct);
        await PublishGoodAsync(js, feed, good[3..], ct);

        using GatewayProcess watch = GatewayProcess.StartCli("watch", ["watch", "005930", "--venue", "nxt", "--from", server.Url, "--format", "jsonl"]);
        await NatsTestKit.WaitUntilAsync(() => watch.HasExited || watch.Lines.Count(l => l.Line.StartsWith('{')) >= good.Count, ct, "watch prints every good record\n" + watch.Output);
        Assert.False(watch.HasExited, watch.Output);
        List<long> sells = [.. watch.Lines.Where(l => l.Line.StartsWith('{')).Select(l => JsonDocument.Parse(l.Line).RootElement.GetProperty("sell_volume").GetInt64())];
        Assert.Equal(good.Select(t => t.SellVolume), sells);
        Assert.Single(watch.Lines, l => l.Line.Contains("Rejected stream message", StringComparison.Ordinal));

        var output = new LockedWriter();
        var errors = new LockedWriter();
        var console = new CliConsole(new TestConsole(), output, errors, IsTerminal: false, _ => null);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task<int> serve = CliApp.RunAsync(["serve", "005930", "--venue", "nxt", "--from", server.Url, "--db", Path.Combine(dir.Path, "board.duckdb"), "--port", "0"], console, stop.Token);
        await NatsTestKit.WaitUntilAsync(() => serve.IsCompleted || output.ToString().Contains("Ctrl-C", StringComparison.Ordinal), ct, "serve printed its address");
        Assert.False(serve.IsCompleted, $"{output} {errors}");
        var url = new Uri(output.ToString().Split('\n')[0].Trim()["KisFeed board: ".Length..]);
        using var http = new HttpClient();
        string source = string.Empty;
        for (var waited = System.Diagnostics.Stopwatch.StartNew(); !source.Contains("6 message(s) read", StringComparison.Ordinal); await Task.Delay(50, ct))
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), $"the board did not read every good message: {source}\n{output}\n{errors}");
            using JsonDocument status = JsonDocument.Parse(await http.GetStringAsync(new Uri(url, "api/status"), ct));
            source = status.RootElement.GetProperty("source").GetString()!;
        }

        Assert.Contains("1 rejected (bad or forged, skipped: see the log)", source, StringComparison.Ordinal);
        Assert.False(serve.IsCompleted);
        await stop.CancelAsync();
        Assert.Equal(0, await serve);
    }

    private sealed class ListLogger : ILoggerProvider, ILogger
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Enqueue(formatter(state, exception));

        public void Dispose()
        {
        }
    }
}
