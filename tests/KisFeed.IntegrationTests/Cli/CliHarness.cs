using KisFeed.Cli;

using Spectre.Console.Testing;

namespace KisFeed.IntegrationTests.Cli;

/// <summary>Runs the CLI in-process with its own environment (never the developer's credentials).</summary>
internal static class CliHarness
{
    public static Task<(int Exit, string Out, string Err)> RunWithEnvAsync(IReadOnlyDictionary<string, string>? env, params string[] args) =>
        RunCoreAsync(env, null, args);

    /// <summary>Runs with the demo simulator and the client on <paramref name="clock"/> (e.g. a chosen KST hour).</summary>
    public static Task<(int Exit, string Out, string Err)> RunAtAsync(TimeProvider clock, params string[] args) => RunCoreAsync(null, clock, args);

    private static async Task<(int Exit, string Out, string Err)> RunCoreAsync(IReadOnlyDictionary<string, string>? env, TimeProvider? clock, string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Dictionary<string, string> vars = new(env ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        var console = new CliConsole(new TestConsole(), stdout, stderr, IsTerminal: false, name => vars.GetValueOrDefault(name), clock);
        int exit = await CliApp.RunAsync(args, console, TestContext.Current.CancellationToken);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    public static Task<(int Exit, string Out, string Err)> RunAsync(params string[] args) => RunWithEnvAsync(null, args);

    /// <summary>A loopback port nothing listens on (bound, then released).</summary>
    public static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public static string RepoRoot()
    {
        DirectoryInfo? dir = new(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "KisFeed.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("KisFeed.slnx not found above " + AppContext.BaseDirectory);
    }
}
