using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace KisFeed.Web;

/// <summary>What <c>/healthz</c> says: healthy or not (200 or 503), and a few facts about what the process is doing.</summary>
/// <param name="Healthy">False: <c>/healthz</c> answers 503.</param>
/// <param name="Detail">Facts shown in the JSON body beside <c>status</c> (numbers, states, times; never a secret).</param>
public sealed record ProcessHealth(bool Healthy, JsonObject Detail);

/// <summary>
/// The scrape endpoint of <c>kisfeed gateway</c>, <c>serve</c> and <c>record</c> (<c>--metrics-port</c>): a small Kestrel
/// host of its own, on loopback unless told otherwise, with <c>/metrics</c> (every instrument of the <c>KisFeed</c> meter in
/// the Prometheus text format, through OpenTelemetry's Prometheus exporter) and <c>/healthz</c> (200 or 503 with a short
/// JSON body). It serves nothing else. Start it before the work it reports on, so counters start at the process's start.
/// </summary>
public sealed class KisFeedMetricsServer : IAsyncDisposable
{
    /// <summary>The meter scraped: the core's, the NATS side's and the recorder's instruments are all on it.</summary>
    public const string MeterName = KisFeedInstruments.MeterName;

    // The body is JSON for scripts and people, never HTML: apostrophes and Korean stay as they are.
    private static readonly JsonSerializerOptions BodyJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly WebApplication _app;

    private KisFeedMetricsServer(WebApplication app) => _app = app;

    /// <summary>The server's base address, e.g. <c>http://127.0.0.1:9464/</c>.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>The scrape address: <see cref="Url"/> + <c>metrics</c>.</summary>
    public Uri MetricsUrl => new(Url, "metrics");

    /// <summary>The health address: <see cref="Url"/> + <c>healthz</c>.</summary>
    public Uri HealthUrl => new(Url, "healthz");

    /// <summary>
    /// Starts listening on <paramref name="host"/>:<paramref name="port"/> (0 = a free port; see <see cref="Url"/>).
    /// <paramref name="health"/> is asked on every <c>/healthz</c> request (from a request thread: keep it cheap).
    /// </summary>
    /// <param name="host">The address to bind (an IP address, or <c>localhost</c>).</param>
    /// <param name="port">The TCP port; 0 takes a free one.</param>
    /// <param name="health">What <c>/healthz</c> answers.</param>
    /// <param name="serviceName">The scrape's <c>target_info{service_name=…}</c>, e.g. <c>kisfeed-gateway</c>.</param>
    /// <param name="cancellationToken">Stops the start.</param>
    /// <exception cref="ArgumentException"><paramref name="host"/> is not an IP address, or the port is out of range.</exception>
    /// <exception cref="IOException">The address cannot be bound (in use, not this machine's): one line that says so.</exception>
    public static async Task<KisFeedMetricsServer> StartAsync(string host, int port, Func<ProcessHealth> health, string serviceName = "kisfeed", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(health);
        IPAddress address = host is "localhost" ? IPAddress.Loopback
            : IPAddress.TryParse(host, out IPAddress? parsed) ? parsed
            : throw new ArgumentException($"'{host}' is not an IP address (use 127.0.0.1, ::1 or 0.0.0.0).", nameof(host));
        if (port is < 0 or > 65535)
        {
            throw new ArgumentException($"{port} is not a TCP port (0-65535; 0 = any free port).", nameof(port));
        }

        // The host logs nothing into the command's output: a bind failure is the one line StartAsync throws, and a
        // scrape that fails is seen by the scraper.
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();

        builder.WebHost.UseKestrel(k => k.Listen(address, port));
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .ConfigureResource(r => r.AddService(serviceName))
            .AddMeter(MeterName)
            .AddPrometheusExporter(o =>
            {
                o.ScrapeResponseCacheDurationMilliseconds = 0; // every scrape is current (tests and operators poll for a change)
            }));
        WebApplication app = builder.Build();
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapGet("/healthz", (HttpContext context) => Healthz(context, health));
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            string why = ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException
                ? "the port is in use"
                : ex.Message.TrimEnd('.');
            throw new IOException($"Cannot listen for metrics on {host}:{port}: {why}. Pick another --metrics-port (0 = any free port).", ex);
        }

        string bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new KisFeedMetricsServer(app)
        {
            Url = new Uri(bound.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("[::]", "[::1]", StringComparison.Ordinal).TrimEnd('/') + "/"),
        };
    }

    private static IResult Healthz(HttpContext context, Func<ProcessHealth> health)
    {
        ProcessHealth now;
        try
        {
            now = health();
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException or IOException)
        {
            now = new ProcessHealth(false, new JsonObject { ["error"] = ex.Message });
        }

        var body = new JsonObject { ["status"] = now.Healthy ? "ok" : "unhealthy" };
        foreach ((string key, JsonNode? value) in now.Detail)
        {
            body[key] = value?.DeepClone();
        }

        context.Response.Headers.CacheControl = "no-store";
        return Results.Text(body.ToJsonString(BodyJson), "application/json", statusCode: now.Healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>Stops listening.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }
}
