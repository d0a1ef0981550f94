using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

using KisFeed.Nats;
using KisFeed.Simulator;

using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace KisFeed.Benchmarks;

/// <summary>
/// `nats [--records N] [--seconds S] [--memory-minutes M] [--memory-only]`: the scale-out figures, side by side in one run against a
/// nats-server this command starts (JetStream, file store in a temp dir, free port):
/// payload size and codec speed (binary v1 vs JSON), publish throughput with dedup vs a raw NATS.Net publish loop,
/// end-to-end latency simulator → gateway → JetStream → consumer, takeover time, and (with --memory-minutes) the memory
/// of a gateway holding 10 keys × 41 registrations.
/// </summary>
internal static class NatsReport
{
    public static async Task<int> RunAsync(string[] args)
    {
        int records = (int)Arg(args, "--records", 200_000);
        double seconds = Arg(args, "--seconds", 10);
        double memoryMinutes = Arg(args, "--memory-minutes", 0);
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}, load {Load()}");
        await using var server = await Server.StartAsync();
        Console.WriteLine($"nats-server {server.Version} at {server.Url}, JetStream file store in {server.Dir}");

        if (!args.Contains("--memory-only"))
        {
            Codec();
            await ThroughputAsync(server.Url, records);
            await LatencyAsync(server.Url, seconds);
            await TakeoverAsync(server.Url);
        }

        if (memoryMinutes > 0)
        {
            await MemoryAsync(server.Url, memoryMinutes);
        }

        return 0;
    }

    private static ProgramTrade Sample(int i) => new(
        Venue.Nxt, (100000 + (i % 900)).ToString(CultureInfo.InvariantCulture), KoreaTime.DateOf(DateTimeOffset.UtcNow), new TimeOnly(9, 0).Add(TimeSpan.FromSeconds(i % 20000)),
        1_234_567 + i, 98_765_432_100 + i, 2_345_678 + i, 187_654_321_000 + i, 1_111_111, 88_888_888_900, 12_345, 23_456, 11_111,
        DateTimeOffset.UtcNow);

    private static void Codec()
    {
        const int N = 1_000_000;
        ProgramTrade[] trades = [.. Enumerable.Range(0, 1000).Select(Sample)];
        byte[] buffer = new byte[256];
        var sw = Stopwatch.StartNew();
        long bytes = 0;
        for (int i = 0; i < N; i++)
        {
            bytes += FeedCodec.WriteTrade(trades[i % 1000], buffer);
        }

        double binWrite = sw.Elapsed.TotalNanoseconds / N;
        byte[] encoded = FeedCodec.EncodeTrade(trades[1]);
        sw.Restart();
        long sink = 0;
        for (int i = 0; i < N; i++)
        {
            sink += FeedCodec.Decode(encoded).Trade.SellVolume;
        }

        double binRead = sw.Elapsed.TotalNanoseconds / N;
        sw.Restart();
        string id = string.Empty;
        for (int i = 0; i < N; i++)
        {
            int n = FeedCodec.WriteTrade(trades[i % 1000], buffer);
            id = FeedCodec.TradeMessageId(trades[i % 1000], buffer.AsSpan(0, n));
        }

        double idNs = sw.Elapsed.TotalNanoseconds / N;

        var writer = new ArrayBufferWriter<byte>(512);
        long jsonBytes = 0;
        sw.Restart();
        for (int i = 0; i < N; i++)
        {
            writer.ResetWrittenCount();
            using (var json = new Utf8JsonWriter(writer))
            {
                WriteJson(json, trades[i % 1000]);
            }

            jsonBytes += writer.WrittenCount;
        }

        double jsonWrite = sw.Elapsed.TotalNanoseconds / N;
        writer.ResetWrittenCount();
        using (var json = new Utf8JsonWriter(writer))
        {
            WriteJson(json, trades[1]);
        }

        byte[] jsonSample = writer.WrittenSpan.ToArray();
        sw.Restart();
        for (int i = 0; i < N / 4; i++)
        {
            using JsonDocument doc = JsonDocument.Parse(jsonSample);
            sink += doc.RootElement.GetProperty("sell_volume").GetInt64();
        }

        double jsonRead = sw.Elapsed.TotalNanoseconds / (N / 4);
        Console.WriteLine($"payload      binary v1 {bytes / (double)N:F0} B, write {binWrite:F0} ns, read {binRead:F0} ns | JSON {jsonBytes / (double)N:F0} B, write {jsonWrite:F0} ns, read (JsonDocument) {jsonRead:F0} ns | Nats-Msg-Id {id.Length} chars, {idNs - binWrite:F0} ns (sink {sink % 10})");
    }

    private static void WriteJson(Utf8JsonWriter w, in ProgramTrade t)
    {
        w.WriteStartObject();
        w.WriteNumber("v", 1);
        w.WriteString("venue", "nxt");
        w.WriteString("code", t.Code);
        w.WriteString("date", t.TradingDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        w.WriteString("time", t.Time.ToString("HH:mm:ss", CultureInfo.InvariantCulture));
        w.WriteNumber("sell_volume", t.SellVolume);
        w.WriteNumber("sell_value", t.SellValue);
        w.WriteNumber("buy_volume", t.BuyVolume);
        w.WriteNumber("buy_value", t.BuyValue);
        w.WriteNumber("net_buy_volume", t.NetBuyVolume);
        w.WriteNumber("net_buy_value", t.NetBuyValue);
        w.WriteNumber("ask_residual", t.AskResidual);
        w.WriteNumber("bid_residual", t.BidResidual);
        w.WriteNumber("net_bid_residual", t.NetBidResidual);
        w.WriteString("received_at", t.ReceivedAt);
        w.WriteNumber("missing", (int)t.Missing);
        w.WriteNumber("source", (int)t.Source);
        w.WriteEndObject();
    }

    private static async Task ThroughputAsync(string url, int records)
    {
        ProgramTrade[] trades = [.. Enumerable.Range(0, records).Select(Sample)];
        const int Window = 512;
        double raw1 = await RawAsync(url, trades, Window, "RAW1");
        double ours1 = await OursAsync(url, trades, "KF1");
        double raw2 = await RawAsync(url, trades, Window, "RAW2");
        double ours2 = await OursAsync(url, trades, "KF2");
        double dedupAgain = await OursAsync(url, trades, "KF2", fresh: false);
        double raw = Math.Max(raw1, raw2), ours = Math.Max(ours1, ours2);
        Console.WriteLine($"publish      {records:N0} records, file store, {Window} in flight: raw NATS.Net loop {raw1 / 1e3:F1}/{raw2 / 1e3:F1} k/s, KisFeed publisher (encode + Nats-Msg-Id + dedup) {ours1 / 1e3:F1}/{ours2 / 1e3:F1} k/s = {100 * ours / raw:F0} % (target >= 70 %); all again as duplicates {dedupAgain / 1e3:F1} k/s");
    }

    private static async Task<double> RawAsync(string url, ProgramTrade[] trades, int window, string stream)
    {
        await using var nats = new NatsConnection(NatsOpts.Default with { Url = url });
        var js = new NatsJSContext(nats);
        await js.CreateOrUpdateStreamAsync(new StreamConfig(stream, [$"{stream.ToLowerInvariant()}.>"]) { Storage = StreamConfigStorage.File });
        byte[][] payloads = [.. trades.Select(t => FeedCodec.EncodeTrade(t))];
        string[] subjects = [.. trades.Select(t => $"{stream.ToLowerInvariant()}.pgm.nxt.{t.Code}")];
        var inFlight = new Queue<Task<PubAckResponse>>(window);
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < payloads.Length; i++)
        {
            if (inFlight.Count == window)
            {
                (await inFlight.Dequeue()).EnsureSuccess();
            }

            inFlight.Enqueue(js.PublishAsync(subjects[i], payloads[i]).AsTask());
        }

        while (inFlight.Count > 0)
        {
            (await inFlight.Dequeue()).EnsureSuccess();
        }

        double rate = trades.Length / sw.Elapsed.TotalSeconds;
        await js.DeleteStreamAsync(stream);
        return rate;
    }

    private static async Task<double> OursAsync(string url, ProgramTrade[] trades, string stream, bool fresh = true)
    {
        await using var nats = new NatsConnection(NatsOpts.Default with { Url = url });
        var js = new NatsJSContext(nats);
        NatsFeedOptions feed = NatsFeedOptions.Default with { StreamName = stream, SubjectPrefix = stream.ToLowerInvariant(), PublishWindow = 512 };
        if (fresh)
        {
            await FeedPublisher.EnsureStreamAsync(js, feed);
        }

        await using var publisher = new FeedPublisher(js, feed);
        var sw = Stopwatch.StartNew();
        foreach (ProgramTrade t in trades)
        {
            await publisher.EnqueueAsync(FeedItem.FromTrade(t));
        }

        await publisher.DrainAsync();
        double rate = trades.Length / sw.Elapsed.TotalSeconds;
        FeedPublisherStatistics s = publisher.Statistics;
        if (s.Published + s.Duplicates != trades.Length || (fresh && s.Duplicates != 0) || (!fresh && s.Published != 0))
        {
            throw new InvalidOperationException($"unexpected publisher counts {s}");
        }

        if (!fresh)
        {
            await js.DeleteStreamAsync(stream);
        }

        return rate;
    }

    private static NatsFeedOptions ShortLeases(string name) => NatsFeedOptions.Default with
    {
        StreamName = name.ToUpperInvariant(),
        SubjectPrefix = name,
        LeaseBucket = name + "-leases",
        GatewayBucket = name + "-gateways",
        DesiredBucket = name + "-subs",
        LeaseTtl = TimeSpan.FromSeconds(5),
        KisSilentSessionLifetime = TimeSpan.FromSeconds(2),
        LeaseRenewInterval = TimeSpan.FromSeconds(1),
        LeaseCheckInterval = TimeSpan.FromMilliseconds(50),
    };

    private static IReadOnlyList<SimulatorCredential> DemoKeys(int n) =>
        [.. Enumerable.Range(1, n).Select(i => new SimulatorCredential($"PSDEMO-BENCH-APPKEY-{i:D16}", ($"DEMO-BENCH-SECRET-{i:D4}-" + new string('0', 180))[..180]))];

    private static List<string> Codes(int n) => [.. Enumerable.Range(0, n).Select(i => (100000 + (i * 7)).ToString(CultureInfo.InvariantCulture))];

    private static async Task LatencyAsync(string url, double seconds)
    {
        NatsFeedOptions feed = ShortLeases("lat");
        IReadOnlyList<SimulatorCredential> keys = DemoKeys(1);
        await using KisSimulator sim = await KisSimulator.StartAsync(SimulatorOptions.Default with
        {
            Credentials = keys,
            UpdatesPerSecond = 25,
            TickInterval = TimeSpan.FromMilliseconds(10),
            ApprovalRateLimitPerSecond = 0,
        });
        await using var nats = new NatsConnection(NatsOpts.Default with { Url = url });
        var js = new NatsJSContext(nats);
        await FeedPublisher.EnsureStreamAsync(js, feed);
        DesiredRegistrations desired = await DesiredRegistrations.OpenAsync(js, feed);
        await desired.AddAsync(Codes(41).Select(c => new Registration(Venue.Nxt, c)));
        var received = new ConcurrentQueue<(string Key, DateTimeOffset At)>();
        using var stop = new CancellationTokenSource();
        var consumer = new FeedConsumer(js, feed);
        Task reading = Task.Run(async () =>
        {
            try
            {
                await foreach (ProgramTrade t in consumer.ProgramTradesAsync([], [Venue.Nxt], FeedStart.Live, stop.Token))
                {
                    received.Enqueue((Key(t.TrId, t.Code, t.Time.ToString("HHmmss", CultureInfo.InvariantCulture), t.SellVolume, t.BuyVolume, t.NetBuyValue), DateTimeOffset.UtcNow));
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
        await using var gateway = new NatsGateway(nats, [.. keys.Select(k => new AppKeyCredential(k.AppKey, k.AppSecret))], GatewayOptions.Default with
        {
            GatewayId = "bench-latency",
            Feed = feed,
            Session = KisOptions.Default with { WebSocketUri = new Uri(sim.WebSocketUri, "/tryitout"), RestUri = sim.RestBaseUri },
        });
        Task running = gateway.RunAsync(stop.Token);
        var deadline = Stopwatch.StartNew();
        while (received.IsEmpty && deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(50);
        }

        int warm = received.Count;
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        await stop.CancelAsync();
        await running;
        await reading;

        var sent = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (SimulatorLedgerEntry e in sim.GetLedger())
        {
            sent.TryAdd(Key(e.TrId, e.Fields[0], e.Fields[1], long.Parse(e.Fields[2], CultureInfo.InvariantCulture), long.Parse(e.Fields[4], CultureInfo.InvariantCulture), long.Parse(e.Fields[7], CultureInfo.InvariantCulture)), e.SentAt);
        }

        List<double> micros = [.. received.Skip(warm).Where(r => sent.ContainsKey(r.Key)).Select(r => (r.At - sent[r.Key]).TotalMicroseconds).Order()];
        double rate = micros.Count / seconds;
        Console.WriteLine(micros.Count == 0
            ? "latency      no samples"
            : $"latency      simulator → gateway → JetStream (file) → consumer, 41 registrations, {rate:F0} rec/s: p50 {Pct(micros, 0.5) / 1000:F2} ms, p99 {Pct(micros, 0.99) / 1000:F2} ms, max {micros[^1] / 1000:F2} ms ({micros.Count:N0} samples)");
    }

    private static async Task TakeoverAsync(string url)
    {
        NatsFeedOptions feed = ShortLeases("tko");
        IReadOnlyList<SimulatorCredential> keys = DemoKeys(1);
        await using KisSimulator sim = await KisSimulator.StartAsync(SimulatorOptions.Default with
        {
            Credentials = keys,
            UpdatesPerSecond = 20,
            TickInterval = TimeSpan.FromMilliseconds(20),
            PingInterval = TimeSpan.FromMilliseconds(500),
            PingTimeout = TimeSpan.FromSeconds(1),
            ApprovalRateLimitPerSecond = 0,
        });
        KisOptions session = KisOptions.Default with { WebSocketUri = new Uri(sim.WebSocketUri, "/tryitout"), RestUri = sim.RestBaseUri };
        AppKeyCredential[] creds = [.. keys.Select(k => new AppKeyCredential(k.AppKey, k.AppSecret))];
        await using var observer = new NatsConnection(NatsOpts.Default with { Url = url });
        var js = new NatsJSContext(observer);
        await FeedPublisher.EnsureStreamAsync(js, feed);
        DesiredRegistrations desired = await DesiredRegistrations.OpenAsync(js, feed);
        await desired.AddAsync(Codes(10).Select(c => new Registration(Venue.Krx, c)));
        AppKeyLeaseStore leases = await AppKeyLeaseStore.OpenAsync(js, feed);

        var connA = new NatsConnection(NatsOpts.Default with { Url = url });
        var gatewayA = new NatsGateway(connA, creds, GatewayOptions.Default with { GatewayId = "bench-a", Feed = feed, Session = session });
        using var stopA = new CancellationTokenSource();
        Task runA = gatewayA.RunAsync(stopA.Token);
        while ((await leases.HoldersAsync()).Count == 0)
        {
            await Task.Delay(20);
        }

        await using var connB = new NatsConnection(NatsOpts.Default with { Url = url });
        await using var gatewayB = new NatsGateway(connB, creds, GatewayOptions.Default with { GatewayId = "bench-b", Feed = feed, Session = session });
        using var stopB = new CancellationTokenSource();
        Task runB = gatewayB.RunAsync(stopB.Token);
        await Task.Delay(TimeSpan.FromSeconds(3)); // B is up and waiting

        // A dies: its NATS connection goes first (no renewal, no release), then its KIS session.
        long died = Stopwatch.GetTimestamp();
        DateTimeOffset diedAt = DateTimeOffset.UtcNow;
        await connA.DisposeAsync();
        await gatewayA.DisposeAsync();
        await stopA.CancelAsync();
        try
        {
            await runA;
        }
        catch (Exception)
        {
            // Its stop cannot reach NATS any more: expected.
        }

        var consumer = new FeedConsumer(js, feed);
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        TimeSpan? leaseMoved = null;
        TimeSpan takeover = TimeSpan.Zero;
        await foreach (ProgramTrade t in consumer.ProgramTradesAsync([], [Venue.Krx], FeedStart.Live, wait.Token))
        {
            leaseMoved ??= (await leases.HoldersAsync()).Values.Contains("bench-b") ? Stopwatch.GetElapsedTime(died) : null;
            if (t.ReceivedAt > diedAt && (await leases.HoldersAsync()).Values.Contains("bench-b"))
            {
                takeover = Stopwatch.GetElapsedTime(died);
                break;
            }
        }

        await stopB.CancelAsync();
        await runB;
        Console.WriteLine($"takeover     lease T={feed.LeaseTtl.TotalSeconds:0}s (D={feed.KisSilentSessionLifetime.TotalSeconds:0}s, R={feed.LeaseRenewInterval.TotalSeconds:0}s): first record from the new holder {takeover.TotalSeconds:F2} s after the old one died (expiry of the remaining lease ≤ T, then ≤ R to notice, then connect + 10 registrations)");
    }

    /// <summary>
    /// The gateway runs as its own `kisfeed gateway` process (the CLI next to this benchmark), so its working set is the
    /// gateway's alone: the simulator, the NATS server and this process are elsewhere. The gateway prints its working set
    /// and managed heap after a full GC (hidden <c>--print-memory</c>); the working set is also read from outside.
    /// </summary>
    private static async Task MemoryAsync(string url, double minutes)
    {
        IReadOnlyList<SimulatorCredential> keys = DemoKeys(10);
        await using KisSimulator sim = await KisSimulator.StartAsync(SimulatorOptions.Default with
        {
            Credentials = keys,
            UpdatesPerSecond = 2,
            ApprovalRateLimitPerSecond = 0,
            LedgerCapacityPerSession = 0,
        });
        await using var nats = new NatsConnection(NatsOpts.Default with { Url = url });
        var js = new NatsJSContext(nats);
        NatsFeedOptions feed = NatsFeedOptions.Default; // the CLI's names
        DesiredRegistrations desired = await DesiredRegistrations.OpenAsync(js, feed);
        List<string> codes = Codes(137);
        await desired.AddAsync(codes.SelectMany(c => VenueExtensions.All.Select(v => new Registration(v, c))).Take(410));

        string dir = Directory.CreateTempSubdirectory("kisfeed-bench-mem-").FullName;
        string keysFile = Path.Combine(dir, "keys.json");
        File.WriteAllText(keysFile, JsonSerializer.Serialize(new
        {
            keys = keys.Select(k => new { appkey = k.AppKey, appsecret = k.AppSecret }),
            ws_url = new Uri(sim.WebSocketUri, "/tryitout").ToString(),
            rest_url = sim.RestBaseUri.ToString(),
        }));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keysFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        double sampleSeconds = Math.Min(30, minutes * 6);
        string cli = Path.Combine(AppContext.BaseDirectory, "KisFeed.Cli.dll");
        var start = new ProcessStartInfo("dotnet",
        [
            cli, "gateway", "--nats", url, "--app-keys", keysFile, "--id", "bench-memory",
            "--lease-ttl", "20s", "--kis-silent-lifetime", "5s", "--renew-interval", "2s",
            "--print-memory", sampleSeconds.ToString(CultureInfo.InvariantCulture) + "s",
        ])
        { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment.Remove("KIS_APPKEY");
        start.Environment.Remove("KIS_APPSECRET");
        using Process gateway = Process.Start(start)!;
        var samples = new ConcurrentQueue<(double Min, long Ws, long Heap, long Published, long OutsideWs)>();
        var sw = Stopwatch.StartNew();
        gateway.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && line.StartsWith("memory ws=", StringComparison.Ordinal))
            {
                Dictionary<string, long> v = line["memory ".Length..].Split(' ').Select(kv => kv.Split('=')).ToDictionary(kv => kv[0], kv => long.Parse(kv[1], CultureInfo.InvariantCulture));
                long outside = 0;
                try
                {
                    gateway.Refresh();
                    outside = gateway.WorkingSet64;
                }
                catch (InvalidOperationException)
                {
                }

                samples.Enqueue((sw.Elapsed.TotalMinutes, v["ws"], v["heap"], v["published"], outside));
                Console.WriteLine($"  memory sample {sw.Elapsed.TotalMinutes:F1} min: gateway working set {v["ws"] / 1e6:F0} MB (read from outside {outside / 1e6:F0} MB), heap after full GC {v["heap"] / 1e6:F1} MB, published {v["published"]:N0}");
            }
        };
        gateway.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                Console.Error.WriteLine("  gateway: " + line);
            }
        };
        gateway.BeginOutputReadLine();
        gateway.BeginErrorReadLine();
        int held = 0;
        while (sw.Elapsed.TotalMinutes < minutes && !gateway.HasExited)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            held = Math.Max(held, sim.Sessions.Sum(s => s.Registrations.Count));
        }

        if (!gateway.HasExited)
        {
            Kill(gateway.Id, 15);
            await gateway.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        }

        Directory.Delete(dir, recursive: true);
        if (samples.IsEmpty)
        {
            Console.WriteLine($"memory       no sample: the gateway exited with {gateway.ExitCode}");
            return;
        }

        var list = samples.ToList();
        (double m0, long ws0, long h0, long _, long _) = list[0];
        (double m1, long ws1, long h1, long pub, long _) = list[^1];
        Console.WriteLine($"memory       gateway process alone, 10 keys × 41 = {held} registrations held, {pub:N0} records in {m1:F1} min: working set {ws0 / 1e6:F0} → {ws1 / 1e6:F0} MB (max {list.Max(x => x.Ws) / 1e6:F0}), managed heap after a full GC {h0 / 1e6:F1} → {h1 / 1e6:F1} MB (first sample after {m0:F1} min)");
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private static string Key(string trId, string code, string hhmmss, long sellVolume, long buyVolume, long netBuyValue) =>
        string.Create(CultureInfo.InvariantCulture, $"{trId}|{code}|{hhmmss}|{sellVolume}|{buyVolume}|{netBuyValue}");

    private static double Pct(List<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static double Arg(string[] args, string name, double fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? double.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    /// <summary>A nats-server with JetStream on a free loopback port and a temporary store.</summary>
    internal sealed class Server : IAsyncDisposable
    {
        private readonly Process _process;

        private Server(Process process, string url, string dir, string version)
        {
            _process = process;
            Url = url;
            Dir = dir;
            Version = version;
        }

        public string Url { get; }

        public string Dir { get; }

        public string Version { get; }

        public static async Task<Server> StartAsync()
        {
            string binary = new[] { "/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server" }.FirstOrDefault(File.Exists)
                ?? throw new InvalidOperationException("nats-server is not installed (apt-get install nats-server).");
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            string dir = Path.Combine(Path.GetTempPath(), "kisfeed-bench-nats-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.CreateDirectory(dir);
            var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            string version = "?";
            var p = Process.Start(new ProcessStartInfo(binary, ["-js", "-a", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-sd", dir]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            void OnLine(object? s, DataReceivedEventArgs e)
            {
                if (e.Data is { } l)
                {
                    int v = l.IndexOf("Version:", StringComparison.Ordinal);
                    if (v >= 0)
                    {
                        version = l[(v + 8)..].Trim();
                    }

                    if (l.Contains("Server is ready", StringComparison.Ordinal))
                    {
                        ready.TrySetResult();
                    }
                }
            }

            p.ErrorDataReceived += OnLine;
            p.OutputDataReceived += OnLine;
            p.BeginErrorReadLine();
            p.BeginOutputReadLine();
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(20));
            return new Server(p, $"nats://127.0.0.1:{port}", dir, version);
        }

        public ValueTask DisposeAsync()
        {
            _process.Kill();
            _process.WaitForExit();
            _process.Dispose();
            Directory.Delete(Dir, recursive: true);
            return ValueTask.CompletedTask;
        }
    }
}
