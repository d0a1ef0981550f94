using System.CommandLine;
using System.Diagnostics;
using System.Globalization;

using KisFeed.Simulator;
using KisFeed.Storage;

using Microsoft.Extensions.Logging;

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
        var command = new Command("watch", "Live program trading for the given codes: a board on a terminal, one line per update otherwise.\nExample: kisfeed watch 005930 000660 --venue all")
        {
            codes, venue, demo, config, format, sort, duration, verbose,
        };
        command.SetAction((parse, ct) => Guard(console, async token =>
        {
            IReadOnlyList<string> list = StockCodes.Check(parse.GetValue(codes)!);
            IReadOnlyList<Venue> venues = ParseVenues(parse.GetValue(venue)!);
            StockCodes.CheckRegistrations(list, venues, KisOptions.Default.MaxRegistrations);
            LineFormat? lines = ParseFormat(parse.GetValue(format), console.IsTerminal);
            BoardSort order = ParseSort(parse.GetValue(sort)!);
            (CliLogging logging, _) = Logging(console, parse.GetValue(verbose), lines is null);
            await using DataSource source = await DataSource.OpenAsync(parse.GetValue(demo), parse.GetValue(config), console.Env, logging.Factory, token);
            Announce(console, lines, source.Description);
            await using var client = new KisRealtimeClient(source.Options);
            client.SubscriptionFailed += (_, e) => logging.Notice($"{e.Registration} refused after a reconnect: {Messages.Describe(e.Error)}");
            IAsyncEnumerable<ProgramTrade> stream = CliStreams.PerCodeAsync(client, list, venues,
                (code, ex) => logging.Notice($"{code} refused by the server ({Messages.Describe(ex)}); the other codes go on"), token);
            await ShowAsync(console, stream, lines, order, source.IsDemo, TimeProvider.System, ended => Status(client, source, logging, ended), token);
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
        var command = new Command("record", "Record every update into a DuckDB file (appends; batched; Ctrl-C flushes and exits). The file notes whether the data is simulated.\nExample: kisfeed record 005930 000660 --venue all --db today.duckdb")
        {
            codes, venue, db, demo, config, duration, verbose,
        };
        command.SetAction((parse, ct) => Guard(console, async token =>
        {
            IReadOnlyList<string> list = StockCodes.Check(parse.GetValue(codes)!);
            IReadOnlyList<Venue> venues = ParseVenues(parse.GetValue(venue)!);
            StockCodes.CheckRegistrations(list, venues, KisOptions.Default.MaxRegistrations);
            (CliLogging logging, _) = Logging(console, parse.GetValue(verbose), board: false);
            string path = parse.GetValue(db)!;
            // Credentials first: a setup error must not leave a file behind.
            await using DataSource source = await DataSource.OpenAsync(parse.GetValue(demo), parse.GetValue(config), console.Env, logging.Factory, token);
            string full = Path.GetFullPath(path);
            bool existed = File.Exists(full);
            ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(path, RecorderOptions.Default with { LoggerFactory = logging.Factory, Source = source.Source });
            bool failed = true;
            try
            {
                await console.Out.WriteLineAsync(source.Description);
                await console.Out.WriteLineAsync($"Recording {string.Join(' ', list)} on {string.Join(',', venues.Select(LineWriter.VenueName))} into {recorder.Path}");
                await using var client = new KisRealtimeClient(source.Options);
                client.SubscriptionFailed += (_, e) => logging.Notice($"{e.Registration} refused after a reconnect: {Messages.Describe(e.Error)}");

                var clock = Stopwatch.StartNew();
                using var progress = new Timer(_ => Progress(console, recorder, client, clock.Elapsed), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
                // Trades and gaps in-band: the recorder writes each gap as soon as the session knows it.
                IAsyncEnumerable<FeedItem> stream = CliStreams.PerCodeFeedAsync(client, list, venues,
                    (code, ex) => logging.Notice($"{code} refused by the server ({Messages.Describe(ex)}); recording the other codes"), token);
                try
                {
                    await recorder.RecordAsync(stream, token);
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

    private static Command ReplayCommand(CliConsole console)
    {
        Option<string> db = DbOption();
        Option<string?> date = DateOption();
        Option<string[]> codes = CodesOption();
        Option<string> venue = new("--venue", "-v") { Description = "nxt, krx, unified or all.", DefaultValueFactory = _ => "all" };
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
                ended => new BoardStatus(description, ended ? "Replay finished" : "Replaying", Interlocked.Read(ref replayed), 0, 0, 0, IsDemo: origin?.IsSimulated == true), token);
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
        Option<string> venue = new("--venue", "-v") { Description = "nxt, krx, unified or all.", DefaultValueFactory = _ => "all" };
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

    private static Command SimulateCommand(CliConsole console)
    {
        var o = new SimulateOptionSet();
        string served = string.Join(", ", KisSimulator.ServedTrIds);
        var command = new Command(
            "simulate",
            "Run the KIS-compatible simulator as a server for any KIS client.\n"
            + $"Data: program trading for {served} (KRX, NXT, unified). Other real-time TRs are answered SUBSCRIBE SUCCESS, as KIS does, but get no data (a warning says so).\n"
            + $"Hours: data flows only in the venues' session hours (KST: {SimulateOptionSet.SessionHours}) unless --always-open.\n"
            + "Example: kisfeed simulate --port 21000, then KIS_WS_URL=ws://127.0.0.1:21000 KIS_REST_URL=http://127.0.0.1:21000");
        o.AddTo(command);
        command.SetAction((parse, ct) => Guard(console, async token =>
        {
            var logging = new CliLogging(console.Error, LogLevel.Warning);
            SimulatorOptions options = o.Build(parse) with { LoggerFactory = logging.Factory };
            SimulatorScenario? faults;
            try
            {
                faults = parse.GetValue(o.Scenario) is { } file ? SimulatorScenario.Parse(await File.ReadAllTextAsync(file, token)) : null;
            }
            catch (Exception ex) when (ex is IOException or FormatException or UnauthorizedAccessException)
            {
                throw new CliException($"Cannot use the scenario: {ex.Message}");
            }

            KisSimulator sim;
            try
            {
                sim = await KisSimulator.StartAsync(options, token);
            }
            catch (IOException ex)
            {
                throw new CliException($"Cannot listen on {options.Host}:{options.Port}: {ex.Message}. Pick another --port (0 = any free port).");
            }

            await using (sim)
            {
                // Endpoints without a trailing slash: clients append paths ("{rest}/oauth2/Approval", "{ws}/tryitout").
                string ws = sim.WebSocketUri.GetLeftPart(UriPartial.Authority);
                string rest = sim.RestBaseUri.GetLeftPart(UriPartial.Authority);
                TextWriter w = console.Out;
                await w.WriteLineAsync("KIS-compatible simulator running (simulated data). Ctrl-C to stop.");
                await w.WriteLineAsync($"  WebSocket : {ws}  (any path, e.g. {ws}/tryitout)");
                await w.WriteLineAsync($"  REST      : {rest}  (POST {rest}/oauth2/Approval)");
                await w.WriteLineAsync($"  Data      : {served} (program trading: KRX, NXT, unified); other TRs are accepted but get no data");
                await w.WriteLineAsync(options.Hours == MarketHours.Real
                    ? $"  Hours     : session hours, KST ({SimulateOptionSet.SessionHours}); at {KstNow()} KST: {string.Join(", ", KisSimulator.ServedTrIds.Select(t => $"{t} {(sim.IsOpenNow(t) ? "open" : "closed")}"))}. --always-open for data at any hour"
                    : "  Hours     : always open (--always-open): data at any hour, unlike the market");
                await w.WriteLineAsync($"  PINGPONG  : every {Seconds(options.PingInterval)}; a session that has not echoed it within {Seconds(options.PingTimeout ?? (options.PingInterval * 2))} is dropped");
                await w.WriteLineAsync(options.ErrorReplyShape == ErrorReplyShape.BodyOnly
                    ? "  Errors    : body-only replies (no header), as in some captures"
                    : "  Errors    : replies carry header tr_id/tr_key/encrypt (--body-only-errors to drop it)");
                if (options.MixCodesInFrames)
                {
                    await w.WriteLineAsync("  Fault     : data frames mix several codes (--mix-codes)");
                }

                await w.WriteLineAsync($"  Demo app key    : {SimulatorCredential.Demo.AppKey}");
                await w.WriteLineAsync($"  Demo app secret : {SimulatorCredential.Demo.AppSecret}");
                await w.WriteLineAsync("  (demo credentials of the simulator only, not KIS secrets)");
                await w.WriteLineAsync($"Try: KIS_WS_URL={ws} KIS_REST_URL={rest} KIS_APPKEY=<demo key> KIS_APPSECRET=<demo secret> kisfeed watch 005930");
                await w.FlushAsync(token);
                Task script = faults?.RunAsync(sim, step => w.WriteLine($"{DateTime.Now:HH:mm:ss} fault: {step}"), token) ?? Task.CompletedTask;
                try
                {
                    await Task.Delay(Timeout.Infinite, token);
                }
                catch (OperationCanceledException)
                {
                }

                try
                {
                    await script;
                }
                catch (OperationCanceledException)
                {
                }

                await w.WriteLineAsync($"Stopped: {sim.ApprovalsIssued} approval key(s), {sim.FramesSent:N0} frame(s), {sim.RecordsSent:N0} record(s) sent.");
            }

            return 0;
        }, parse.GetValue(o.Duration), ct));
        return command;

        static string KstNow() => DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(9)).ToString("ddd HH:mm", CultureInfo.InvariantCulture);

        static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";
    }

    /// <summary>The options of <c>simulate</c>, and how they become <see cref="SimulatorOptions"/> (tested on its own).</summary>
    internal sealed class SimulateOptionSet
    {
        public const string SessionHours = "NXT 08:00–08:50, 09:00:30–15:20, 15:40–20:00; KRX 09:00–15:30, 16:00–20:00; unified = either; weekends closed";

        public Option<int> Port { get; } = new("--port", "-p") { Description = "TCP port (0 = any free port).", DefaultValueFactory = _ => 21000 };

        public Option<string> Host { get; } = new("--host") { Description = "Address to bind.", DefaultValueFactory = _ => "127.0.0.1" };

        public Option<int> Seed { get; } = new("--seed") { Description = "Market model seed (same seed, same data).", DefaultValueFactory = _ => SimulatorOptions.Default.Seed };

        public Option<double> Rate { get; } = new("--rate") { Description = "Average updates per second per subscription.", DefaultValueFactory = _ => 2.0 };

        public Option<bool> AlwaysOpen { get; } = new("--always-open") { Description = "Publish at any hour, every day. Default: only in the venues' session hours (KST), like the market." };

        // Before session hours became the default, this flag turned them on; it is kept so old scripts still run.
        public Option<bool> RealHours { get; } = new("--real-hours") { Description = "Session hours (the default now).", Hidden = true };

        public Option<TimeSpan?> PingInterval { get; } = new("--ping-interval") { Description = "Period of the server's PINGPONG frame (e.g. 30s, 500ms). Default 30s (KIS does not document its own).", CustomParser = ParseDuration };

        public Option<TimeSpan?> PingTimeout { get; } = new("--ping-timeout") { Description = "Drop a session that has not echoed a PINGPONG for this long (e.g. 60s). Default: twice --ping-interval.", CustomParser = ParseDuration };

        public Option<bool> BodyOnlyErrors { get; } = new("--body-only-errors") { Description = "Send error replies without a header (as some captured frames are). Default: a header with tr_id/tr_key/encrypt, which the official Python sample reads." };

        public Option<bool> MixCodes { get; } = new("--mix-codes") { Description = "Fault: one data frame carries records of several codes. Default: a frame carries one (TR, code), as KIS's do." };

        public Option<TimeSpan?> Duration { get; } = DurationOption();

        public Option<string?> Scenario { get; } = new("--scenario") { Description = "Fault script, one step a line, e.g. 'every 30s drop abort', 'at 10s stall 5s', 'every 60s invalidate-keys', 'every 45s malformed', 'at 20s reply-fault drop 2' (see SimulatorScenario)." };

        public Option<double> AppKeyLock { get; } = new("--app-key-lock") { Description = "Seconds an app key stays 'ALREADY IN USE' (OPSP8996) after an abnormal close, like KIS. Default 0 (off).", DefaultValueFactory = _ => 0.0 };

        /// <summary>Parses <c>simulate</c>'s arguments alone (for tests): the options the command would run with.</summary>
        public static SimulatorOptions Parse(params string[] args)
        {
            var set = new SimulateOptionSet();
            var command = new Command("simulate");
            set.AddTo(command);
            ParseResult parse = command.Parse(args);
            return parse.Errors.Count > 0 ? throw new CliException(parse.Errors[0].Message) : set.Build(parse);
        }

        public void AddTo(Command command)
        {
            foreach (Option option in (Option[])[Port, Host, Seed, Rate, AlwaysOpen, RealHours, PingInterval, PingTimeout, BodyOnlyErrors, MixCodes, Duration, Scenario, AppKeyLock])
            {
                command.Options.Add(option);
            }
        }

        public SimulatorOptions Build(ParseResult parse)
        {
            bool alwaysOpen = parse.GetValue(AlwaysOpen);
            if (alwaysOpen && parse.GetValue(RealHours))
            {
                throw new CliException("--always-open and --real-hours contradict each other: session hours are the default, so drop --real-hours.");
            }

            TimeSpan interval = parse.GetValue(PingInterval) ?? SimulatorOptions.Default.PingInterval;
            TimeSpan? timeout = parse.GetValue(PingTimeout);
            if (interval <= TimeSpan.Zero)
            {
                throw new CliException($"--ping-interval must be positive (got {interval}).");
            }

            if (timeout is { } t && t <= TimeSpan.Zero)
            {
                throw new CliException($"--ping-timeout must be positive (got {t}).");
            }

            return SimulatorOptions.Default with
            {
                Port = parse.GetValue(Port),
                Host = parse.GetValue(Host)!,
                Seed = parse.GetValue(Seed),
                UpdatesPerSecond = parse.GetValue(Rate),
                Hours = alwaysOpen ? MarketHours.AlwaysOpen : MarketHours.Real,
                PingInterval = interval,
                PingTimeout = timeout,
                ErrorReplyShape = parse.GetValue(BodyOnlyErrors) ? ErrorReplyShape.BodyOnly : ErrorReplyShape.WithHeader,
                MixCodesInFrames = parse.GetValue(MixCodes),
                AppKeyLockAfterAbnormalClose = TimeSpan.FromSeconds(parse.GetValue(AppKeyLock)),
            };
        }
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    private static void Announce(CliConsole console, LineFormat? lines, string description)
    {
        // The first line says where the data comes from. Machine formats keep stdout clean: it goes to stderr.
        TextWriter target = lines is LineFormat.Jsonl or LineFormat.Csv ? console.Error : console.Out;
        target.WriteLine(description);
    }

    private static BoardStatus Status(KisRealtimeClient client, DataSource source, CliLogging logging, bool ended)
    {
        KisClientStatistics s = client.GetStatistics();
        // Once the stream has ended the session's state no longer describes the board.
        string state = ended ? "Stopped" : s.State.ToString();
        return new BoardStatus(source.Description, state, s.RecordsReceived, s.Reconnects, s.RecordsDropped, s.RejectedFrames, logging.LastMessage, source.IsDemo);
    }

    /// <summary>Shows a stream on the live board (terminal) or as lines; returns when the stream ends or is cancelled.</summary>
    private static async Task ShowAsync(CliConsole console, IAsyncEnumerable<ProgramTrade> stream, LineFormat? lines, BoardSort sort, bool? simulated, TimeProvider? clock, Func<bool, BoardStatus> status, CancellationToken ct)
    {
        if (lines is { } format)
        {
            var writer = new LineWriter(console.Out, format, simulated);
            try
            {
                await foreach (ProgramTrade t in stream.WithCancellation(ct))
                {
                    writer.Write(t);
                }
            }
            finally
            {
                await console.Out.FlushAsync(CancellationToken.None);
            }

            return;
        }

        var board = new ProgramTradeBoard(sort, BoardNames.Default, clock);
        Task consume = Task.Run(async () =>
        {
            await foreach (ProgramTrade t in stream.WithCancellation(ct))
            {
                board.Apply(t);
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
                $"{Kst.Now():HH:mm:ss} KST {c.State} · {r.RecordsWritten:N0} written ({rate:N0}/s) · krx {r.KrxRecords:N0} nxt {r.NxtRecords:N0} unified {r.UnifiedRecords:N0} · gaps {r.GapsWritten} · reconnects {c.Reconnects} · drops {c.RecordsDropped} · {Mib(r.FileSizeBytes)} MiB"));
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
