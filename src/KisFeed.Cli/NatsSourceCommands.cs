using System.CommandLine;
using System.CommandLine.Invocation;
using System.Diagnostics;
using System.Text.Json.Nodes;

using KisFeed.Nats;
using KisFeed.Storage;
using KisFeed.Web;

using NATS.Client.Core;
using NATS.Client.JetStream;

namespace KisFeed.Cli;

/// <summary><c>--from nats://…</c>: read a KisFeed JetStream stream instead of KIS (wired onto <c>record</c>).</summary>
internal static partial class CliApp
{
    /// <summary>
    /// The longest a NATS reader's stop takes after its last record (the final commit, then the connection's close,
    /// which gets at most <see cref="StopDeadlineMargin"/>): a stream reader holds nothing at NATS, so it stops at once
    /// whatever NATS does; past this plus the margin, the process exits anyway.
    /// </summary>
    internal static readonly TimeSpan ReaderStopBound = TimeSpan.FromSeconds(10);

    /// <summary>Adds <c>--from</c> to the <c>record</c> command: with it, the NATS recorder runs; without it, the command runs as before.</summary>
    private static Command WithNatsRecord(Command record, CliConsole console)
    {
        Option<string?> from = new("--from") { Description = "Record from a KisFeed NATS stream (nats://host:port) instead of KIS: each row keeps its stream sequence, and a restart resumes after the last committed one (no loss, no duplicates). Codes 'all' = every code." };
        record.Options.Add(from);
        NatsAuthOptions natsAuth = new NatsAuthOptions().AddTo(record);
        CommandLineAction? original = record.Action;
        record.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(from) is not { } url)
            {
                return original is AsynchronousCommandLineAction a ? await a.InvokeAsync(parse, ct) : original is SynchronousCommandLineAction s ? s.Invoke(parse) : 1;
            }

            return await Guard(console, token => RecordFromNatsAsync(console, url, natsAuth, parse, token), parse.GetValue<TimeSpan?>("--duration"), ct);
        });
        return record;
    }

    /// <summary>Adds <c>--from</c> to the <c>watch</c> command: the board (or lines) from a KisFeed NATS stream, starting at today's first record.</summary>
    private static Command WithNatsWatch(Command watch, CliConsole console)
    {
        Option<string?> from = new("--from") { Description = "Watch a KisFeed NATS stream (nats://host:port) instead of KIS, from today's first record. Codes 'all' = every code." };
        watch.Options.Add(from);
        NatsAuthOptions natsAuth = new NatsAuthOptions().AddTo(watch);
        CommandLineAction? original = watch.Action;
        watch.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(from) is not { } url)
            {
                return original is AsynchronousCommandLineAction a ? await a.InvokeAsync(parse, ct) : original is SynchronousCommandLineAction s ? s.Invoke(parse) : 1;
            }

            return await Guard(console, async token =>
            {
                string[] codes = parse.GetValue<string[]>("codes") ?? [];
                IReadOnlyList<string> filter = codes is ["all"] ? [] : StockCodes.Check(codes);
                IReadOnlyList<Venue> venues = ParseVenues(parse.GetValue<string>("--venue") ?? "all");
                LineFormat? lines = ParseFormat(parse.GetValue<string?>("--format"), console.IsTerminal);
                BoardSort order = ParseSort(parse.GetValue<string>("--sort") ?? "net");
                (CliLogging logging, _) = Logging(console, parse.GetValue<bool>("--verbose"), lines is null);
                StopDeadline = ReaderStopBound + StopDeadlineMargin;
                await using var connection = new BoundedNatsConnection(new NatsConnection(natsAuth.Opts(parse, console, url, "kisfeed-watch", logging.Factory)));
                var consumer = new FeedConsumer(new NatsJSContext(connection.Connection), NatsFeedOptions.Default);
                string description = $"NATS: {NatsCredentials.Redact(url)} stream {NatsFeedOptions.Default.StreamName}, from today's first record";
                Announce(console, lines, description);
                await ConnectNatsAsync(connection.Connection, url, token);
                long count = 0;
                bool current = false; // whether the trade just handed on is simulated, as its gateway marked it
                async IAsyncEnumerable<FeedItem> Counted()
                {
                    await foreach (NatsFeedItem item in consumer.ReadAsync(filter, venues, FeedStart.StartOfDay(), token))
                    {
                        if (item.Rejected is null && item.Item.Kind == FeedItemKind.Trade)
                        {
                            Interlocked.Increment(ref count);
                            current = item.Simulated;
                            yield return item.Item; // written before the next is read, so its line gets its own mark
                        }
                    }
                }

                await ShowAsync(console, Counted(), lines, order, () => current, null, ended => new BoardStatus(
                    consumer.Simulated == true ? $"SIMULATED data (marked by the gateways), not the market · {description}" : description,
                    ended ? "Stopped" : connection.Connection.ConnectionState.ToString(), Interlocked.Read(ref count), 0, 0, consumer.Statistics.Rejected, logging.LastMessage, Ended: ended), null, token);
                return 0;
            }, parse.GetValue<TimeSpan?>("--duration"), ct);
        });
        return watch;
    }

    private static async Task<int> RecordFromNatsAsync(CliConsole console, string url, NatsAuthOptions natsAuth, ParseResult parse, CancellationToken token)
    {
        string[] codes = parse.GetValue<string[]>("codes") ?? [];
        IReadOnlyList<string> filter = codes is ["all"] ? [] : StockCodes.Check(codes);
        IReadOnlyList<Venue> venues = ParseVenues(parse.GetValue<string>("--venue") ?? "all");
        (CliLogging logging, _) = Logging(console, parse.GetValue<bool>("--verbose"), board: false);
        NatsFeedOptions feed = NatsFeedOptions.Default;
        ProgramTradeRecorder? recording = null;
        NatsConnection? reading = null;
        FeedConsumer? consuming = null;
        await using KisFeedMetricsServer? metrics = await StartMetricsAsync(parse, console,
            () => RecordFromNatsHealth(Volatile.Read(ref recording), Volatile.Read(ref reading), Volatile.Read(ref consuming)), token);
        await using ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(parse.GetValue<string>("--db") ?? "kisfeed.duckdb", RecorderOptions.Default with
        {
            LoggerFactory = logging.Factory,
            // The stream does not say whether its gateways ran on KIS or on a simulator: the file says so.
            Source = RecordingSource.Unknown($"{NatsCredentials.Redact(url)} stream {feed.StreamName}"),
        });
        ulong after = recorder.LastStreamSequence(feed.StreamName);
        StopDeadline = ReaderStopBound + StopDeadlineMargin;
        await using var connection = new BoundedNatsConnection(new NatsConnection(natsAuth.Opts(parse, console, url, "kisfeed-record", logging.Factory)));
        var consumer = new FeedConsumer(new NatsJSContext(connection.Connection), feed) { YieldRejected = true };
        Volatile.Write(ref recording, recorder);
        Volatile.Write(ref reading, connection.Connection);
        Volatile.Write(ref consuming, consumer);
        await console.Out.WriteLineAsync($"Recording {(filter.Count == 0 ? "every code" : string.Join(' ', filter))} on {string.Join(',', venues.Select(LineWriter.VenueName))} from {NatsCredentials.Redact(url)} stream {feed.StreamName} after sequence {after} into {recorder.Path}");
        await PrintMetricsAsync(console, metrics);
        await ConnectNatsAsync(connection.Connection, url, token);

        long appended = 0;
        ulong lastAppended = after;
        ulong committed = after;
        var gate = new Lock();
        void Commit()
        {
            ulong upTo;
            lock (gate)
            {
                upTo = lastAppended;
                recorder.Flush();
            }

            Volatile.Write(ref committed, upTo);
        }

        var clock = Stopwatch.StartNew();
        using var progress = new Timer(_ =>
        {
            try
            {
                Commit();
                console.Out.WriteLine($"{clock.Elapsed:hh\\:mm\\:ss} records {Interlocked.Read(ref appended):N0}, committed stream seq {Volatile.Read(ref committed)}, gaps {recorder.Statistics.GapsWritten}, rejected {consumer.Statistics.Rejected}");
                console.Out.Flush();
            }
            catch (Exception ex) when (ex is KisStorageException or ObjectDisposedException)
            {
                console.Error.WriteLine($"kisfeed: {ex.Message}");
            }
        }, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

        try
        {
            await foreach (NatsFeedItem item in consumer.ReadAsync(filter, venues, FeedStart.AfterSequence(after), token))
            {
                lock (gate)
                {
                    NatsRecording.Record(recorder, item, feed.StreamName);

                    lastAppended = item.StreamSequence;
                }

                if (item.Rejected is null)
                {
                    Interlocked.Increment(ref appended);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }

        await progress.DisposeAsync();
        Commit();
        await console.Out.WriteLineAsync($"Stopped. {recorder.Statistics.RecordsWritten:N0} record(s) in {recorder.Path}; committed stream seq {Volatile.Read(ref committed)}; {consumer.Statistics.Rejected:N0} message(s) rejected.");
        return 0;
    }

    /// <summary>
    /// <c>record --from</c>'s <c>/healthz</c>: rows written, the last write, NATS's state, messages rejected; unhealthy when
    /// the writer failed or NATS is not connected.
    /// </summary>
    internal static ProcessHealth RecordFromNatsHealth(ProgramTradeRecorder? recorder, NatsConnection? connection, FeedConsumer? consumer)
    {
        var detail = new JsonObject { ["command"] = "record", ["from"] = "nats" };
        List<string> problems = [];
        if (recorder is null)
        {
            problems.Add("the recording is not open yet");
        }

        RecorderHealth(recorder, detail, problems);
        NatsConnectionState state = connection?.ConnectionState ?? NatsConnectionState.Closed;
        detail["nats"] = connection is null ? "not started" : state.ToString();
        detail["rejected"] = consumer?.Statistics.Rejected ?? 0;
        if (connection is not null && state != NatsConnectionState.Open)
        {
            problems.Add($"NATS is {state.ToString().ToLowerInvariant()}");
        }

        return Health(detail, problems);
    }
}
