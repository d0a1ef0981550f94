using System.CommandLine;
using System.CommandLine.Invocation;
using System.Runtime.CompilerServices;

using KisFeed.Nats;
using KisFeed.Storage;
using KisFeed.Web;

using NATS.Client.Core;
using NATS.Client.JetStream;

namespace KisFeed.Cli;

/// <summary><c>serve --from nats://…</c>: the web board fed from a KisFeed JetStream stream instead of KIS.</summary>
internal static partial class CliApp
{
    /// <summary>Adds <c>--from</c> to the <c>serve</c> command: with it, the board reads the stream; without it, the command runs as before.</summary>
    private static Command WithNatsServe(Command serve, CliConsole console)
    {
        Option<string?> from = new("--from") { Description = "Serve the board from a KisFeed NATS stream (nats://host:port) instead of KIS: the whole day from its first record, then live; recorded into --db with each row's stream sequence (a restart on the same file resumes, no duplicates). Codes 'all' or none = every code." };
        serve.Options.Add(from);
        NatsAuthOptions natsAuth = new NatsAuthOptions().AddTo(serve);
        CommandLineAction? original = serve.Action;
        serve.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(from) is not { } url)
            {
                return original is AsynchronousCommandLineAction a ? await a.InvokeAsync(parse, ct) : original is SynchronousCommandLineAction s ? s.Invoke(parse) : 1;
            }

            return await Guard(console, token => ServeFromNatsAsync(console, url, natsAuth.Read(parse, console), parse, token), parse.GetValue<TimeSpan?>("--duration"), ct);
        });
        return serve;
    }

    private static async Task<int> ServeFromNatsAsync(CliConsole console, string url, NatsCredentials credentials, ParseResult parse, CancellationToken token)
    {
        if (parse.GetValue<bool>("--replay"))
        {
            throw CliException.Usage("--from and --replay exclude each other: --replay shows a recorded file, --from follows a NATS stream.");
        }

        string[] codes = parse.GetValue<string[]>("codes") ?? [];
        IReadOnlyList<string> filter = codes is [] or ["all"] ? [] : StockCodes.Check(codes);
        IReadOnlyList<Venue> venues = ParseVenues(parse.GetValue<string>("--venue") ?? "all");
        (CliLogging logging, _) = Logging(console, parse.GetValue<bool>("--verbose"), board: false);
        StopDeadline = ReaderStopBound + StopDeadlineMargin;
        WebBoardOptions web = ServeAccess.Options(parse.GetValue<string>("--host") ?? "127.0.0.1", parse.GetValue<int>("--port"), parse.GetValue<string?>("--token"), console) with { LoggerFactory = logging.Factory };
        ServeHost? started = null;
        await using KisFeedMetricsServer? metrics = await StartMetricsAsync(parse, console, () => ServeHost.Health(Volatile.Read(ref started)), token);
        await using ServeHost serving = await ServeHost.StartFromNatsAsync(url, credentials, NatsFeedOptions.Default, filter, venues, parse.GetValue<string?>("--db"), web, token);
        Volatile.Write(ref started, serving);
        await ServeAccess.PrintAsync(console, serving, web);
        await console.Out.WriteLineAsync(serving.Description);
        await PrintMetricsAsync(console, metrics);
        await console.Out.WriteLineAsync("Ctrl-C to stop.");
        await console.Out.FlushAsync(token);
        if (parse.GetValue<bool>("--open"))
        {
            OpenBrowser(ServeAccess.PageUrl(serving.Url, web.AccessToken), console);
        }

        try
        {
            await serving.WaitAsync(token);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }

        await console.Out.WriteLineAsync("Stopped.");
        return 0;
    }
}

/// <summary>The NATS-fed board: the same web server, fed by a <see cref="FeedConsumer"/> and recording with stream sequences.</summary>
internal sealed partial class ServeHost
{
    /// <summary>
    /// Follows the stream for <paramref name="codes"/> (empty = every code) × <paramref name="venues"/> and records into
    /// <paramref name="dbPath"/> (a temporary file when null). A file that already holds rows of this stream resumes after
    /// its last committed stream sequence (the board shows the day from the file, then the stream); otherwise reading
    /// starts at today's first record, so the page has the whole day.
    /// </summary>
    public static async Task<ServeHost> StartFromNatsAsync(
        string url, NatsCredentials credentials, NatsFeedOptions feed, IReadOnlyList<string> codes, IReadOnlyList<Venue> venues, string? dbPath, WebBoardOptions web, CancellationToken cancellationToken)
    {
        string? temp = null;
        if (dbPath is null)
        {
            temp = Directory.CreateTempSubdirectory("kisfeed-serve-").FullName;
            dbPath = Path.Combine(temp, "serve.duckdb");
        }

        ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(dbPath, RecorderOptions.Default with
        {
            LoggerFactory = web.LoggerFactory,
            Source = RecordingSource.Unknown($"{NatsCredentials.Redact(url)} stream {feed.StreamName}"),
        });
        ProgramTradeQueries queries = recorder.OpenQueries();
        var connection = new NatsConnection(NatsAuthOptions.Opts(credentials, url, "kisfeed-serve", web.LoggerFactory));
        KisFeedWebServer server;
        ulong after;
        string description;
        NatsFeedStatus status;
        FeedConsumer consumer;
        try
        {
            after = recorder.LastStreamSequence(feed.StreamName);
            await CliApp.ConnectNatsAsync(connection, url, cancellationToken);

            string start = after == 0 ? "from today's first record" : $"after stream sequence {after} (the last one in {recorder.Path})";
            description = $"NATS: {NatsCredentials.Redact(url)} stream {feed.StreamName}, {start}";
            consumer = new FeedConsumer(new NatsJSContext(connection), feed) { YieldRejected = true };
            status = new NatsFeedStatus(connection, description, consumer);
            server = await KisFeedWebServer.StartAsync(web with { Codes = codes, Venues = venues }, status, queries, cancellationToken: cancellationToken);
        }
        catch
        {
            await CliApp.DisposeWithinAsync(connection, CliApp.StopDeadlineMargin);
            queries.Dispose();
            await recorder.DisposeAsync();
            throw;
        }

        string where = temp is null ? $"recording into {recorder.Path}" : "recording into a temporary file (use --db FILE to keep it)";
        ServeHost host = new(server, $"{description}; {where}") { Recorder = recorder, Status = status, _tempDirectory = temp };
        // Disposed in reverse: the server stops first, then the commit timer, the connection, the queries; the recorder commits last.
        host._owned.Add(recorder);
        host._owned.Add(new DisposeAction(queries.Dispose));
        host._owned.Add(new BoundedNatsConnection(connection));
        var commits = new Timer(_ => Commit(recorder), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        host._owned.Add(commits);
        FeedStart from = after == 0 ? FeedStart.StartOfDay() : FeedStart.AfterSequence(after);
        host._running = server.RunFeedAsync(RecordedAsync(consumer.ReadAsync(codes, venues, from, host._stop.Token), recorder, feed.StreamName, status, host._stop.Token), null, host._stop.Token);
        return host;
    }

    private static void Commit(ProgramTradeRecorder recorder)
    {
        try
        {
            recorder.Flush();
        }
        catch (Exception ex) when (ex is KisStorageException or ObjectDisposedException)
        {
            // The next commit (or the final one at dispose) reports a lasting storage error.
        }
    }

    /// <summary>Records every message with its stream sequence, then hands today's items to the board.</summary>
    private static async IAsyncEnumerable<FeedItem> RecordedAsync(
        IAsyncEnumerable<NatsFeedItem> items, ProgramTradeRecorder recorder, string stream, NatsFeedStatus status, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (NatsFeedItem item in items.WithCancellation(cancellationToken))
        {
            NatsRecording.Record(recorder, item, stream);
            if (item.Rejected is not null)
            {
                continue; // kept in the recording's 'rejected' table, never shown
            }

            status.Count();
            if (NatsRecording.IsToday(item.Item))
            {
                yield return item.Item;
            }
        }
    }
}

/// <summary>The status strip of a NATS-fed board: the connection's state, its reconnects, and where the data comes from.</summary>
internal sealed class NatsFeedStatus : IFeedStatusSource
{
    private readonly NatsConnection _connection;
    private readonly string _source;
    private long _opened;
    private long _messages;

    private readonly FeedConsumer _consumer;

    public NatsFeedStatus(NatsConnection connection, string source, FeedConsumer consumer)
    {
        _connection = connection;
        _source = source;
        _consumer = consumer;
        connection.ConnectionOpened += (_, _) =>
        {
            Interlocked.Increment(ref _opened);
            return ValueTask.CompletedTask;
        };
    }

    public void Count() => Interlocked.Increment(ref _messages);

    // The gateways mark their messages simulated or live (FeedCodec version 3): unknown until the first was read.
    public FeedStatus Current => new(
        _connection.ConnectionState.ToString(), Math.Max(0, Interlocked.Read(ref _opened) - 1), 0, _consumer.Simulated,
        $"{_source}; {Interlocked.Read(ref _messages):N0} message(s) read{Rejected(_consumer.Statistics.Rejected)}");

    /// <summary>", N rejected (bad or forged, skipped: see the log)" when any was.</summary>
    internal static string Rejected(long rejected) => rejected == 0 ? string.Empty : $", {rejected:N0} rejected (bad or forged, skipped: see the log)";
}

/// <summary>Writing stream messages into a recorder with their stream sequence (shared by <c>record --from</c> and <c>serve --from</c>).</summary>
internal static class NatsRecording
{
    public static void Record(ProgramTradeRecorder recorder, in NatsFeedItem item, string stream)
    {
        if (item.Rejected is { } bad)
        {
            recorder.RecordRejectedFromStream(stream, bad.StreamSequence, bad.Subject, bad.Reason.ToString(), bad.Detail, bad.Payload.Span, bad.StoredAt);
        }
        else if (item.Item.Kind == FeedItemKind.Trade)
        {
            recorder.AppendFromStream(item.Item.Trade, stream, item.StreamSequence);
        }
        else if (item.Item.Gap is { } gap)
        {
            Registration r = gap.Registrations[0];
            recorder.RecordGapFromStream(new RecordingGap(gap.From, gap.To, r.Venue, [r.Code], gap.Reason), stream, item.StreamSequence);
        }
        else if (item.Item.Healing is { } report)
        {
            DataGap? healed = item.HealedGap;
            recorder.RecordHealingFromStream(report, healed?.From ?? report.StillMissingFrom ?? default, healed?.To ?? report.StillMissingTo ?? default, stream, item.StreamSequence);
        }
    }

    /// <summary>Whether an item belongs to today (KST): a resumed file may read older messages first, which the board does not show.</summary>
    public static bool IsToday(in FeedItem item)
    {
        DateOnly today = KoreaTime.Today();
        return item.Kind switch
        {
            FeedItemKind.Trade => item.Trade.TradingDate >= today,
            FeedItemKind.Gap => KoreaTime.DateOf(item.Gap!.To) >= today,
            _ => true,
        };
    }
}
