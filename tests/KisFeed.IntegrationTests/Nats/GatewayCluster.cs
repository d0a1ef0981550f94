using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;

using KisFeed.IntegrationTests.Reliability;
using KisFeed.Nats;
using KisFeed.Simulator;
using KisFeed.TestKit;

using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace KisFeed.IntegrationTests.Nats;

/// <summary>One `kisfeed gateway` process, its output lines (with the time the test read them), and signals.</summary>
internal sealed class GatewayProcess : IDisposable
{
    private readonly Process _process;

    private GatewayProcess(string id, Process process)
    {
        Id = id;
        _process = process;
    }

    public string Id { get; }

    public int Pid => _process.Id;

    public ConcurrentQueue<(long Order, string Line)> Lines { get; } = new();

    private static long s_order;

    public static GatewayProcess Start(string id, string natsUrl, string keysFile, NatsFeedOptions feed, IEnumerable<string>? extra = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        static string S(TimeSpan t) => t.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) + "s";
        return StartCli(id,
        [
            "gateway", "--nats", natsUrl, "--app-keys", keysFile, "--id", id,
            "--lease-ttl", S(feed.LeaseTtl), "--kis-silent-lifetime", S(feed.KisSilentSessionLifetime), "--renew-interval", S(feed.LeaseRenewInterval),
            "--replicas", feed.Replicas.ToString(System.Globalization.CultureInfo.InvariantCulture), .. extra ?? [],
        ], environment);
    }

    /// <summary>
    /// Any `kisfeed` command as a process: the CLI built beside the tests, or the one named by KISFEED_TEST_CLI (a
    /// KisFeed.Cli.dll built from another commit, to see a test fail on older code).
    /// </summary>
    public static GatewayProcess StartCli(string id, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        string cli = Environment.GetEnvironmentVariable("KISFEED_TEST_CLI") is { Length: > 0 } other ? other : Path.Combine(AppContext.BaseDirectory, "KisFeed.Cli.dll");
        var start = new ProcessStartInfo("dotnet", [cli, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment.Remove("KIS_APPKEY");
        start.Environment.Remove("KIS_APPSECRET");
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        var gw = new GatewayProcess(id, Process.Start(start)!);
        gw._process.OutputDataReceived += (_, e) => { if (e.Data is { } l) { gw.Lines.Enqueue((Interlocked.Increment(ref s_order), l)); } };
        gw._process.ErrorDataReceived += (_, e) => { if (e.Data is { } l) { gw.Lines.Enqueue((Interlocked.Increment(ref s_order), "stderr: " + l)); } };
        gw._process.BeginOutputReadLine();
        gw._process.BeginErrorReadLine();
        return gw;
    }

    public static long Now => Interlocked.Read(ref s_order);

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public void Kill9() => _process.Kill();

    public void Pause() => Signal(19);

    public void Resume() => Signal(18);

    public void Terminate() => Signal(15);

    public async Task WaitForExitAsync(CancellationToken ct) => await _process.WaitForExitAsync(ct);

    public string Output => string.Join('\n', Lines.Select(l => l.Line));

    private void Signal(int signal) => SendSignal(_process.Id, signal);

    /// <summary>Sends a signal to any process the test started.</summary>
    public static void SendSignal(int pid, int signal)
    {
        if (!Signals.TrySend(pid, signal))
        {
            Assert.Fail($"kill({pid}, {signal}) failed");
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Signal(18);
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
    }
}

/// <summary>
/// A simulator with several demo app keys, a real nats-server, N gateway processes, a live reader of the whole stream and
/// a watcher of the lease bucket.
/// </summary>
internal sealed class GatewayCluster : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _background = [];

    private GatewayCluster(NatsServer server, KisSimulator simulator, NatsConnection nats, string dir, IReadOnlyList<SimulatorCredential> keys)
    {
        Server = server;
        Nodes = [server];
        Simulator = simulator;
        Nats = nats;
        Dir = dir;
        Keys = keys;
    }

    public static NatsFeedOptions Feed => NatsTestKit.Feed;

    /// <summary>The (first) NATS server.</summary>
    public NatsServer Server { get; }

    /// <summary>Every NATS server: one, or the nodes of a cluster.</summary>
    public IReadOnlyList<NatsServer> Nodes { get; private init; }

    /// <summary>The NATS URL every client is given: the server, or every node comma-separated.</summary>
    public string Url => string.Join(',', Nodes.Select(n => n.Url));

    /// <summary>The feed options of this cluster: <see cref="NatsTestKit.Feed"/>, with replicas = nodes.</summary>
    public NatsFeedOptions FeedOptions { get; private init; } = NatsTestKit.Feed;

    public KisSimulator Simulator { get; }

    public NatsConnection Nats { get; }

    public NatsJSContext Js => new(Nats);

    public string Dir { get; }

    public IReadOnlyList<SimulatorCredential> Keys { get; }

    public string KeysFile => Path.Combine(Dir, "keys.json");

    public List<GatewayProcess> Gateways { get; } = [];

    /// <summary>Every stream message read so far (live), in stream order.</summary>
    public ConcurrentQueue<NatsFeedItem> Stream { get; } = new();

    /// <summary>Every moment the simulator had two live sessions on one app key (checked every 5 ms; must stay empty).</summary>
    public ConcurrentQueue<string> TwoSessions { get; } = new();

    /// <summary>Every change of the lease bucket seen (puts and deletes; expiry by max age leaves no entry).</summary>
    public ConcurrentQueue<NatsKVEntry<byte[]>> LeaseHistory { get; } = new();

    public AppKeyLeaseStore Leases { get; private set; } = null!;

    /// <summary>Starts it all; <c>natsNodes</c> 1: one nats-server, 3: a three-node JetStream cluster with the stream and buckets on 3 replicas.</summary>
    public static async Task<GatewayCluster> StartAsync(int gateways, IReadOnlyList<string> codes, IReadOnlyList<Venue> venues, CancellationToken ct, int natsNodes = 1)
    {
        string dir = Path.Combine(Path.GetTempPath(), "kisfeed-cluster-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(dir);
        IReadOnlyList<NatsServer> nodes = natsNodes == 1 ? [await NatsServer.StartAsync(ct)] : await NatsServer.StartClusterAsync(natsNodes, ct);
        NatsServer server = nodes[0];
        NatsFeedOptions feed = NatsTestKit.Feed with { Replicas = natsNodes };
        IReadOnlyList<SimulatorCredential> keys = global::KisFeed.Cli.CliApp.DemoCredentials(5);
        KisSimulator sim = await KisSimulator.StartAsync(SimulatorOptions.Default with
        {
            Credentials = keys,
            UpdatesPerSecond = 4,
            TickInterval = TimeSpan.FromMilliseconds(100),
            PingInterval = TimeSpan.FromMilliseconds(500),
            PingTimeout = TimeSpan.FromSeconds(1),
            ApprovalRateLimitPerSecond = 0,
        }, ct);
        string url = string.Join(',', nodes.Select(n => n.Url));
        var nats = new NatsConnection(NatsOpts.Default with { Url = url, Name = "kisfeed-cluster-test" });
        var cluster = new GatewayCluster(server, sim, nats, dir, keys) { Nodes = nodes, FeedOptions = feed };
        await File.WriteAllTextAsync(cluster.KeysFile, JsonSerializer.Serialize(new
        {
            keys = keys.Select(k => new { appkey = k.AppKey, appsecret = k.AppSecret }),
            ws_url = new Uri(sim.WebSocketUri, "/tryitout").ToString(),
            rest_url = sim.RestBaseUri.ToString(),
        }), ct);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(cluster.KeysFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        NatsJSContext js = cluster.Js;
        await RetryWhileElectingAsync(() => FeedPublisher.EnsureStreamAsync(js, feed, ct), ct);
        cluster.Leases = await AppKeyLeaseStore.OpenAsync(js, feed, ct);
        DesiredRegistrations desired = await DesiredRegistrations.OpenAsync(js, feed, ct);
        await desired.AddAsync(codes.SelectMany(c => venues.Select(v => new Registration(v, c))), ct);
        cluster._background.Add(Task.Run(() => cluster.ReadStreamAsync(cluster._stop.Token)));
        cluster._background.Add(Task.Run(() => cluster.WatchLeasesAsync(cluster._stop.Token)));
        cluster._background.Add(Task.Run(() => cluster.WatchSessionsAsync(cluster._stop.Token)));
        for (int i = 1; i <= gateways; i++)
        {
            cluster.Gateways.Add(GatewayProcess.Start($"gw{i}", url, cluster.KeysFile, feed));
        }

        return cluster;
    }

    /// <summary>A new cluster answers JetStream calls only once its meta leader is elected: retry until then.</summary>
    private static async Task RetryWhileElectingAsync(Func<Task> call, CancellationToken ct)
    {
        for (int i = 0; ; i++)
        {
            try
            {
                await call();
                return;
            }
            catch (Exception ex) when (i < 100 && ex is NatsJSApiException or NatsNoRespondersException or NatsJSApiNoResponseException or TimeoutException)
            {
                await Task.Delay(200, ct);
            }
        }
    }

    public string KeyIdOf(SimulatorCredential c) => AppKeyCredential.IdOf(c.AppKey);

    public async Task<IReadOnlyDictionary<string, string>> HoldersAsync(CancellationToken ct) => await Leases.HoldersAsync(ct);

    public IEnumerable<ProgramTrade> Trades => Stream.Where(i => i.Item.Kind == FeedItemKind.Trade).Select(i => i.Item.Trade);

    public List<DataGapEventArgs> Gaps => [.. Stream.Where(i => i.Item.Kind == FeedItemKind.Gap).Select(i => i.Item.Gap!).Select(g => new DataGapEventArgs(g))];

    public LedgerCheck.Result Check() => LedgerCheck.Compare(LedgerCheck.Distinct(Simulator.GetLedger()), Trades, Gaps);

    public string Describe() =>
        $"ledger {Simulator.GetLedger().Count}, stream {Stream.Count}, OPSP8996 {Simulator.AlreadyInUseReplies}\n" +
        string.Join("\n", Gateways.Select(g => $"--- {g.Id} (pid {g.Pid}{(g.HasExited ? ", exited" : string.Empty)}):\n{g.Output}"));

    private async Task ReadStreamAsync(CancellationToken ct)
    {
        var consumer = new FeedConsumer(Js, FeedOptions);
        try
        {
            await foreach (NatsFeedItem item in consumer.ReadAsync([], VenueExtensions.All, FeedStart.AfterSequence(0), ct))
            {
                Stream.Enqueue(item);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task WatchSessionsAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            foreach (IGrouping<string?, SimulatorSessionInfo> g in Simulator.Sessions.Where(s => s.AppKey is not null).GroupBy(s => s.AppKey))
            {
                if (g.Count() > 1)
                {
                    TwoSessions.Enqueue($"{AppKeyCredential.IdOf(g.Key!)} sessions {string.Join(',', g.Select(s => s.Id))}");
                }
            }

            try
            {
                await Task.Delay(5, ct);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private async Task WatchLeasesAsync(CancellationToken ct)
    {
        try
        {
            await foreach (NatsKVEntry<byte[]> e in Leases.Leases.WatchAsync<byte[]>(opts: new NatsKVWatchOpts { IncludeHistory = true }, cancellationToken: ct))
            {
                LeaseHistory.Enqueue(e);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public static string Owner(NatsKVEntry<byte[]> e) => e.Value is { } v ? Encoding.UTF8.GetString(v) : string.Empty;

    public async ValueTask DisposeAsync()
    {
        foreach (GatewayProcess g in Gateways)
        {
            g.Dispose();
        }

        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_background).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
        }

        await Nats.DisposeAsync();
        await Simulator.DisposeAsync();
        foreach (NatsServer node in Nodes)
        {
            await node.DisposeAsync();
        }
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
