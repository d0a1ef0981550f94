using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace KisFeed.TestKit;

/// <summary>
/// A real <c>nats-server</c> with JetStream, started by the test on a free loopback port with a temporary file store,
/// and stopped (or restarted on the same port and store) by it. Missing binary: the test fails, it never skips.
/// Also used by the chaos scenario of tools/KisFeed.Soak, so it throws (<see cref="InvalidOperationException"/>) rather
/// than asserting.
/// </summary>
public sealed class NatsServer : IAsyncDisposable
{
    private readonly string _binary;
    private readonly string[] _clusterArgs;
    private string[] _configArgs = [];
    private IReadOnlyDictionary<string, string> _environment = new Dictionary<string, string>();
    private Process? _process;

    private NatsServer(string binary, int port, string storeDir, string name = "", string[]? clusterArgs = null)
    {
        _binary = binary;
        Port = port;
        MonitorPort = FreePort();
        StoreDir = storeDir;
        Name = name;
        _clusterArgs = clusterArgs ?? [];
    }

    /// <summary>The server name (cluster nodes: n1, n2, n3; a single server: empty).</summary>
    public string Name { get; }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The process id while it runs (to sample its memory, or signal it), else null.</summary>
    public int? Pid => _process is { HasExited: false } p ? p.Id : null;

    public int Port { get; }

    /// <summary>The HTTP monitoring port (<c>/jsz</c>, <c>/varz</c>), free at start.</summary>
    public int MonitorPort { get; }

    public string StoreDir { get; }

    public string Url => $"nats://127.0.0.1:{Port}";

    public static string FindBinary()
    {
        string? path = Environment.GetEnvironmentVariable("PATH");
        IEnumerable<string> dirs = (path ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/sbin"]);
        foreach (string dir in dirs)
        {
            string candidate = Path.Combine(dir, "nats-server");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("nats-server is not installed: apt-get install nats-server (tools/test.sh installs it). These tests need a real server and do not skip.");
    }

    public static async Task<NatsServer> StartAsync(CancellationToken ct)
    {
        string dir = Path.Combine(Path.GetTempPath(), "kisfeed-nats-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        var server = new NatsServer(FindBinary(), FreePort(), dir);
        await server.StartProcessAsync(ct);
        return server;
    }

    /// <summary>
    /// A server started with a config file (<c>-c</c>; the port, store and JetStream still come from the command line),
    /// and environment variables the config refers to (<c>$NAME</c>).
    /// </summary>
    public static async Task<NatsServer> StartWithConfigAsync(string configFile, IReadOnlyDictionary<string, string> environment, CancellationToken ct)
    {
        string dir = Path.Combine(Path.GetTempPath(), "kisfeed-nats-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        var server = new NatsServer(FindBinary(), FreePort(), dir) { _configArgs = ["-c", configFile], _environment = environment };
        await server.StartProcessAsync(ct);
        return server;
    }

    /// <summary>
    /// A JetStream cluster of <paramref name="nodes"/> servers on loopback (client and route ports free at run time),
    /// each with its own store; returns once every node is ready (JetStream's meta leader may still be electing: the
    /// first JetStream call should retry).
    /// </summary>
    public static async Task<IReadOnlyList<NatsServer>> StartClusterAsync(int nodes, CancellationToken ct, string clusterName = "kisfeed-test")
    {
        string binary = FindBinary();
        int[] routes = [.. Enumerable.Range(0, nodes).Select(_ => FreePort())];
        List<NatsServer> servers = [];
        for (int i = 0; i < nodes; i++)
        {
            string dir = Path.Combine(Path.GetTempPath(), "kisfeed-nats-" + Guid.NewGuid().ToString("N")[..12]);
            Directory.CreateDirectory(dir);
            string others = string.Join(',', routes.Where((_, j) => j != i).Select(p => $"nats://127.0.0.1:{p}"));
            servers.Add(new NatsServer(binary, FreePort(), dir, $"n{i + 1}",
                ["--server_name", $"n{i + 1}", "--cluster_name", clusterName, "--cluster", $"nats://127.0.0.1:{routes[i]}", "--routes", others]));
        }

        await Task.WhenAll(servers.Select(s => s.StartProcessAsync(ct)));
        return servers;
    }

    /// <summary>Kills the server (SIGKILL: no clean shutdown) and starts it again on the same port and store.</summary>
    public async Task RestartAsync(CancellationToken ct)
    {
        Kill();
        await StartProcessAsync(ct);
    }

    /// <summary>Stops the server cleanly (SIGTERM) and waits until it exited; <see cref="StartAgainAsync"/> brings it back on the same port and store.</summary>
    public async Task TerminateAsync(CancellationToken ct)
    {
        if (_process is { HasExited: false } p)
        {
            Signals.Send(p.Id, 15);
            await p.WaitForExitAsync(ct);
        }

        _process?.Dispose();
        _process = null;
    }

    /// <summary>Starts the server again on the same port and store dir (after <see cref="TerminateAsync"/> or <see cref="Kill"/>).</summary>
    public Task StartAgainAsync(CancellationToken ct) => StartProcessAsync(ct);

    public void Kill()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill();
            p.WaitForExit();
        }

        _process?.Dispose();
        _process = null;
    }

    private async Task StartProcessAsync(CancellationToken ct)
    {
        var start = new ProcessStartInfo(_binary, [.. _configArgs, "-js", "-a", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-m", MonitorPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "-sd", StoreDir, .. _clusterArgs])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach ((string name, string value) in _environment)
        {
            start.Environment[name] = value;
        }

        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        Process process = Process.Start(start)!;
        void OnLine(object? s, DataReceivedEventArgs e)
        {
            if (e.Data is { } line)
            {
                output.Enqueue(line);
                if (line.Contains("Server is ready", StringComparison.Ordinal))
                {
                    ready.TrySetResult();
                }
            }
        }

        process.OutputDataReceived += OnLine;
        process.ErrorDataReceived += OnLine;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(20));
        try
        {
            await ready.Task.WaitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new InvalidOperationException($"nats-server did not become ready on port {Port}: {string.Join('\n', output)}");
        }
    }

    /// <summary>The JetStream meta group's leader as this node sees it (<c>/jsz</c>), or null while electing.</summary>
    public async Task<string?> MetaLeaderAsync(CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        string json = await http.GetStringAsync(new Uri($"http://127.0.0.1:{MonitorPort}/jsz"), ct);
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        return doc.RootElement.TryGetProperty("meta_cluster", out System.Text.Json.JsonElement meta) && meta.TryGetProperty("leader", out System.Text.Json.JsonElement leader)
            ? leader.GetString() is { Length: > 0 } name ? name : null
            : null;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            Directory.Delete(StoreDir, recursive: true);
        }
        catch (IOException)
        {
        }

        return ValueTask.CompletedTask;
    }
}
