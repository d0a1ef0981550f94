using System.Text.Json;

using KisFeed.Session;
using KisFeed.Simulator;

using Microsoft.Extensions.Logging;

namespace KisFeed.Cli;

/// <summary>
/// Where updates come from: the live KIS servers when credentials are set, otherwise (or with <c>--demo</c>) the
/// built-in simulator, started in-process on a free loopback port.
/// </summary>
internal sealed class DataSource : IAsyncDisposable
{
    private DataSource(KisOptions options, KisSimulator? simulator, string description)
    {
        Options = options;
        Simulator = simulator;
        Description = description;
    }

    public KisOptions Options { get; }

    public KisSimulator? Simulator { get; }

    public bool IsDemo => Simulator is not null;

    /// <summary>One line for the user: which server, and whether the data is simulated.</summary>
    public string Description { get; }

    public static async Task<DataSource> OpenAsync(bool forceDemo, string? configPath, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        KisOptions options = KisOptions.FromEnvironment(CredentialsFile.Load(configPath)) with { LoggerFactory = loggers };
        if (!forceDemo && options.HasCredentials)
        {
            return new DataSource(options, null,
                $"Live: {options.WebSocketUri} (app key {Secrets.Redact(options.AppKey ?? options.ApprovalKey)})");
        }

        SimulatorOptions simOptions = SimulatorOptions.Default with { LoggerFactory = loggers, UpdatesPerSecond = 2 };
        KisSimulator simulator = await KisSimulator.StartAsync(simOptions, cancellationToken).ConfigureAwait(false);
        KisOptions demo = options with
        {
            AppKey = SimulatorCredential.Demo.AppKey,
            AppSecret = SimulatorCredential.Demo.AppSecret,
            ApprovalKey = null,
            WebSocketUri = new Uri(simulator.WebSocketUri, "/tryitout"),
            RestUri = simulator.RestBaseUri,
        };
        string why = forceDemo ? "--demo" : "no KIS_APPKEY/KIS_APPSECRET set";
        return new DataSource(demo, simulator, $"Demo ({why}): built-in simulator at {simulator.WebSocketUri} — simulated data, not the market");
    }

    public async ValueTask DisposeAsync()
    {
        if (Simulator is not null)
        {
            await Simulator.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>
/// Optional credentials file (JSON): <c>{"appkey": "...", "appsecret": "...", "custtype": "P"}</c>. Looked up at
/// <c>--config</c>, else <c>$KISFEED_CONFIG</c>, else <c>~/.config/kisfeed/config.json</c>. Environment variables win.
/// </summary>
internal static class CredentialsFile
{
    public static string DefaultPath => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config", "kisfeed", "config.json");

    public static KisOptions Load(string? path)
    {
        path ??= Environment.GetEnvironmentVariable("KISFEED_CONFIG");
        bool explicitPath = path is not null;
        path ??= DefaultPath;
        if (!File.Exists(path))
        {
            return explicitPath ? throw new CliException($"Config file '{path}' does not exist. Create it with {{\"appkey\": \"...\", \"appsecret\": \"...\"}} or drop --config.") : KisOptions.Default;
        }

        try
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
            string? Get(string name) => doc.RootElement.TryGetProperty(name, out JsonElement e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
            KisOptions o = KisOptions.Default with { AppKey = Get("appkey"), AppSecret = Get("appsecret"), ApprovalKey = Get("approval_key") };
            if (Get("custtype") is { Length: > 0 } c)
            {
                o = o with { CustomerType = char.ToUpperInvariant(c[0]) };
            }

            if (Get("ws_url") is { } ws)
            {
                o = o with { WebSocketUri = new Uri(ws) };
            }

            if (Get("rest_url") is { } rest)
            {
                o = o with { RestUri = new Uri(rest) };
            }

            return o;
        }
        catch (Exception ex) when (ex is JsonException or UriFormatException or IOException or UnauthorizedAccessException)
        {
            throw new CliException($"Cannot read config file '{path}': {ex.Message}");
        }
    }
}

/// <summary>An error for the user: printed as one line, exit code 1, no stack trace.</summary>
internal sealed class CliException(string message) : Exception(message);
