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
            IReadOnlyList<Venue> venues = ParseVenues(parse.GetValue(venue)!);
            LineFormat? lines = ParseFormat(parse.GetValue(format), console.IsTerminal);
            BoardSort order = ParseSort(parse.GetValue(sort)!);
            (CliLogging logging, _) = Logging(console, parse.GetValue(verbose), lines is null);
            await using DataSource source = await DataSource.OpenAsync(parse.GetValue(demo), parse.GetValue(config), logging.Factory, token);
            Announce(console, lines, source.Description);
            await using var client = new KisRealtimeClient(source.Options);
            IAsyncEnumerable<ProgramTrade> stream = client.ProgramTradesAsync(parse.GetValue(codes)!, venues, token);
            await ShowAsync(console, stream, lines, order, () => Status(client, source.Description, logging), token);
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
        var command = new Command("record", "Record every update into a DuckDB file (appends; batched; Ctrl-C flushes and exits).\nExample: kisfeed record 005930 000660 --venue all --db today.duckdb")
        {
            codes, venue, db, demo, config, duration, verbose,
        };
        command.SetAction((parse, ct) => Guard(console, async token =>
        {
            IReadOnlyList<Venue> venues = ParseVenues(parse.GetValue(venue)!);
            (CliLogging logging, _) = Logging(console, parse.GetValue(verbose), board: false);
            string path = parse.GetValue(db)!;
            await using ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(path, RecorderOptions.Default with { LoggerFactory = logging.Factory });
            await using DataSource source = await DataSource.OpenAsync(parse.GetValue(demo), parse.GetValue(config), logging.Factory, token);
            await console.Out.WriteLineAsync(source.Description);
            await console.Out.WriteLineAsync($"Recording {string.Join(' ', parse.GetValue(codes)!)} on {string.Join(',', venues.Select(LineWriter.VenueName))} into {recorder.Path}");
            await using var client = new KisRealtimeClient(source.Options);

            var clock = Stopwatch.StartNew();
            using var progress = new Timer(_ => Progress(console, recorder, client, clock.Elapsed), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
            long count;
            try
            {
                count = await recorder.RecordAsync(client, parse.GetValue(codes)!, venues, token);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                count = recorder.Statistics.RecordsWritten;
            }

            recorder.Flush();
            Progress(console, recorder, client, clock.Elapsed);
            await console.Out.WriteLineAsync($"Stopped. {recorder.Statistics.RecordsWritten:N0} record(s) in {recorder.Path}.");
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
        var command = new Command("replay", "Play a recorded day back through the board (or as lines when not a terminal).\nExample: kisfeed replay --db today.duckdb --speed 10")
        {
            db, date, codes, venue, speed, format, sort,
        };
        command.SetAction((parse, ct) => Guard(console, async token =>
        {
            string path = parse.GetValue(db)!;
            if (!File.Exists(path))
            {
                throw new CliException($"'{path}' does not exist. Record first: kisfeed record 005930 --db {path}");
            }

            DateOnly? day = ParseDate(parse.GetValue(date)) ?? await ProgramTradeCatalog.LatestDateAsync(path, token);
            if (day is null)
            {
                throw new CliException($"'{path}' holds no records yet.");
            }

            string speedText = parse.GetValue(speed)!.Trim();
            double? pace = speedText.Equals("max", StringComparison.OrdinalIgnoreCase) ? null
                : double.TryParse(speedText, NumberStyles.Float, CultureInfo.InvariantCulture, out double n) && n > 0 ? n
                : throw new CliException($"--speed '{speedText}': use a positive number or max.");
            LineFormat? lines = ParseFormat(parse.GetValue(format), console.IsTerminal);
            var query = ReplayQuery.Default with { Date = day, Codes = parse.GetValue(codes) ?? [], Venues = ParseVenues(parse.GetValue(venue)!), Speed = pace };
            string description = $"Replay of {day:yyyy-MM-dd} from {path} at {(pace is null ? "max speed" : $"{pace}x")}";
            Announce(console, lines, description);
            long replayed = 0;
            IAsyncEnumerable<ProgramTrade> stream = Count(ProgramTradeReplay.ReadAsync(path, query, token), () => replayed++);
            await ShowAsync(console, stream, lines, ParseSort(parse.GetValue(sort)!), () => new BoardStatus(description, "Replaying", replayed, 0, 0, 0), token);
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
        var command = new Command("export", "Export recorded rows (columns: see docs/storage.md) as CSV, Parquet or JSONL.\nExample: kisfeed export --db today.duckdb --format parquet -o trades.parquet")
        {
            db, format, output, date, codes, venue,
        };
        command.SetAction((parse, ct) => Guard(console, async token =>
        {
            string path = parse.GetValue(db)!;
            if (!File.Exists(path))
            {
                throw new CliException($"'{path}' does not exist. Record first: kisfeed record 005930 --db {path}");
            }

            ExportFormat fmt = parse.GetValue(format)!.Trim().ToLowerInvariant() switch
            {
                "csv" => ExportFormat.Csv,
                "parquet" => ExportFormat.Parquet,
                "jsonl" or "json" => ExportFormat.Jsonl,
                string other => throw new CliException($"Unknown export format '{other}': use csv, parquet or jsonl."),
            };
            DateOnly? day = ParseDate(parse.GetValue(date));
            string ext = fmt switch { ExportFormat.Csv => "csv", ExportFormat.Parquet => "parquet", _ => "jsonl" };
            string target = parse.GetValue(output) ?? $"kisfeed-{(day is { } d ? d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : "all")}.{ext}";
            var query = ExportQuery.Default with { Date = day, Codes = parse.GetValue(codes) ?? [], Venues = ParseVenues(parse.GetValue(venue)!) };
            long rows = await ProgramTradeExporter.ExportAsync(path, fmt, target, query, token);
            await console.Out.WriteLineAsync($"Exported {rows:N0} row(s) to {Path.GetFullPath(target)}");
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

        public Option<TimeSpan?> PingInterval { get; } = new("--ping-interval") { Description = "Period of the server's PINGPONG frame (e.g. 30s, 500ms). Default 30s (KIS does not document its own).", CustomParser = r => ParseDuration(r.Tokens.Single().Value) };

        public Option<TimeSpan?> PingTimeout { get; } = new("--ping-timeout") { Description = "Drop a session that has not echoed a PINGPONG for this long (e.g. 60s). Default: twice --ping-interval.", CustomParser = r => ParseDuration(r.Tokens.Single().Value) };

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

    private static BoardStatus Status(KisRealtimeClient client, string source, CliLogging logging)
    {
        KisClientStatistics s = client.GetStatistics();
        return new BoardStatus(source, s.State.ToString(), s.RecordsReceived, s.Reconnects, s.RecordsDropped, s.RejectedFrames, logging.LastMessage);
    }

    /// <summary>Shows a stream on the live board (terminal) or as lines; returns when the stream ends or is cancelled.</summary>
    private static async Task ShowAsync(CliConsole console, IAsyncEnumerable<ProgramTrade> stream, LineFormat? lines, BoardSort sort, Func<BoardStatus> status, CancellationToken ct)
    {
        if (lines is { } format)
        {
            var writer = new LineWriter(console.Out, format);
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

        var board = new ProgramTradeBoard(sort);
        Task consume = Task.Run(async () =>
        {
            await foreach (ProgramTrade t in stream.WithCancellation(ct))
            {
                board.Apply(t);
            }
        }, ct);
        await console.Terminal.Live(board.Render(status())).AutoClear(false).StartAsync(async live =>
        {
            while (!consume.IsCompleted)
            {
                live.UpdateTarget(board.Render(status()));
                await Task.WhenAny(consume, Task.Delay(250, CancellationToken.None));
            }

            live.UpdateTarget(board.Render(status()));
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
                $"{DateTime.Now:HH:mm:ss} {c.State} · {r.RecordsWritten:N0} written ({rate:N0}/s) · krx {r.KrxRecords:N0} nxt {r.NxtRecords:N0} unified {r.UnifiedRecords:N0} · gaps {r.GapsWritten} · reconnects {c.Reconnects} · drops {c.RecordsDropped} · {r.FileSizeBytes / 1024.0 / 1024.0:N1} MiB"));
        }
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
