using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;

using KisFeed.Nats;
using KisFeed.Simulator;

using NATS.Client.Core;
using NATS.Client.JetStream;

namespace KisFeed.Benchmarks;

/// <summary>
/// <c>gateway-start [--cli PATH] [--runs N] [--peer]</c>: how long a fresh `kisfeed gateway` process takes to its first
/// record in the stream, with the production lease timings (T = 360 s, D = 300 s, R = 15 s), on an empty lease
/// bucket; with <c>--peer</c>, with another gateway's presence live (so the 2R wait applies). Each run gets its own
/// nats-server (JetStream, file store, free port) and the same simulator; prints one line per run and the median.
/// <c>--cli</c> runs another build of the CLI (e.g. one built from an older commit) to measure before and after.
/// </summary>
internal static class GatewayStartReport
{
    public static async Task<int> RunAsync(string[] args)
    {
        string cli = Arg(args, "--cli") ?? Path.Combine(AppContext.BaseDirectory, "KisFeed.Cli.dll");
        int runs = int.Parse(Arg(args, "--runs") ?? "3", CultureInfo.InvariantCulture);
        bool peer = args.Contains("--peer");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}, load {Load()}");
        Console.WriteLine($"cli: {cli}");
        Console.WriteLine($"scenario: {(peer ? "another gateway's presence live (it renews every R)" : "empty lease bucket, no other gateway")}; T=360s D=300s R=15s (defaults), 2 demo keys, 4 registrations");

        IReadOnlyList<SimulatorCredential> keys = [.. Enumerable.Range(1, 2).Select(i => new SimulatorCredential($"PSBENCH-START-APPKEY-{i:D15}", $"BENCH-START-APPSECRET-{i:D4}-" + new string('0', 60)))];
        await using KisSimulator sim = await KisSimulator.StartAsync(SimulatorOptions.Default with { Credentials = keys, UpdatesPerSecond = 10, ApprovalRateLimitPerSecond = 0 });
        string dir = Directory.CreateTempSubdirectory("kisfeed-bench-start-").FullName;
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

        List<double> firstRecord = [];
        for (int run = 1; run <= runs; run++)
        {
            (double toRecord, string detail) = await OneRunAsync(cli, keysFile, peer);
            firstRecord.Add(toRecord);
            Console.WriteLine($"run {run}: first record in the stream {toRecord:F1} s after the process started ({detail}); load {Load()}");
        }

        firstRecord.Sort();
        Console.WriteLine($"first record: median {firstRecord[firstRecord.Count / 2]:F1} s, min {firstRecord[0]:F1} s, max {firstRecord[^1]:F1} s over {runs} run(s); load {Load()}");
        Directory.Delete(dir, recursive: true);
        return 0;
    }

    private static async Task<(double Seconds, string Detail)> OneRunAsync(string cli, string keysFile, bool peer)
    {
        await using NatsReport.Server server = await NatsReport.Server.StartAsync();
        await using var nats = new NatsConnection(NatsOpts.Default with { Url = server.Url });
        var js = new NatsJSContext(nats);
        NatsFeedOptions feed = NatsFeedOptions.Default; // the CLI's names and timings
        await FeedPublisher.EnsureStreamAsync(js, feed);
        DesiredRegistrations desired = await DesiredRegistrations.OpenAsync(js, feed);
        await desired.AddAsync(new[] { "005930", "000660" }.SelectMany(c => new[] { new Registration(Venue.Krx, c), new Registration(Venue.Nxt, c) }));
        AppKeyLeaseStore leases = await AppKeyLeaseStore.OpenAsync(js, feed);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        Task heartbeats = Task.CompletedTask;
        if (peer)
        {
            await leases.HeartbeatAsync("bench-peer", stop.Token);
            heartbeats = Task.Run(async () =>
            {
                try
                {
                    while (true)
                    {
                        await Task.Delay(feed.LeaseRenewInterval, stop.Token);
                        await leases.HeartbeatAsync("bench-peer", stop.Token);
                    }
                }
                catch (OperationCanceledException)
                {
                }
            });
        }

        var consumer = new FeedConsumer(js, feed);
        var lines = new ConcurrentQueue<(double At, string Line)>();
        var clock = Stopwatch.StartNew();
        var start = new ProcessStartInfo("dotnet", [cli, "gateway", "--nats", server.Url, "--app-keys", keysFile, "--id", "bench-start"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment.Remove("KIS_APPKEY");
        start.Environment.Remove("KIS_APPSECRET");
        using Process gateway = Process.Start(start)!;
        gateway.OutputDataReceived += (_, e) => { if (e.Data is { } l) { lines.Enqueue((clock.Elapsed.TotalSeconds, l)); } };
        gateway.ErrorDataReceived += (_, e) => { if (e.Data is { } l) { lines.Enqueue((clock.Elapsed.TotalSeconds, "stderr: " + l)); } };
        gateway.BeginOutputReadLine();
        gateway.BeginErrorReadLine();
        double firstRecord = double.NaN;
        await foreach (NatsFeedItem item in consumer.ReadAsync([], VenueExtensions.All, FeedStart.AfterSequence(0), stop.Token))
        {
            if (item.Item.Kind == FeedItemKind.Trade)
            {
                firstRecord = clock.Elapsed.TotalSeconds;
                break;
            }
        }

        double At(string what) => lines.FirstOrDefault(l => l.Line.Contains(what, StringComparison.Ordinal)).At;
        string detail = $"'started' at {At(" started "):F1} s, first 'lease-acquired' at {At(" lease-acquired "):F1} s, first 'registration-started' at {At(" registration-started "):F1} s";
        Kill(gateway.Id, 15);
        await gateway.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        await stop.CancelAsync();
        await heartbeats;
        return (firstRecord, detail);
    }

    [DllImport("libc", EntryPoint = "kill")]
#pragma warning disable SYSLIB1054 // one P/Invoke does not warrant unsafe code in this project
    private static extern int Kill(int pid, int signal);
#pragma warning restore SYSLIB1054

    private static string? Arg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";
}
