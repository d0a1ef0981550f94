using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;

using KisFeed.Storage;
using KisFeed.Web;

namespace KisFeed.Cli;

/// <summary>
/// <c>--metrics-port</c> and <c>--metrics-host</c> of <c>gateway</c>, <c>serve</c> and <c>record</c>: <c>/metrics</c>
/// (Prometheus text format) and <c>/healthz</c> on a listener of their own (<see cref="KisFeedMetricsServer"/>).
/// </summary>
internal static partial class CliApp
{
    internal const string MetricsPortName = "--metrics-port";
    internal const string MetricsHostName = "--metrics-host";

    /// <summary>Adds <c>--metrics-port</c> and <c>--metrics-host</c> to <paramref name="command"/> (read back by name: the <c>--from</c> paths share them).</summary>
    private static void AddMetricsOptions(Command command, string healthSays)
    {
        command.Options.Add(new Option<int?>(MetricsPortName)
        {
            Description = "Serve /metrics (Prometheus text format: every counter of the KisFeed meter) and /healthz (200, or 503 when " + healthSays + "; a short JSON body) on this TCP port. 0 = any free port (the URL is printed). Absent: no listener. See docs/scale-out.md, \"Metrics\".",
        });
        command.Options.Add(new Option<string>(MetricsHostName)
        {
            Description = "Address the --metrics-port listener binds: loopback by default; 0.0.0.0 for every interface (the metrics hold no secret, but anyone who reaches the port reads them).",
            DefaultValueFactory = _ => "127.0.0.1",
        });
    }

    /// <summary>
    /// Starts the metrics listener when <c>--metrics-port</c> was given (null otherwise). A port in use or a bad address
    /// is a usage error (exit 2) in one line, before anything else starts.
    /// </summary>
    private static async Task<KisFeedMetricsServer?> StartMetricsAsync(ParseResult parse, CliConsole console, Func<ProcessHealth> health, CancellationToken token)
    {
        if (parse.GetValue<int?>(MetricsPortName) is not { } port)
        {
            return null;
        }

        string host = parse.GetValue<string>(MetricsHostName) ?? "127.0.0.1";
        KisFeedMetricsServer server;
        try
        {
            server = await KisFeedMetricsServer.StartAsync(host, port, health, "kisfeed-" + parse.CommandResult.Command.Name, token);
        }
        catch (ArgumentException ex)
        {
            throw CliException.Usage($"{(ex.ParamName == "port" ? MetricsPortName : MetricsHostName)}: {ex.Message.Split(" (Parameter", 2)[0]}");
        }
        catch (IOException ex)
        {
            throw CliException.Usage(ex.Message);
        }

        if (IPAddress.TryParse(host, out IPAddress? address) && !IPAddress.IsLoopback(address))
        {
            await console.Error.WriteLineAsync($"kisfeed: warning: {MetricsHostName} {host}: /metrics and /healthz answer anyone who can reach this port (no authentication).");
        }

        return server;
    }

    /// <summary>The line that says where the metrics are (after the command's first line, which scripts read).</summary>
    private static async Task PrintMetricsAsync(CliConsole console, KisFeedMetricsServer? metrics)
    {
        if (metrics is not null)
        {
            await console.Out.WriteLineAsync($"Metrics: {metrics.MetricsUrl} (health: {metrics.HealthUrl})");
            await console.Out.FlushAsync();
        }
    }

    /// <summary>An ISO 8601 UTC time, or null.</summary>
    internal static string? Iso(DateTimeOffset? at) => at?.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// A recorder's part of a health answer: rows written, last write, pending rows; unhealthy while its last commit
    /// failed (the reason is the storage error's message: a path and what DuckDB said, never a secret).
    /// </summary>
    internal static bool RecorderHealth(ProgramTradeRecorder? recorder, JsonObject detail, List<string> problems)
    {
        if (recorder is null)
        {
            return true;
        }

        RecorderStatistics s;
        try
        {
            s = recorder.Statistics;
        }
        catch (ObjectDisposedException)
        {
            problems.Add("the recorder is closed");
            return false;
        }

        detail["rows_written"] = s.RecordsWritten;
        detail["rows_pending"] = s.PendingRecords;
        detail["gaps_written"] = s.GapsWritten;
        detail["last_write"] = Iso(s.LastFlushAt);
        if (recorder.LastFailure is { } failure)
        {
            problems.Add("the writer failed: " + OneLine(failure.Message));
            return false;
        }

        return true;
    }

    /// <summary>A health answer from <paramref name="detail"/> and the problems found (none: healthy).</summary>
    internal static ProcessHealth Health(JsonObject detail, List<string> problems)
    {
        if (problems.Count > 0)
        {
            detail["problems"] = new JsonArray([.. problems.Select(p => (JsonNode?)JsonValue.Create(p))]);
        }

        return new ProcessHealth(problems.Count == 0, detail);
    }
}
