using System.Text.Json;

using KisFeed.Cli;
using KisFeed.IntegrationTests.Client;
using KisFeed.Simulator;

using Microsoft.Extensions.Logging;

namespace KisFeed.IntegrationTests.Nats;

/// <summary>
/// One simulator with several demo keys and a keys file pointing at it (what `kisfeed simulate --demo-keys N
/// --keys-file F` serves), hosted in the test so its sessions and logs can be read.
/// </summary>
internal sealed class ShareableSimulator : IAsyncDisposable
{
    private ShareableSimulator(KisSimulator simulator, CapturingLoggerProvider logs, string dir, IReadOnlyList<SimulatorCredential> keys)
    {
        Simulator = simulator;
        Logs = logs;
        Dir = dir;
        Keys = keys;
    }

    public KisSimulator Simulator { get; }

    /// <summary>The simulator's log lines (information and up): "Session N connected", "Session N ended (clean close: …)".</summary>
    public CapturingLoggerProvider Logs { get; }

    public string Dir { get; }

    public IReadOnlyList<SimulatorCredential> Keys { get; }

    public string KeysFile => Path.Combine(Dir, "keys.json");

    public static async Task<ShareableSimulator> StartAsync(int keys, CancellationToken ct)
    {
        string dir = Path.Combine(Path.GetTempPath(), "kisfeed-stop-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(dir);
        var logs = new CapturingLoggerProvider();
        IReadOnlyList<SimulatorCredential> credentials = CliApp.DemoCredentials(keys);
        KisSimulator sim = await KisSimulator.StartAsync(ClientTestKit.Sim with
        {
            Credentials = credentials,
            UpdatesPerSecond = 4,
            LoggerFactory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Information)),
        }, ct);
        var shared = new ShareableSimulator(sim, logs, dir, credentials);
        CliApp.WriteKeysFile(shared.KeysFile, credentials, new Uri(sim.WebSocketUri, "/tryitout"), sim.RestBaseUri);
        using JsonDocument written = JsonDocument.Parse(await File.ReadAllTextAsync(shared.KeysFile, ct));
        Assert.Equal(keys, written.RootElement.GetProperty("keys").GetArrayLength());
        return shared;
    }

    public async ValueTask DisposeAsync()
    {
        await Simulator.DisposeAsync();
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
