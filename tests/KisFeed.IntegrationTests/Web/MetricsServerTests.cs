using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

using KisFeed.Web;

namespace KisFeed.IntegrationTests.Web;

/// <summary>The metrics listener on its own: the Prometheus text of the KisFeed meter, /healthz's 200 and 503, nothing else served.</summary>
public sealed class MetricsServerTests
{
    [Fact]
    public async Task MetricsAreThePrometheusTextOfTheKisFeedMeterAndHealthzFollowsTheHealthFunction()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        using var meter = new Meter(KisFeedInstruments.MeterName);
        Counter<long> probe = meter.CreateCounter<long>("kisfeed.test.metrics_server_probe", "{probe}", "A counter only this test records.");
        using var other = new Meter("NotKisFeed");
        Counter<long> foreign = other.CreateCounter<long>("other.test.metrics_server_probe");
        bool healthy = true;
        await using KisFeedMetricsServer server = await KisFeedMetricsServer.StartAsync("127.0.0.1", 0, () => new ProcessHealth(healthy, new JsonObject { ["command"] = "test", ["rows"] = 7, ["source"] = "today's 삼성전자" }), "kisfeed-test", ct);
        probe.Add(5, new KeyValuePair<string, object?>("kisfeed.venue", "krx"));
        foreign.Add(1);
        using var http = new HttpClient();

        Assert.Equal(new Uri(server.Url, "metrics"), server.MetricsUrl);
        HttpResponseMessage scrape = await http.GetAsync(server.MetricsUrl, ct);
        string text = await scrape.Content.ReadAsStringAsync(ct);
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        Assert.StartsWith("text/plain", scrape.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        Assert.Contains("# TYPE kisfeed_test_metrics_server_probe_total counter", text, StringComparison.Ordinal);
        Assert.Equal(5, KisFeed.IntegrationTests.Nats.Prometheus.Sum(text, "kisfeed_test_metrics_server_probe_total", ("kisfeed_venue", "krx")));
        Assert.DoesNotContain("other_test_metrics_server_probe", text, StringComparison.Ordinal);

        probe.Add(2, new KeyValuePair<string, object?>("kisfeed.venue", "krx"));
        Assert.Equal(7, KisFeed.IntegrationTests.Nats.Prometheus.Sum(await http.GetStringAsync(server.MetricsUrl, ct), "kisfeed_test_metrics_server_probe_total"));

        Assert.Contains("service_name=\"kisfeed-test\"", text, StringComparison.Ordinal);

        HttpResponseMessage ok = await http.GetAsync(server.HealthUrl, ct);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Contains("\"source\":\"today's 삼성전자\"", await ok.Content.ReadAsStringAsync(ct), StringComparison.Ordinal); // JSON, not HTML-escaped
        Assert.Equal("application/json", ok.Content.Headers.ContentType?.MediaType);
        using (JsonDocument json = JsonDocument.Parse(await ok.Content.ReadAsStringAsync(ct)))
        {
            Assert.Equal("ok", json.RootElement.GetProperty("status").GetString());
            Assert.Equal(7, json.RootElement.GetProperty("rows").GetInt32());
        }

        healthy = false;
        HttpResponseMessage bad = await http.GetAsync(server.HealthUrl, ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, bad.StatusCode);
        using (JsonDocument json = JsonDocument.Parse(await bad.Content.ReadAsStringAsync(ct)))
        {
            Assert.Equal("unhealthy", json.RootElement.GetProperty("status").GetString());
        }

        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri(server.Url, "api/day"), ct)).StatusCode);
    }

    [Fact]
    public async Task HealthBeforeTheWorkStartsIs503AndSaysWhatIsMissing()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        foreach ((string command, Func<ProcessHealth> health) in new (string, Func<ProcessHealth>)[]
        {
            ("gateway", () => global::KisFeed.Cli.CliApp.GatewayHealth(null, null)),
            ("record", () => global::KisFeed.Cli.CliApp.RecordHealth(null, null)),
            ("serve", () => global::KisFeed.Cli.ServeHost.Health(null)),
        })
        {
            await using KisFeedMetricsServer server = await KisFeedMetricsServer.StartAsync("127.0.0.1", 0, health, cancellationToken: ct);
            using var http = new HttpClient();
            HttpResponseMessage r = await http.GetAsync(server.HealthUrl, ct);
            string body = await r.Content.ReadAsStringAsync(ct);
            Assert.True(r.StatusCode == HttpStatusCode.ServiceUnavailable, body);
            using JsonDocument json = JsonDocument.Parse(body);
            Assert.Equal(command, json.RootElement.GetProperty("command").GetString());
            Assert.NotEmpty(json.RootElement.GetProperty("problems").EnumerateArray());
        }
    }

    [Fact]
    public async Task ABadHostOrAPortInUseIsOneClearError()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        ArgumentException host = await Assert.ThrowsAsync<ArgumentException>(() => KisFeedMetricsServer.StartAsync("example.org", 0, () => new ProcessHealth(true, []), cancellationToken: ct));
        Assert.StartsWith("'example.org' is not an IP address", host.Message, StringComparison.Ordinal);

        await using KisFeedMetricsServer first = await KisFeedMetricsServer.StartAsync("127.0.0.1", 0, () => new ProcessHealth(true, []), cancellationToken: ct);
        IOException taken = await Assert.ThrowsAsync<IOException>(() => KisFeedMetricsServer.StartAsync("127.0.0.1", first.Url.Port, () => new ProcessHealth(true, []), cancellationToken: ct));
        Assert.Equal($"Cannot listen for metrics on 127.0.0.1:{first.Url.Port}: the port is in use. Pick another --metrics-port (0 = any free port).", taken.Message);
    }
}
