using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;

using KisFeed.Nats;
using KisFeed.Simulator;
using KisFeed.Web;

using NATS.Client.Core;

namespace KisFeed.Cli;

/// <summary><c>kisfeed gateway</c>: a NATS gateway for the app keys whose leases it wins.</summary>
internal static partial class CliApp
{
    private static Option<string> NatsOption() => new("--nats") { Description = "NATS server URL, e.g. nats://127.0.0.1:4222 (a cluster: comma-separated URLs).", DefaultValueFactory = _ => "nats://127.0.0.1:4222" };

    private static Option<TimeSpan?> TimeOption(string name, string description) => new(name) { Description = description, CustomParser = ParseDuration };

    /// <summary>Exit code of a NATS command whose stop ran out of time: sessions closed, but leases left to expire or records not published.</summary>
    internal const int StoppedUnfinished = 3;

    /// <summary>
    /// After the first SIGINT/SIGTERM, the process exits at the latest this long later whatever it is waiting for
    /// (set by the NATS commands, whose stop is bounded; null: no deadline). Read by Program.cs.
    /// </summary>
    internal static TimeSpan? StopDeadline { get; set; }

    /// <summary>The margin the process deadline adds to a command's own stop bound (process teardown, the last lines).</summary>
    internal static readonly TimeSpan StopDeadlineMargin = TimeSpan.FromSeconds(5);

    private static Command GatewayCommand(CliConsole console)
    {
        Option<string> nats = NatsOption();
        Option<string?> keysFile = new("--app-keys") { Description = "JSON file of app keys, owner-only permissions (chmod 600): {\"keys\": [{\"appkey\": \"...\", \"appsecret\": \"...\"}, ...], \"ws_url\": optional, \"rest_url\": optional}. A shared `kisfeed simulate --demo-keys N --keys-file FILE` writes one for its demo keys. Without it and without KIS_APPKEY/KIS_APPSECRET: the built-in simulator (always open) with --demo-keys demo keys." };
        Option<int> demoKeys = new("--demo-keys") { Description = "Demo app keys of the built-in simulator (no credentials).", DefaultValueFactory = _ => 5 };
        Option<string?> id = new("--id") { Description = "Gateway id (default host-pid)." };
        Option<int?> maxKeys = new("--max-keys") { Description = "Hold at most this many keys (default: a fair share)." };
        Option<TimeSpan?> leaseTtl = TimeOption("--lease-ttl", "Lease lifetime T after the last renewal (default 360s). Same on every gateway.");
        Option<TimeSpan?> silent = TimeOption("--kis-silent-lifetime", "D: how long KIS keeps a session that stopped answering PINGPONG (default 300s). T must be at least D + 3 R.");
        Option<TimeSpan?> renew = TimeOption("--renew-interval", "R: lease renewal period (default 15s).");
        Option<TimeSpan?> stopTimeout = TimeOption("--stop-timeout", "The longest a stop (SIGTERM, SIGINT, --duration) takes, whatever NATS does (default 10s): every KIS session is closed first (within min(5s, half of it)), then one attempt to release the leases and publish what is queued. Leases not released expire by their TTL. A second SIGTERM/SIGINT exits at once.");
        Option<int> replicas = new("--replicas") { Description = "Replicas of the stream and KV buckets (3 on a three-node NATS cluster).", DefaultValueFactory = _ => 1 };
        Option<TimeSpan?> memoryEvery = TimeOption("--print-memory", "Print this process's working set and managed heap (after a full GC) every interval (benchmarks).");
        memoryEvery.Hidden = true;
        Option<TimeSpan?> duration = DurationOption();
        Option<bool> verbose = VerboseOption();
        var command = new Command("gateway", "Run a gateway: hold app-key leases in NATS KV, open one KIS session per held key, carry the registrations of `kisfeed subs` and publish to JetStream.\nExample: kisfeed gateway --nats nats://10.0.0.5:4222 --app-keys ~/.config/kisfeed/keys.json\n" + GatewayExitCodesHelp)
        {
            nats, keysFile, demoKeys, id, maxKeys, leaseTtl, silent, renew, stopTimeout, replicas, memoryEvery, duration, verbose,
        };
        NatsAuthOptions natsAuth = new NatsAuthOptions().AddTo(command);
        AddMetricsOptions(command, "NATS is not connected");
        command.SetAction((parse, ct) => Guard(console, async token =>
        {
            (CliLogging logging, _) = Logging(console, parse.GetValue(verbose), board: false);
            NatsConnection? connection = null;
            NatsGateway? running = null;
            await using KisFeedMetricsServer? metrics = await StartMetricsAsync(parse, console, () => GatewayHealth(Volatile.Read(ref connection), Volatile.Read(ref running)), token);
            NatsFeedOptions feed = FeedOptions(parse.GetValue(leaseTtl), parse.GetValue(silent), parse.GetValue(renew)) with { Replicas = parse.GetValue(replicas) };
            TimeSpan stopAfter = parse.GetValue(stopTimeout) ?? GatewayOptions.Default.StopTimeout;
            if (stopAfter <= TimeSpan.Zero)
            {
                throw CliException.Usage($"--stop-timeout must be positive (got {stopAfter}).");
            }

            StopDeadline = stopAfter + StopDeadlineMargin;
            (IReadOnlyList<AppKeyCredential> keys, KisOptions session, KisSimulator? simulator, string description) =
                await LoadKeysAsync(parse.GetValue(keysFile), parse.GetValue(demoKeys), logging, console.Time, token);
            await using (simulator)
            {
                await console.Out.WriteLineAsync(description);
                await PrintMetricsAsync(console, metrics);
                string url = parse.GetValue(nats)!;
                await console.Out.WriteLineAsync($"{KoreaTime.ToKst(console.Time.GetUtcNow()):HH:mm:ss.fff} KST waiting - connecting to NATS at {NatsCredentials.Redact(url)}; nothing is taken before it answers");
                await console.Out.FlushAsync(token);
                connection = new NatsConnection(natsAuth.Opts(parse, console, url, "kisfeed-gateway", logging.Factory));
                try
                {
                    await ConnectNatsAsync(connection, url, token);
                    var options = GatewayOptions.Default with
                    {
                        Feed = feed,
                        Session = session with { LoggerFactory = logging.Factory },
                        // Every message says whether it is simulated: the built-in simulator, or keys valid only on one.
                        Simulated = simulator is not null || keys.All(k => IsDemoKey(k.AppKey)),
                        MaxKeys = parse.GetValue(maxKeys),
                        StopTimeout = stopAfter,
                        TimeProvider = console.Time,
                    };
                    if (parse.GetValue(id) is { } gatewayId)
                    {
                        options = options with { GatewayId = gatewayId };
                    }

                    await using var gateway = new NatsGateway(connection, keys, options, logging.Factory);
                    Volatile.Write(ref running, gateway);
                    gateway.Event += e =>
                    {
                        // Every time the tool shows is KST, with the zone said (the gateway's log lines too).
                        console.Out.WriteLine($"{KoreaTime.ToKst(e.At):HH:mm:ss.fff} KST {Kebab(e.Kind)} {(e.KeyId.Length == 0 ? "-" : e.KeyId)} {e.Detail}");
                        console.Out.Flush();
                    };
                    using Timer? memory = parse.GetValue(memoryEvery) is { } every ? new Timer(_ => PrintMemory(console, gateway), null, every, every) : null;
                    GatewayStopReport report = await gateway.RunAsync(token);
                    FeedPublisherStatistics stats = gateway.PublisherStatistics;
                    await console.Out.WriteLineAsync($"Stopped. published {stats.Published:N0}, duplicates {stats.Duplicates:N0}, retries {stats.Retries:N0}; {report}.");
                    if (!report.IsComplete)
                    {
                        await console.Error.WriteLineAsync(
                            $"kisfeed: the stop did not finish within --stop-timeout {stopAfter.TotalSeconds:0.###}s (NATS did not answer in time): every KIS session was closed, " +
                            $"{report.LeasesLeftToExpire} lease(s) will expire by their TTL ({feed.LeaseTtl.TotalSeconds:0.###}s after their last renewal) and {report.ItemsNotPublished} item(s) were not published (exit code {StoppedUnfinished}).");
                        return StoppedUnfinished;
                    }
                }
                finally
                {
                    await DisposeWithinAsync(connection, StopDeadlineMargin);
                }
            }

            return 0;
        }, parse.GetValue(duration), ct));
        return command;
    }

    /// <summary>
    /// The gateway's <c>/healthz</c>: NATS's connection state, the leases held (their key ids: hashes, never a key) and
    /// what was published; unhealthy while NATS is not connected (nothing can be renewed or published then).
    /// </summary>
    internal static ProcessHealth GatewayHealth(NatsConnection? connection, NatsGateway? gateway)
    {
        NatsConnectionState state = connection?.ConnectionState ?? NatsConnectionState.Closed;
        var detail = new JsonObject
        {
            ["command"] = "gateway",
            ["gateway_id"] = gateway?.GatewayId,
            ["nats"] = connection is null ? "not started" : state.ToString(),
        };
        List<string> problems = [];
        if (state != NatsConnectionState.Open)
        {
            problems.Add(connection is null ? "not connected to NATS yet" : $"NATS is {state.ToString().ToLowerInvariant()}");
        }

        if (gateway is null)
        {
            detail["leases_held"] = 0;
            problems.Add("the gateway is not running yet");
        }
        else
        {
            IReadOnlyList<string> held = gateway.HeldKeyIds;
            FeedPublisherStatistics published = gateway.PublisherStatistics;
            detail["leases_held"] = held.Count;
            detail["keys_held"] = new JsonArray([.. held.Select(k => (JsonNode?)JsonValue.Create(k))]);
            detail["published"] = published.Published;
            detail["duplicates"] = published.Duplicates;
        }

        return Health(detail, problems);
    }

    /// <summary>What the gateway's exit code means (its help, and docs/scale-out.md).</summary>
    internal const string GatewayExitCodesHelp =
        "Exit codes: 0 stopped (after SIGTERM, SIGINT or --duration): every KIS session closed, every lease released, everything published; " +
        "1 failure (NATS unreachable at start, stream or buckets could not be opened, KIS refused); 2 usage error; " +
        "3 stopped within --stop-timeout but NATS did not answer in time: every KIS session closed, leases left to expire by their TTL or records not published; " +
        "130/143 a second SIGINT/SIGTERM: exited at once.";

    /// <summary>Connects, or says clearly that NATS is not there; a stop asked for meanwhile does not wait for the connect (which takes no token).</summary>
    internal static async Task ConnectNatsAsync(NatsConnection connection, string url, CancellationToken token)
    {
        try
        {
            await connection.ConnectAsync().AsTask().WaitAsync(token);
        }
        catch (NatsException ex)
        {
            // Messages.Describe keeps NATS's own reason and adds the credential or TLS hint when that is what failed.
            string why = Messages.Describe(ex);
            bool refused = why.Contains("refused the credentials", StringComparison.Ordinal) || why.Contains("TLS handshake", StringComparison.Ordinal);
            throw new CliException($"Cannot connect to NATS at {NatsCredentials.Redact(url)}: {why}" +
                (refused ? string.Empty : " Start nats-server there, or give the right URL with --nats (--from for readers)."));
        }
    }

    /// <summary>Disposes a NATS connection, waiting at most <paramref name="bound"/> (a connection to a dead server must not hold the exit).</summary>
    internal static async Task DisposeWithinAsync(NatsConnection connection, TimeSpan bound)
    {
        try
        {
            await connection.DisposeAsync().AsTask().WaitAsync(bound);
        }
        catch (TimeoutException)
        {
            // Its sockets close with the process.
        }
    }

    /// <summary>One line a benchmark in another process reads: <c>memory ws=BYTES heap=BYTES published=N</c>.</summary>
    private static void PrintMemory(CliConsole console, NatsGateway gateway)
    {
        long heap = GC.GetTotalMemory(forceFullCollection: true);
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        console.Out.WriteLine($"memory ws={self.WorkingSet64} heap={heap} published={gateway.PublisherStatistics.Published}");
        console.Out.Flush();
    }

    internal static NatsFeedOptions FeedOptions(TimeSpan? leaseTtl, TimeSpan? silent, TimeSpan? renew)
    {
        NatsFeedOptions feed = NatsFeedOptions.Default;
        feed = feed with
        {
            LeaseTtl = leaseTtl ?? feed.LeaseTtl,
            KisSilentSessionLifetime = silent ?? feed.KisSilentSessionLifetime,
            LeaseRenewInterval = renew ?? feed.LeaseRenewInterval,
        };
        if (feed.LeaseRenewInterval < feed.LeaseCheckInterval * 4)
        {
            feed = feed with { LeaseCheckInterval = feed.LeaseRenewInterval / 4 };
        }

        try
        {
            feed.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new CliException(ex.Message);
        }

        return feed;
    }

    private static string Kebab(GatewayEventKind kind) => kind switch
    {
        GatewayEventKind.LeaseAcquired => "lease-acquired",
        GatewayEventKind.LeaseLost => "lease-lost",
        GatewayEventKind.LeaseReleased => "lease-released",
        GatewayEventKind.SessionClosed => "session-closed",
        GatewayEventKind.RegistrationStarted => "registration-started",
        GatewayEventKind.RegistrationStopped => "registration-stopped",
        GatewayEventKind.LeaseLeftToExpire => "lease-left-to-expire",
        _ => kind.ToString().ToLowerInvariant(),
    };

    /// <summary>Whether an app key is one of <see cref="DemoCredentials"/> (valid only on a simulator).</summary>
    internal static bool IsDemoKey(string appKey) => appKey.StartsWith("PSDEMO-SIMULATOR-APPKEY-", StringComparison.Ordinal);

    /// <summary>
    /// Demo app keys of the built-in simulator and of `kisfeed simulate --demo-keys` (valid only there): the first is
    /// <see cref="SimulatorCredential.Demo"/>, so one demo key is the same pair everywhere.
    /// </summary>
    internal static IReadOnlyList<SimulatorCredential> DemoCredentials(int count) =>
        [.. Enumerable.Range(1, count).Select(i => i == 1 ? SimulatorCredential.Demo : new SimulatorCredential(
            $"PSDEMO-SIMULATOR-APPKEY-{i:D12}",
            ($"DEMO-SIMULATOR-APPSECRET-{i:D4}-NOT-A-REAL-KIS-SECRET-" + new string('0', 180))[..180]))];

    private static async Task<(IReadOnlyList<AppKeyCredential>, KisOptions, KisSimulator?, string)> LoadKeysAsync(string? path, int demoKeys, CliLogging logging, TimeProvider clock, CancellationToken token)
    {
        KisOptions env = KisOptions.FromEnvironment();
        if (path is not null)
        {
            (IReadOnlyList<AppKeyCredential> keys, KisOptions endpoints) = AppKeysFile.Load(path, env);
            string what = keys.All(k => IsDemoKey(k.AppKey))
                ? $"Simulator: {endpoints.WebSocketUri}, {keys.Count} demo app key(s) of a kisfeed simulate from {path} — simulated data, not the market"
                : $"Live: {endpoints.WebSocketUri}, {keys.Count} app key(s) from {path}";
            return (keys, endpoints, null, $"{what}: {string.Join(' ', keys.Select(k => k.Id))}");
        }

        if (!string.IsNullOrEmpty(env.AppKey) && !string.IsNullOrEmpty(env.AppSecret))
        {
            var key = new AppKeyCredential(env.AppKey, env.AppSecret);
            return ([key], env, null, $"Live: {env.WebSocketUri}, 1 app key from KIS_APPKEY ({AppKeyCredential.Redact(env.AppKey)}) = {key.Id}");
        }

        if (demoKeys < 1)
        {
            throw new CliException("--demo-keys must be at least 1.");
        }

        IReadOnlyList<SimulatorCredential> demo = DemoCredentials(demoKeys);

        // Always open, like the watch demo: a demo shows data at any hour (the market's hours are `kisfeed simulate`'s default).
        // The demo options (history from the start of the day) and the seed are the watch demo's, so every demo process
        // serves the same market.
        KisSimulator simulator = await KisSimulator.StartAsync(SimulatorOptions.Demo with
        {
            Credentials = demo,
            Hours = MarketHours.AlwaysOpen,
            LoggerFactory = logging.Factory,
            TimeProvider = clock,
        }, token).ConfigureAwait(false);
        KisOptions session = env with { WebSocketUri = new Uri(simulator.WebSocketUri, "/tryitout"), RestUri = simulator.RestBaseUri };
        List<AppKeyCredential> keysOut = [.. demo.Select(c => new AppKeyCredential(c.AppKey, c.AppSecret))];
        return (keysOut, session, simulator, $"Demo (no --app-keys, no KIS_APPKEY/KIS_APPSECRET): built-in simulator at {simulator.WebSocketUri} with {demoKeys} demo app keys, always open — simulated data, not the market. Several gateways: share one `kisfeed simulate --demo-keys N --keys-file keys.json` (see docs/scale-out.md)");
    }
}

/// <summary>
/// The gateway's keys file: <c>{"keys": [{"appkey": "...", "appsecret": "..."}, ...], "ws_url": "...", "rest_url": "..."}</c>.
/// It holds secrets, so it must not be readable or writable by group or others (<c>chmod 600</c>); anything else is refused.
/// </summary>
internal static class AppKeysFile
{
    public static (IReadOnlyList<AppKeyCredential> Keys, KisOptions Endpoints) Load(string path, KisOptions baseOptions)
    {
        if (!File.Exists(path))
        {
            throw new CliException($"App keys file '{path}' does not exist.");
        }

        SecretFiles.RequireOwnerOnly(path, "App keys file", CliException.RunTimeFailure);

        try
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
            JsonElement root = doc.RootElement;
            JsonElement list = root.ValueKind == JsonValueKind.Array ? root : root.TryGetProperty("keys", out JsonElement k) ? k : default;
            if (list.ValueKind != JsonValueKind.Array)
            {
                throw new CliException($"App keys file '{path}' has no \"keys\" array.");
            }

            List<AppKeyCredential> keys = [];
            foreach (JsonElement e in list.EnumerateArray())
            {
                string? key = e.TryGetProperty("appkey", out JsonElement a) ? a.GetString() : null;
                string? secret = e.TryGetProperty("appsecret", out JsonElement s) ? s.GetString() : null;
                if (string.IsNullOrWhiteSpace(key) || string.IsNullOrWhiteSpace(secret))
                {
                    throw new CliException($"App keys file '{path}': entry {keys.Count + 1} needs both \"appkey\" and \"appsecret\".");
                }

                keys.Add(new AppKeyCredential(key.Trim(), secret.Trim()));
            }

            if (keys.Count == 0)
            {
                throw new CliException($"App keys file '{path}' lists no keys.");
            }

            KisOptions o = baseOptions;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("ws_url", out JsonElement ws) && ws.GetString() is { } wsUrl)
            {
                o = o with { WebSocketUri = new Uri(wsUrl) };
            }

            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("rest_url", out JsonElement rest) && rest.GetString() is { } restUrl)
            {
                o = o with { RestUri = new Uri(restUrl) };
            }

            return (keys, o);
        }
        catch (Exception ex) when (ex is JsonException or UriFormatException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            throw new CliException($"Cannot read app keys file '{path}': {ex.Message}");
        }
    }
}
