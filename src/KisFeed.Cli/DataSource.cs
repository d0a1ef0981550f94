using System.Text.Json;

using KisFeed.Simulator;
using KisFeed.Storage;

using Microsoft.Extensions.Logging;

namespace KisFeed.Cli;

/// <summary>
/// Where updates come from: the live KIS servers when a complete set of credentials is given, the built-in simulator
/// (in-process, on a free loopback port) when none at all is given or with <c>--demo</c>. Anything in between is an
/// error (<see cref="Credentials.Resolve"/>): a half-set credential never falls back to simulated data.
/// </summary>
internal sealed class DataSource : IAsyncDisposable
{
    private DataSource(KisOptions options, KisSimulator? simulator, string description, RecordingSource source)
    {
        Options = options;
        Simulator = simulator;
        Description = description;
        Source = source;
    }

    public KisOptions Options { get; }

    public KisSimulator? Simulator { get; }

    public bool IsDemo => Simulator is not null;

    /// <summary>One line for the user: which server, and whether the data is simulated.</summary>
    public string Description { get; }

    /// <summary>What the recorder stores as the file's source.</summary>
    public RecordingSource Source { get; }

    public static async Task<DataSource> OpenAsync(bool forceDemo, string? configPath, Func<string, string?> env, ILoggerFactory loggers, TimeProvider clock, CancellationToken cancellationToken)
    {
        Credentials credentials = Credentials.Resolve(forceDemo, configPath, env);
        if (credentials.Live is { } live)
        {
            KisOptions options = live with { LoggerFactory = loggers, TimeProvider = clock };
            string key = options.AppKey is { } appKey ? $"app key {Secrets.Redact(appKey)}" : $"approval key {Secrets.Redact(options.ApprovalKey)}";
            return new DataSource(options, null, $"Live: {options.WebSocketUri} ({key}, from {credentials.Origin})", RecordingSource.Live(options.WebSocketUri.ToString()));
        }

        SimulatorOptions simOptions = SimulatorOptions.Demo with { LoggerFactory = loggers, UpdatesPerSecond = 2, TimeProvider = clock };
        KisSimulator simulator = await KisSimulator.StartAsync(simOptions, cancellationToken).ConfigureAwait(false);
        KisOptions demo = KisOptions.Default with
        {
            LoggerFactory = loggers,
            TimeProvider = clock,
            AppKey = SimulatorCredential.Demo.AppKey,
            AppSecret = SimulatorCredential.Demo.AppSecret,
            WebSocketUri = new Uri(simulator.WebSocketUri, "/tryitout"),
            RestUri = simulator.RestBaseUri,
        };
        return new DataSource(demo, simulator,
            $"Demo ({credentials.Origin}): built-in simulator at {simulator.WebSocketUri.GetLeftPart(UriPartial.Authority)} — simulated data, not the market",
            RecordingSource.Simulated(demo.WebSocketUri.ToString()));
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
/// The credential setup, read from the environment (<c>KIS_APPKEY</c>, <c>KIS_APPSECRET</c>, <c>KIS_APPROVAL_KEY</c>,
/// <c>KIS_CUSTTYPE</c>, <c>KIS_WS_URL</c>, <c>KIS_REST_URL</c>) and an optional JSON file (<c>appkey</c>, <c>appsecret</c>,
/// <c>approval_key</c>, <c>custtype</c>, <c>ws_url</c>, <c>rest_url</c>) at <c>--config</c>, else <c>$KISFEED_CONFIG</c>,
/// else <c>~/.config/kisfeed/config.json</c>. The environment wins value by value, but an app key and its secret must
/// come from the same place.
/// </summary>
internal sealed class Credentials
{
    private Credentials(KisOptions? live, string origin)
    {
        Live = live;
        Origin = origin;
    }

    /// <summary>Options for the live servers; null for the simulator.</summary>
    public KisOptions? Live { get; }

    /// <summary>Where the credentials were read from, or why the simulator runs.</summary>
    public string Origin { get; }

    private sealed record Setting(string Value, string Where);

    private static readonly (string Env, string Json)[] Names =
    [
        ("KIS_APPKEY", "appkey"), ("KIS_APPSECRET", "appsecret"), ("KIS_APPROVAL_KEY", "approval_key"),
        ("KIS_CUSTTYPE", "custtype"), ("KIS_WS_URL", "ws_url"), ("KIS_REST_URL", "rest_url"),
    ];

    public static string? DefaultConfigPath(Func<string, string?> env) =>
        (env("HOME") is { Length: > 0 } h ? h : env("USERPROFILE")) is { Length: > 0 } home ? Path.Combine(home, ".config", "kisfeed", "config.json") : null;

    /// <exception cref="CliException">A usage error (exit code 2): a partial or conflicting setup, a bad URL or config file.</exception>
    public static Credentials Resolve(bool forceDemo, string? configPath, Func<string, string?> env)
    {
        Dictionary<string, Setting> settings = new(StringComparer.Ordinal);
        string? file = ReadConfig(configPath, env, out Dictionary<string, string> fromFile);
        foreach ((string envName, string json) in Names)
        {
            if (env(envName) is { } v && !string.IsNullOrWhiteSpace(v))
            {
                settings[envName] = new Setting(v.Trim(), $"environment variable {envName}");
            }
            else if (fromFile.TryGetValue(json, out string? f) && !string.IsNullOrWhiteSpace(f))
            {
                settings[envName] = new Setting(f.Trim(), $"'{json}' in {file}");
            }
        }

        if (forceDemo)
        {
            return new Credentials(null, settings.Count == 0 ? "--demo" : $"--demo; ignoring {string.Join(", ", settings.Values.Select(s => s.Where))}");
        }

        if (settings.Count == 0)
        {
            return new Credentials(null, "no KIS credentials set");
        }

        settings.TryGetValue("KIS_APPKEY", out Setting? appKey);
        settings.TryGetValue("KIS_APPSECRET", out Setting? appSecret);
        settings.TryGetValue("KIS_APPROVAL_KEY", out Setting? approval);
        string lookedIn = file is null ? "the environment" : $"the environment and {file}";
        string present = string.Join(", ", settings.Values.Select(s => s.Where));

        if ((appKey is null) != (appSecret is null))
        {
            string missing = appKey is null ? "KIS_APPKEY (config: appkey)" : "KIS_APPSECRET (config: appsecret)";
            throw CliException.Usage(
                $"Incomplete KIS credentials: {missing} is not set in {lookedIn}, but {present} is. " +
                "Set the missing value, or remove the others to run on the simulator (or pass --demo). Nothing was started.");
        }

        if (appKey is not null && appSecret is not null && IsEnv(appKey) != IsEnv(appSecret))
        {
            throw CliException.Usage(
                $"Conflicting KIS credentials: the app key comes from {appKey.Where} but the app secret from {appSecret.Where}. " +
                "Set both in the environment or both in the config file.");
        }

        if (appKey is null && approval is null)
        {
            throw CliException.Usage(
                $"Incomplete KIS credentials: {present} is set, but no app key and secret (KIS_APPKEY and KIS_APPSECRET, or appkey and appsecret in the config file) " +
                $"nor approval key (KIS_APPROVAL_KEY) in {lookedIn}. Set them for the live servers, or remove the others to run on the simulator (or pass --demo).");
        }

        KisOptions o = KisOptions.Default with { AppKey = appKey?.Value, AppSecret = appSecret?.Value, ApprovalKey = approval?.Value };
        if (settings.TryGetValue("KIS_CUSTTYPE", out Setting? cust))
        {
            char c = char.ToUpperInvariant(cust.Value[0]);
            o = cust.Value.Length == 1 && c is 'P' or 'B' ? o with { CustomerType = c }
                : throw CliException.Usage($"{cust.Where} is '{cust.Value}': use P (individual) or B (corporate).");
        }

        if (settings.TryGetValue("KIS_WS_URL", out Setting? ws))
        {
            o = o with { WebSocketUri = Url(ws, "ws", "wss", "ws://127.0.0.1:21000") };
        }

        if (settings.TryGetValue("KIS_REST_URL", out Setting? rest))
        {
            o = o with { RestUri = Url(rest, "http", "https", "https://openapi.koreainvestment.com:9443") };
        }

        string origin = appKey is not null ? (IsEnv(appKey) ? "the environment" : file!) : approval!.Where;
        return new Credentials(o, origin);
    }

    private static bool IsEnv(Setting s) => s.Where.StartsWith("environment", StringComparison.Ordinal);

    private static Uri Url(Setting s, string scheme, string secureScheme, string example)
    {
        if (Uri.TryCreate(s.Value, UriKind.Absolute, out Uri? uri) && (uri.Scheme == scheme || uri.Scheme == secureScheme) && uri.Host.Length > 0)
        {
            return uri;
        }

        string hint = s.Value.Contains("://", StringComparison.Ordinal) ? $"use {scheme}:// or {secureScheme}://" : $"it has no scheme; write it as a full URL, e.g. {example}";
        throw CliException.Usage($"{s.Where} is '{s.Value}', which is not a {scheme}:// URL: {hint}.");
    }

    private static string? ReadConfig(string? path, Func<string, string?> env, out Dictionary<string, string> values)
    {
        values = new Dictionary<string, string>(StringComparer.Ordinal);
        path ??= env("KISFEED_CONFIG") is { Length: > 0 } p ? p : null;
        bool explicitPath = path is not null;
        path ??= DefaultConfigPath(env);
        if (path is null || !File.Exists(path))
        {
            return explicitPath
                ? throw CliException.Usage($"Config file '{path}' does not exist. Create it with {{\"appkey\": \"...\", \"appsecret\": \"...\"}} or drop --config / KISFEED_CONFIG.")
                : null;
        }

        try
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw CliException.Usage($"Config file '{path}' must hold a JSON object, e.g. {{\"appkey\": \"...\", \"appsecret\": \"...\"}}.");
            }

            foreach (JsonProperty property in doc.RootElement.EnumerateObject())
            {
                if (property.Value.ValueKind == JsonValueKind.String)
                {
                    values[property.Name] = property.Value.GetString()!;
                }
            }

            if (values.ContainsKey("appsecret") || values.ContainsKey("approval_key"))
            {
                SecretFiles.RequireOwnerOnly(path, "Config file", CliException.UsageError);
            }

            return Path.GetFullPath(path);
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            throw CliException.Usage($"Cannot read config file '{path}': {ex.Message}");
        }
    }
}

/// <summary>An error for the user: printed as one line, no stack trace; exit code 2 for usage errors, 1 otherwise.</summary>
internal sealed class CliException(string message, int exitCode = CliException.RunTimeFailure) : Exception(message)
{
    public const int RunTimeFailure = 1;
    public const int UsageError = 2;

    public int ExitCode { get; } = exitCode;

    public static CliException Usage(string message) => new(message, UsageError);
}
