using System.CommandLine;
using System.Text.Json;

using KisFeed.Nats;
using KisFeed.Simulator;

using NATS.Client.Core;

namespace KisFeed.Cli;

/// <summary><c>kisfeed gateway</c>: a NATS gateway for the app keys whose leases it wins.</summary>
internal static partial class CliApp
{
    private static Option<string> NatsOption() => new("--nats") { Description = "NATS server URL, e.g. nats://127.0.0.1:4222 (a cluster: comma-separated URLs).", DefaultValueFactory = _ => "nats://127.0.0.1:4222" };

    private static Option<TimeSpan?> TimeOption(string name, string description) => new(name) { Description = description, CustomParser = ParseDuration };

    private static Command GatewayCommand(CliConsole console)
    {
        Option<string> nats = NatsOption();
        Option<string?> keysFile = new("--app-keys") { Description = "JSON file of app keys, owner-only permissions (chmod 600): {\"keys\": [{\"appkey\": \"...\", \"appsecret\": \"...\"}, ...], \"ws_url\": optional, \"rest_url\": optional}. Without it and without KIS_APPKEY/KIS_APPSECRET: the built-in simulator with --demo-keys demo keys." };
        Option<int> demoKeys = new("--demo-keys") { Description = "Demo app keys of the built-in simulator (no credentials).", DefaultValueFactory = _ => 5 };
        Option<string?> id = new("--id") { Description = "Gateway id (default host-pid)." };
        Option<int?> maxKeys = new("--max-keys") { Description = "Hold at most this many keys (default: a fair share)." };
        Option<TimeSpan?> leaseTtl = TimeOption("--lease-ttl", "Lease lifetime T after the last renewal (default 360s). Same on every gateway.");
        Option<TimeSpan?> silent = TimeOption("--kis-silent-lifetime", "D: how long KIS keeps a session that stopped answering PINGPONG (default 300s). T must be at least D + 3 R.");
        Option<TimeSpan?> renew = TimeOption("--renew-interval", "R: lease renewal period (default 15s).");
        Option<int> replicas = new("--replicas") { Description = "Replicas of the stream and KV buckets (3 on a three-node NATS cluster).", DefaultValueFactory = _ => 1 };
        Option<TimeSpan?> memoryEvery = TimeOption("--print-memory", "Print this process's working set and managed heap (after a full GC) every interval (benchmarks).");
        memoryEvery.Hidden = true;
        Option<bool> verbose = VerboseOption();
        var command = new Command("gateway", "Run a gateway: hold app-key leases in NATS KV, open one KIS session per held key, carry the registrations of `kisfeed subs` and publish to JetStream.\nExample: kisfeed gateway --nats nats://10.0.0.5:4222 --app-keys ~/.config/kisfeed/keys.json")
        {
            nats, keysFile, demoKeys, id, maxKeys, leaseTtl, silent, renew, replicas, memoryEvery, verbose,
        };
        command.SetAction((parse, ct) => Guard(console, async token =>
        {
            (CliLogging logging, _) = Logging(console, parse.GetValue(verbose), board: false);
            NatsFeedOptions feed = FeedOptions(parse.GetValue(leaseTtl), parse.GetValue(silent), parse.GetValue(renew)) with { Replicas = parse.GetValue(replicas) };
            (IReadOnlyList<AppKeyCredential> keys, KisOptions session, KisSimulator? simulator, string description) =
                await LoadKeysAsync(parse.GetValue(keysFile), parse.GetValue(demoKeys), logging, token);
            await using (simulator)
            {
                await console.Out.WriteLineAsync(description);
                await using var connection = new NatsConnection(NatsOpts.Default with { Url = parse.GetValue(nats)!, Name = "kisfeed-gateway", LoggerFactory = logging.Factory });
                await connection.ConnectAsync();
                var options = GatewayOptions.Default with
                {
                    Feed = feed,
                    Session = session with { LoggerFactory = logging.Factory },
                    MaxKeys = parse.GetValue(maxKeys),
                };
                if (parse.GetValue(id) is { } gatewayId)
                {
                    options = options with { GatewayId = gatewayId };
                }

                await using var gateway = new NatsGateway(connection, keys, options, logging.Factory);
                gateway.Event += e =>
                {
                    console.Out.WriteLine($"{e.At:HH:mm:ss.fff} {Kebab(e.Kind)} {(e.KeyId.Length == 0 ? "-" : e.KeyId)} {e.Detail}");
                    console.Out.Flush();
                };
                using Timer? memory = parse.GetValue(memoryEvery) is { } every ? new Timer(_ => PrintMemory(console, gateway), null, every, every) : null;
                await gateway.RunAsync(token);
                FeedPublisherStatistics stats = gateway.PublisherStatistics;
                await console.Out.WriteLineAsync($"Stopped. published {stats.Published:N0}, duplicates {stats.Duplicates:N0}, retries {stats.Retries:N0}.");
            }

            return 0;
        }, null, ct));
        return command;
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
        _ => kind.ToString().ToLowerInvariant(),
    };

    /// <summary>Demo app keys of the built-in simulator (valid only there).</summary>
    internal static IReadOnlyList<SimulatorCredential> DemoCredentials(int count) =>
        [.. Enumerable.Range(1, count).Select(i => new SimulatorCredential(
            $"PSDEMO-SIMULATOR-APPKEY-{i:D12}",
            ($"DEMO-SIMULATOR-APPSECRET-{i:D4}-NOT-A-REAL-KIS-SECRET-" + new string('0', 180))[..180]))];

    private static async Task<(IReadOnlyList<AppKeyCredential>, KisOptions, KisSimulator?, string)> LoadKeysAsync(string? path, int demoKeys, CliLogging logging, CancellationToken token)
    {
        KisOptions env = KisOptions.FromEnvironment();
        if (path is not null)
        {
            (IReadOnlyList<AppKeyCredential> keys, KisOptions endpoints) = AppKeysFile.Load(path, env);
            return (keys, endpoints, null, $"Live: {endpoints.WebSocketUri}, {keys.Count} app key(s) from {path}: {string.Join(' ', keys.Select(k => k.Id))}");
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
        KisSimulator simulator = await KisSimulator.StartAsync(SimulatorOptions.Demo with { Credentials = demo, LoggerFactory = logging.Factory }, token).ConfigureAwait(false);
        KisOptions session = env with { WebSocketUri = new Uri(simulator.WebSocketUri, "/tryitout"), RestUri = simulator.RestBaseUri };
        List<AppKeyCredential> keysOut = [.. demo.Select(c => new AppKeyCredential(c.AppKey, c.AppSecret))];
        return (keysOut, session, simulator, $"Demo (no --app-keys, no KIS_APPKEY/KIS_APPSECRET): built-in simulator at {simulator.WebSocketUri} with {demoKeys} demo app keys — simulated data, not the market");
    }
}

/// <summary>
/// The gateway's keys file: <c>{"keys": [{"appkey": "...", "appsecret": "..."}, ...], "ws_url": "...", "rest_url": "..."}</c>.
/// It holds secrets, so it must not be readable or writable by group or others (<c>chmod 600</c>); anything else is refused.
/// </summary>
internal static class AppKeysFile
{
    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    public static (IReadOnlyList<AppKeyCredential> Keys, KisOptions Endpoints) Load(string path, KisOptions baseOptions)
    {
        if (!File.Exists(path))
        {
            throw new CliException($"App keys file '{path}' does not exist.");
        }

        if (!OperatingSystem.IsWindows())
        {
            UnixFileMode mode = File.GetUnixFileMode(path);
            if ((mode & GroupOrOther) != 0)
            {
                throw new CliException($"App keys file '{path}' has mode {Convert.ToString((int)mode, 8).PadLeft(4, '0')}: it holds app secrets, so group and others must have no access. Run: chmod 600 {path}");
            }
        }

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
