using System.CommandLine;
using System.Globalization;

using KisFeed.Simulator;

using Microsoft.Extensions.Logging;

using Spectre.Console;

namespace KisFeed.Cli;

internal static partial class CliApp
{
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
            if (parse.GetValue(o.Port) is < 0 or > 65535)
            {
                throw CliException.Usage($"--port {parse.GetValue(o.Port).ToString(System.Globalization.CultureInfo.InvariantCulture)}: use a TCP port from 1 to 65535, or 0 for any free port.");
            }

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

            if (options.LedgerFile is { } ledger)
            {
                try
                {
                    using (File.Create(ledger))
                    {
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    throw new CliException($"Cannot write the ledger '{ledger}': {ex.Message} Pick a writable --ledger path.");
                }
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
                if (options.Credentials.Count > 1)
                {
                    await w.WriteLineAsync($"  Demo keys       : {options.Credentials.Count} ({options.Credentials[0].AppKey} … {options.Credentials[^1].AppKey}), one session each");
                }

                await w.WriteLineAsync("  (demo credentials of the simulator only, not KIS secrets)");
                if (options.LedgerFile is { } ledgerFile)
                {
                    await w.WriteLineAsync($"  Ledger    : {ledgerFile} (every record sent; a status line each second)");
                }

                if (options.AdminEndpoints)
                {
                    await w.WriteLineAsync($"  Admin     : GET {rest}/simulator/status, POST {rest}/simulator/stall?on=true|false, POST {rest}/simulator/drop?mode=abort (test endpoints, not KIS)");
                }

                if (parse.GetValue(o.KeysFile) is { } keysFile)
                {
                    WriteKeysFile(keysFile, options.Credentials, new Uri(sim.WebSocketUri, "/tryitout"), sim.RestBaseUri);
                    await w.WriteLineAsync($"  Keys file : {keysFile} (mode 600): kisfeed gateway --app-keys {keysFile} --nats …, on as many gateways as you like");
                }
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

        static string KstNow() => KoreaTime.Now().ToString("ddd HH:mm", CultureInfo.InvariantCulture);

        static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";
    }

    /// <summary>
    /// Writes <paramref name="keys"/> and the simulator's endpoints as a gateway keys file (<see cref="AppKeysFile"/>),
    /// readable by its owner only: the gateway refuses any other mode.
    /// </summary>
    internal static void WriteKeysFile(string path, IReadOnlyList<SimulatorCredential> keys, Uri webSocket, Uri rest)
    {
        string json = System.Text.Json.JsonSerializer.Serialize(new
        {
            keys = keys.Select(k => new { appkey = k.AppKey, appsecret = k.AppSecret }),
            ws_url = webSocket.ToString(),
            rest_url = rest.ToString(),
        });
        try
        {
            using (File.Create(path))
            {
            }

            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            File.WriteAllText(path, json);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"Cannot write the keys file '{path}': {ex.Message}");
        }
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

        public Option<int> DemoKeys { get; } = new("--demo-keys") { Description = "Demo app keys accepted (default 1): several gateways can share this one simulator, and so one ledger, each key at most one session.", DefaultValueFactory = _ => 1 };

        public Option<string?> Ledger { get; } = new("--ledger") { Description = "Test bookkeeping (not a KIS feature): append every data record sent to FILE, one line each with session, frame and send time, plus a status line each second (records sent, OPSP8996 refusals, most sessions on one key). Grows with the run." };

        public Option<bool> Admin { get; } = new("--admin") { Description = "Test endpoints (not KIS): GET /simulator/status (ledger counters as JSON) POST /simulator/stall?on=true|false (stop and resume all output) and POST /simulator/drop?mode=abort|close-normal|close-error (drop every session)." };

        public Option<string?> KeysFile { get; } = new("--keys-file") { Description = "Write the demo keys and this simulator's endpoints to FILE (mode 600) in the gateway's keys-file format: kisfeed gateway --app-keys FILE." };

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
            foreach (Option option in (Option[])[Port, Host, Seed, Rate, AlwaysOpen, RealHours, PingInterval, PingTimeout, BodyOnlyErrors, MixCodes, Duration, Scenario, AppKeyLock, DemoKeys, KeysFile, Ledger, Admin])
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

            int demoKeys = parse.GetValue(DemoKeys);
            if (demoKeys is < 1 or > 1000)
            {
                throw new CliException($"--demo-keys must be between 1 and 1000 (got {demoKeys}).");
            }

            return SimulatorOptions.Demo with
            {
                Credentials = DemoCredentials(demoKeys),
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
                LedgerFile = parse.GetValue(Ledger),
                AdminEndpoints = parse.GetValue(Admin),

                // The file is the ledger of a long run: no copy in memory (it would grow by every record sent).
                LedgerCapacityPerSession = parse.GetValue(Ledger) is null ? SimulatorOptions.Demo.LedgerCapacityPerSession : 0,
            };
        }
    }

    // ---- helpers --------------------------------------------------------------------------------------------
}
