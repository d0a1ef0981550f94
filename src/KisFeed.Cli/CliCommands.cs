using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

using KisFeed.Storage;
using KisFeed.Web;

using Spectre.Console;

namespace KisFeed.Cli;

internal static partial class CliApp
{
    private static Command WatchCommand(CliConsole console)
    {
        Argument<string[]> codes = CodesArgument();
        Option<string> venue = VenueOption();
        Option<bool> demo = DemoOption();
        Option<string?> config = ConfigOption();
        Option<string?> format = FormatOption();
        Option<string> sort = SortOption();
        Option<TimeSpan?> duration = DurationOption();
        Option<bool> verbose = VerboseOption();
        Option<bool> fromStart = FromStartOption();
        var command = new Command("watch", "Live program trading for the given codes: a board on a terminal, one line per update otherwise.\nExample: kisfeed watch 005930 000660 --venue all --from-start")
        {
            codes, venue, demo, config, format, sort, duration, verbose, fromStart,
        };
        command.SetAction((parse, ct) => Guard(console, async token =>
        {
            IReadOnlyList<string> list = StockCodes.Check(parse.GetValue(codes)!);
            IReadOnlyList<Venue> venues = ParseVenues(parse.GetValue(venue)!);
            LineFormat? lines = ParseFormat(parse.GetValue(format), console.IsTerminal);
            BoardSort order = ParseSort(parse.GetValue(sort)!);
            (CliLogging logging, _) = Logging(console, parse.GetValue(verbose), lines is null);
            await using DataSource source = await DataSource.OpenAsync(parse.GetValue(demo), parse.GetValue(config), console.Env, logging.Factory, console.Time, token);
            Announce(console, lines, source.Description);
            await using var client = new KisRealtimeClient(source.Options);
            CliStreams.NoticeRestoreRefusals(client, logging);
            // One subscription for every code and venue: a code the server refuses is named and the others go on.
            await using IKisSubscription<FeedItem> feed = await CliStreams.SubscribeAsync(
                client.SubscribeFeedAsync(Registration.Of(list, venues), new FeedOptions { FromStartOfDay = parse.GetValue(fromStart) }, token), logging, "the other codes go on");
            // The feed, not only its trades: the board needs the gaps and healing outcomes to know which windows are covered.
            IAsyncEnumerable<FeedItem> stream = CliStreams.Reporting(feed.ReadAllAsync(token), r => logging.Notice(CliStreams.SeedText(r)), token);
            // The board's price and 등락% columns: inquire-price for the shown codes, as on the web board (not for lines).
            (KisRestClient? rest, RestPriceSource? prices) = lines is null ? ServeHost.RestPrices(source.Options, list, venues, logging.Factory, source.IsDemo) : (null, null);
            using (rest)
            {
                await using (prices)
                {
                    await ShowAsync(console, stream, lines, order, () => source.IsDemo, TimeProvider.System, ended => Status(client, source, logging, ended), prices, token);
                }
            }

            return 0;
        }, parse.GetValue(duration), ct));
        return command;
    }

    private static Command RecordCommand(CliConsole console)
    {
        Argument<string[]> codes = CodesArgument();
        Option<string> venue = VenueOption();
        Option<string> db = DbOption();
        Option<bool> demo = DemoOption();
        Option<string?> config = ConfigOption();
        Option<TimeSpan?> duration = DurationOption();
        Option<bool> verbose = VerboseOption();
        Option<bool> fromStart = FromStartOption();
        var command = new Command("record", "Record every update into a DuckDB file (appends; batched; Ctrl-C flushes and exits). The file notes whether the data is simulated; with --from-start the day so far is recorded first (source = Rest).\nExample: kisfeed record 005930 000660 --venue all --db today.duckdb --from-start")
        {
            codes, venue, db, demo, config, duration, verbose, fromStart,
        };
        AddMetricsOptions(command, "the writer failed or the feed is not connected");
        command.SetAction((parse, ct) => Guard(console, async token =>
        {
            IReadOnlyList<string> list = StockCodes.Check(parse.GetValue(codes)!);
            IReadOnlyList<Venue> venues = ParseVenues(parse.GetValue(venue)!);
            (CliLogging logging, _) = Logging(console, parse.GetValue(verbose), board: false);
            string path = parse.GetValue(db)!;
            ProgramTradeRecorder? recording = null;
            KisRealtimeClient? following = null;
            await using KisFeedMetricsServer? metrics = await StartMetricsAsync(parse, console, () => RecordHealth(Volatile.Read(ref recording), Volatile.Read(ref following)), token);
            // Credentials first: a setup error must not leave a file behind.
            await using DataSource source = await DataSource.OpenAsync(parse.GetValue(demo), parse.GetValue(config), console.Env, logging.Factory, console.Time, token);
            string full = Path.GetFullPath(path);
            bool existed = File.Exists(full);
            ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(path, RecorderOptions.Default with { LoggerFactory = logging.Factory, Source = source.Source });
            Volatile.Write(ref recording, recorder);
            bool failed = true;
            try
            {
                await console.Out.WriteLineAsync(source.Description);
                await console.Out.WriteLineAsync($"Recording {string.Join(' ', list)} on {string.Join(',', venues.Select(LineWriter.VenueName))} into {recorder.Path}");
                await PrintMetricsAsync(console, metrics);
                await using var client = new KisRealtimeClient(source.Options);
                Volatile.Write(ref following, client);
                CliStreams.NoticeRestoreRefusals(client, logging);

                var clock = Stopwatch.StartNew();
                using var progress = new Timer(_ => Progress(console, recorder, client, clock.Elapsed), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
                // Trades and gaps in-band, one subscription for every code and venue: the recorder writes each gap as
                // soon as the session knows it; a code the server refuses is named and the others are recorded.
                FeedOptions feedOptions = new() { FromStartOfDay = parse.GetValue(fromStart) };
                await using IKisSubscription<FeedItem> feed = await CliStreams.SubscribeAsync(
                    client.SubscribeFeedAsync(Registration.Of(list, venues), feedOptions, token), logging, "recording the other codes");
                try
                {
                    await recorder.RecordAsync(feed.ReadAllAsync(token), token);
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                }

                recorder.Flush();
                await progress.DisposeAsync();
                Progress(console, recorder, client, clock.Elapsed);
                failed = false;
            }
            finally
            {
                long inFile = recorder.Statistics.LastSeq;
                await recorder.DisposeAsync();
                if (failed && !existed && inFile == 0)
                {
                    // Nothing was recorded: leave no empty database behind.
                    DeleteQuietly(full);
                    DeleteQuietly(full + ".wal");
                }
            }

            await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"Stopped. {recorder.Statistics.RecordsWritten:N0} record(s) in {recorder.Path} ({Mib(StorageFileSize(full))} MiB, {source.Source.Kind} data)."));
            return 0;
        }, parse.GetValue(duration), ct));
        return command;
    }

    /// <summary>
    /// <c>record</c>'s <c>/healthz</c>: rows written, the last write, the feed's state; unhealthy when the writer failed
    /// or the feed is not connected (nothing is being recorded then).
    /// </summary>
    internal static ProcessHealth RecordHealth(ProgramTradeRecorder? recorder, KisRealtimeClient? client)
    {
        var detail = new JsonObject { ["command"] = "record" };
        List<string> problems = [];
        RecorderHealth(recorder, detail, problems);
        if (recorder is null)
        {
            problems.Add("the recording is not open yet");
        }

        ConnectionState state = client?.State ?? ConnectionState.Disconnected;
        detail["feed"] = client is null ? "not started" : state.ToString();
        if (state != ConnectionState.Connected)
        {
            problems.Add(client is null ? "the feed is not started yet" : $"the feed is {state.ToString().ToLowerInvariant()}");
        }

        return Health(detail, problems);
    }

    private static Command ReplayCommand(CliConsole console)
    {
        Option<string> db = DbOption();
        Option<string?> date = DateOption();
        Option<string[]> codes = CodesOption();
        Option<string> venue = VenueOption();
        Option<string> speed = new("--speed") { Description = "1 = recorded pace, N = N times faster, max = as fast as possible.", DefaultValueFactory = _ => "1" };
        Option<string?> format = FormatOption();
        Option<string> sort = SortOption();
        var command = new Command("replay", "Play a recorded day back through the board (or as lines when not a terminal). Opens the file read-only.\nExample: kisfeed replay --db today.duckdb --speed 10")
        {
            db, date, codes, venue, speed, format, sort,
        };
        command.SetAction((parse, ct) => Guard(console, async token =>
        {
            string path = parse.GetValue(db)!;
            DateOnly? askedDay = ParseDate(parse.GetValue(date));
            string speedText = parse.GetValue(speed)!.Trim();
            double? pace = speedText.Equals("max", StringComparison.OrdinalIgnoreCase) ? null
                : double.TryParse(speedText, NumberStyles.Float, CultureInfo.InvariantCulture, out double n) && n > 0 && double.IsFinite(n) ? n
                : throw CliException.Usage($"--speed '{speedText}': use a positive number or max.");
            LineFormat? lines = ParseFormat(parse.GetValue(format), console.IsTerminal);
            IReadOnlyList<Venue> venues = ParseVenues(parse.GetValue(venue)!);
            IReadOnlyList<string> only = parse.GetValue(codes) ?? [];
            BoardSort order = ParseSort(parse.GetValue(sort)!);
            RequireRecording(path);
            DateOnly? day = askedDay ?? await ProgramTradeCatalog.LatestDateAsync(path, token)
                ?? throw new CliException($"'{path}' holds no records yet.");
            await RequireRowsAsync(path, day, only, venues, token);
            RecordingSource? origin = await ProgramTradeCatalog.GetSourceAsync(path, token);
            var query = ReplayQuery.Default with { Date = day, Codes = only, Venues = venues, Speed = pace };
            string description = $"Replay of {day:yyyy-MM-dd} from {path} at {(pace is null ? "max speed" : $"{pace}x")} · {SourceText(origin)}";
            Announce(console, lines, description);
            long replayed = 0;
            IAsyncEnumerable<ProgramTrade> stream = Count(ProgramTradeReplay.ReadAsync(path, query, token), () => Interlocked.Increment(ref replayed));
            // Ages on a replayed board count from the latest replayed update, not from now.
            await ShowAsync(console, stream, lines, order, origin?.IsSimulated, null,
                ended => new BoardStatus(description, ended ? "Replay finished" : "Replaying", Interlocked.Read(ref replayed), 0, 0, 0, IsDemo: origin?.IsSimulated == true, Ended: ended), token);
            if (lines is not null)
            {
                await console.Error.WriteLineAsync($"Replayed {replayed:N0} record(s).");
            }

            return 0;
        }, null, ct));
        return command;
    }

    private static Command ExportCommand(CliConsole console)
    {
        Option<string> db = DbOption();
        Option<string> format = new("--format", "-f") { Description = "csv, parquet or jsonl.", Required = true };
        Option<string?> output = new("--output", "-o") { Description = "Output file. Default: kisfeed-<date>.<ext>." };
        Option<string?> date = new("--date") { Description = "Only this trading date (yyyy-MM-dd). Default: every date." };
        Option<string[]> codes = CodesOption();
        Option<string> venue = VenueOption();
        var command = new Command("export", "Export recorded rows (columns: see docs/storage.md; 'simulated' marks simulator data) as CSV, Parquet or JSONL. Opens the file read-only.\nExample: kisfeed export --db today.duckdb --format parquet -o trades.parquet")
        {
            db, format, output, date, codes, venue,
        };
        command.SetAction((parse, ct) => Guard(console, async token =>
        {
            string path = parse.GetValue(db)!;
            ExportFormat fmt = parse.GetValue(format)!.Trim().ToLowerInvariant() switch
            {
                "csv" => ExportFormat.Csv,
                "parquet" => ExportFormat.Parquet,
                "jsonl" or "json" => ExportFormat.Jsonl,
                string other => throw CliException.Usage($"Unknown export format '{other}': use csv, parquet or jsonl."),
            };
            DateOnly? day = ParseDate(parse.GetValue(date));
            IReadOnlyList<Venue> venues = ParseVenues(parse.GetValue(venue)!);
            IReadOnlyList<string> only = parse.GetValue(codes) ?? [];
            RequireRecording(path);
            string ext = fmt switch { ExportFormat.Csv => "csv", ExportFormat.Parquet => "parquet", _ => "jsonl" };
            string target = parse.GetValue(output) ?? $"kisfeed-{(day is { } d ? d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : "all")}.{ext}";
            await RequireRowsAsync(path, day, only, venues, token);
            RecordingSource? origin = await ProgramTradeCatalog.GetSourceAsync(path, token);
            var query = ExportQuery.Default with { Date = day, Codes = only, Venues = venues };
            long rows = await ProgramTradeExporter.ExportAsync(path, fmt, target, query, token);
            await console.Out.WriteLineAsync($"Exported {rows:N0} row(s) to {Path.GetFullPath(target)} · {SourceText(origin)}");
            return 0;
        }, null, ct));
        return command;
    }

    private static void Announce(CliConsole console, LineFormat? lines, string description)
    {
        // The first line says where the data comes from. Machine formats keep stdout clean: it goes to stderr. The
        // board says it itself, fitted to the terminal's width, so it is not printed twice.
        if (lines is null)
        {
            return;
        }

        TextWriter target = lines is LineFormat.Jsonl or LineFormat.Csv ? console.Error : console.Out;
        target.WriteLine(description);
    }

    private static BoardStatus Status(KisRealtimeClient client, DataSource source, CliLogging logging, bool ended)
    {
        KisClientStatistics s = client.GetStatistics();
        // Once the stream has ended the session's state no longer describes the board.
        string state = ended ? "Stopped" : s.State.ToString();
        return new BoardStatus(source.Description, state, s.RecordsReceived, s.Reconnects, s.RecordsDropped, s.RejectedFrames, logging.LastMessage, source.IsDemo, ended);
    }

    /// <summary>Shows trades (a replay: no gaps) on the live board or as lines.</summary>
    private static Task ShowAsync(CliConsole console, IAsyncEnumerable<ProgramTrade> stream, LineFormat? lines, BoardSort sort, bool? simulated, TimeProvider? clock, Func<bool, BoardStatus> status, CancellationToken ct) =>
        ShowAsync(console, AsFeed(stream, ct), lines, sort, () => simulated, clock, status, null, ct);

    private static async IAsyncEnumerable<FeedItem> AsFeed(IAsyncEnumerable<ProgramTrade> trades, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (ProgramTrade t in trades.WithCancellation(ct))
        {
            yield return FeedItem.FromTrade(t);
        }
    }

    /// <summary>
    /// Shows a feed on the live board (terminal) or its trades as lines; returns when the feed ends or is cancelled.
    /// Lines get the <c>simulated</c> of <paramref name="simulated"/>, asked per line (null when the source does not say);
    /// the board's price column follows <paramref name="prices"/> when given.
    /// </summary>
    private static async Task ShowAsync(CliConsole console, IAsyncEnumerable<FeedItem> stream, LineFormat? lines, BoardSort sort, Func<bool?> simulated, TimeProvider? clock, Func<bool, BoardStatus> status, IPriceSource? prices, CancellationToken ct)
    {
        if (lines is { } format)
        {
            var writer = new LineWriter(console.Out, format, simulated);
            try
            {
                await foreach (FeedItem item in stream.WithCancellation(ct))
                {
                    if (item.Kind == FeedItemKind.Trade)
                    {
                        writer.Write(item.Trade);
                    }
                }
            }
            finally
            {
                await console.Out.FlushAsync(CancellationToken.None);
            }

            return;
        }

        var board = new ProgramTradeBoard(sort, BoardNames.Default, clock);
        if (prices is not null)
        {
            prices.Changed += code =>
            {
                if (prices.Get(code) is { } quote)
                {
                    board.SetQuote(code, quote.Price, quote.ChangePercent);
                }
            };
            (prices as RestPriceSource)?.Start(); // after the board listens, so no first answer is missed
        }
        Task consume = Task.Run(async () =>
        {
            await foreach (FeedItem item in stream.WithCancellation(ct))
            {
                board.Apply(item);
            }
        }, ct);
        await console.Terminal.Live(board.Render(status(false))).AutoClear(false).StartAsync(async live =>
        {
            while (!consume.IsCompleted)
            {
                live.UpdateTarget(board.Render(status(false)));
                await Task.WhenAny(consume, Task.Delay(250, CancellationToken.None));
            }

            live.UpdateTarget(board.Render(status(true)));
        });
        await consume;
    }

    private static void Progress(CliConsole console, ProgramTradeRecorder recorder, KisRealtimeClient client, TimeSpan elapsed)
    {
        RecorderStatistics r = recorder.Statistics;
        KisClientStatistics c = client.GetStatistics();
        double rate = elapsed.TotalSeconds > 0 ? r.RecordsWritten / elapsed.TotalSeconds : 0;
        lock (console.Out)
        {
            console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{KoreaTime.Now():HH:mm:ss} KST {c.State} · {r.RecordsWritten:N0} written ({rate:N0}/s) · krx {r.KrxRecords:N0} nxt {r.NxtRecords:N0} unified {r.UnifiedRecords:N0} · gaps {r.GapsWritten} · reconnects {c.Reconnects} · drops {c.RecordsDropped} · {Mib(r.FileSizeBytes)} MiB"));
        }
    }

    private static string Mib(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("N1", CultureInfo.InvariantCulture);

    private static long StorageFileSize(string full) =>
        (File.Exists(full) ? new FileInfo(full).Length : 0) + (File.Exists(full + ".wal") ? new FileInfo(full + ".wal").Length : 0);

    private static void DeleteQuietly(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static string SourceText(RecordingSource? source) => source switch
    {
        null => "source not recorded in the file (recorded before KisFeed stored it)",
        { IsSimulated: true } => $"SIMULATED data from {source.Endpoint}, not the market",
        { IsSimulated: null } => $"source unknown: read from {source.Endpoint}, which does not say whether its data is simulated or live",
        _ => $"live data from {source.Endpoint}",
    };

    private static void RequireRecording(string path)
    {
        if (!File.Exists(path))
        {
            throw new CliException(Directory.Exists(path)
                ? $"'{path}' is a directory: give the recording file, e.g. --db {Path.Combine(path, "today.duckdb")}"
                : $"'{path}' does not exist. Record first: kisfeed record 005930 --db {path}");
        }
    }

    /// <summary>Fails with what the file holds when the filters match nothing, instead of an empty result.</summary>
    private static async Task RequireRowsAsync(string path, DateOnly? day, IReadOnlyList<string> codes, IReadOnlyList<Venue> venues, CancellationToken ct)
    {
        IReadOnlyList<RecordedDate> dates = await ProgramTradeCatalog.ListDatesAsync(path, ct);
        if (dates.Count == 0)
        {
            throw new CliException($"'{path}' holds no records yet.");
        }

        IReadOnlyList<RecordedCode> held = day is null || dates.Any(d => d.Date == day) ? await ProgramTradeCatalog.ListCodesAsync(path, day, ct) : [];
        bool any = held.Any(c => (codes.Count == 0 || codes.Contains(c.Code, StringComparer.OrdinalIgnoreCase)) && (venues.Count == 0 || c.Venues.Any(venues.Contains)));
        if (any)
        {
            return;
        }

        string asked = string.Join(", ", new[]
        {
            day is { } d ? d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : null,
            codes.Count > 0 ? "codes " + string.Join(' ', codes) : null,
            venues.Count is > 0 and < 3 ? "venue " + string.Join(',', venues.Select(LineWriter.VenueName)) : null,
        }.Where(x => x is not null));
        throw new CliException($"No records for {asked} in '{path}'. It holds {await InfoText.SummaryAsync(path, dates, ct)}. See kisfeed info --db {path}.");
    }

    private static async IAsyncEnumerable<ProgramTrade> Count(IAsyncEnumerable<ProgramTrade> source, Action onEach)
    {
        await foreach (ProgramTrade t in source)
        {
            onEach();
            yield return t;
        }
    }
}
