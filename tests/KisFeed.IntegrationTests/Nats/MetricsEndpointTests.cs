using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

using KisFeed.Nats;
using KisFeed.TestKit;

namespace KisFeed.IntegrationTests.Nats;

/// <summary>
/// <c>--metrics-port</c> on real processes: a `kisfeed gateway` on a real nats-server and a shared simulator, `serve` and
/// `record` on the demo simulator, each scraped over HTTP in the Prometheus text format, and their <c>/healthz</c>.
/// </summary>
public sealed class MetricsEndpointTests
{
    private static readonly Registration[] Regs = [.. new[] { "005930", "000660" }.SelectMany(c => new[] { new Registration(Venue.Krx, c), new Registration(Venue.Nxt, c) })];

    [Fact]
    public async Task AGatewayOnMetricsPort0ServesItsCountersAndHealthzTurns503WhenNatsIsKilled()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(120);
        CancellationToken ct = deadline.Token;
        await using NatsServer server = await NatsServer.StartAsync(ct);
        await using ShareableSimulator sim = await ShareableSimulator.StartAsync(2, ct);
        await using (var nats = NatsTestKit.Connect(server))
        {
            await (await DesiredRegistrations.OpenAsync(NatsTestKit.Js(nats), NatsTestKit.Feed, ct)).AddAsync(Regs, ct);
        }

        using var dir = new TempDirectory();
        using GatewayProcess gw = GatewayProcess.StartCli("gw-metrics", [.. GatewayStopProcessTests.GatewayArgs(server.Url, sim.KeysFile), "--id", "gw-metrics", "--metrics-port", "0"]);
        using GatewayProcess recorder = GatewayProcess.StartCli("record-from-metrics", ["record", "all", "--venue", "all", "--from", server.Url, "--db", dir.File("from.duckdb"), "--metrics-port", "0"]);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            Uri metrics = await MetricsUrlAsync(gw, ct);
            Uri recorderMetrics = await MetricsUrlAsync(recorder, ct);
            Assert.True(IPAddress.IsLoopback(IPAddress.Parse(metrics.Host)), $"bound to {metrics.Host}, not loopback");

            // Leases held and published, as a scraper sees them.
            string text = "";
            await NatsTestKit.WaitUntilAsync(async () =>
            {
                text = await http.GetStringAsync(metrics, ct);
                return Prometheus.Sum(text, "kisfeed_gateway_leases_held", ("gateway_id", "gw-metrics")) >= 1 && Prometheus.Sum(text, "kisfeed_nats_published_total") > 0;
            }, ct, "the scrape shows a lease held and records published");
            Assert.Contains("# TYPE kisfeed_nats_published_total counter", text, StringComparison.Ordinal);
            Assert.Contains("# TYPE kisfeed_gateway_leases_held gauge", text, StringComparison.Ordinal);
            Assert.Contains("service_name=\"kisfeed-gateway\"", text, StringComparison.Ordinal);
            Assert.True(Prometheus.Sum(text, "kisfeed_gateway_lease_moves_total", ("gateway_id", "gw-metrics"), ("move", "acquired")) >= 1, text);
            Assert.True(Prometheus.Sum(text, "kisfeed_records_total", ("kisfeed_source", "websocket")) > 0, text); // the core's meter, in the same scrape
            Assert.Equal(Regs.Length, Prometheus.Sum(text, "kisfeed_gateway_registrations", ("gateway_id", "gw-metrics")));
            Assert.DoesNotContain(sim.Keys[0].AppKey, text, StringComparison.Ordinal);
            Assert.DoesNotContain(sim.Keys[0].AppSecret, text, StringComparison.Ordinal);

            // The published count grows with the feed.
            double first = Prometheus.Sum(text, "kisfeed_nats_published_total", ("kind", "trade"));
            await NatsTestKit.WaitUntilAsync(async () => Prometheus.Sum(await http.GetStringAsync(metrics, ct), "kisfeed_nats_published_total", ("kind", "trade")) > first, ct,
                $"the published count grows past {first}");

            // Healthy while NATS is up: what it holds, no secret.
            Uri healthz = new(metrics, "/healthz");
            using (HttpResponseMessage ok = await http.GetAsync(healthz, ct))
            {
                string body = await ok.Content.ReadAsStringAsync(ct);
                Assert.True(ok.StatusCode == HttpStatusCode.OK, body);
                using JsonDocument json = JsonDocument.Parse(body);
                Assert.Equal("ok", json.RootElement.GetProperty("status").GetString());
                Assert.Equal("Open", json.RootElement.GetProperty("nats").GetString());
                Assert.True(json.RootElement.GetProperty("leases_held").GetInt32() >= 1, body);
                Assert.DoesNotContain(sim.Keys[0].AppKey, body, StringComparison.Ordinal);
            }

            // A `record --from` of that stream: the rows it wrote, and healthy while NATS is up.
            await NatsTestKit.WaitUntilAsync(async () => Prometheus.Sum(await http.GetStringAsync(recorderMetrics, ct), "kisfeed_storage_records_written_total") > 0, ct,
                "the recorder's scrape shows rows written");
            Uri recorderHealthz = new(recorderMetrics, "/healthz");
            using (HttpResponseMessage ok = await http.GetAsync(recorderHealthz, ct))
            {
                string body = await ok.Content.ReadAsStringAsync(ct);
                Assert.True(ok.StatusCode == HttpStatusCode.OK, body);
                using JsonDocument json = JsonDocument.Parse(body);
                Assert.Equal("nats", json.RootElement.GetProperty("from").GetString());
                Assert.True(json.RootElement.GetProperty("rows_written").GetInt64() > 0, body);
            }

            // NATS dies: 503, saying why.
            server.Kill();
            string down = "";
            await NatsTestKit.WaitUntilAsync(async () =>
            {
                using HttpResponseMessage r = await http.GetAsync(healthz, ct);
                down = await r.Content.ReadAsStringAsync(ct);
                return r.StatusCode == HttpStatusCode.ServiceUnavailable;
            }, ct, "/healthz answers 503 once NATS is gone");
            using JsonDocument unhealthy = JsonDocument.Parse(down);
            Assert.Equal("unhealthy", unhealthy.RootElement.GetProperty("status").GetString());
            Assert.NotEqual("Open", unhealthy.RootElement.GetProperty("nats").GetString());
            Assert.Contains("NATS is", unhealthy.RootElement.GetProperty("problems")[0].GetString(), StringComparison.Ordinal);

            // /metrics still answers while NATS is down (a scraper sees the outage, not a dead target).
            Assert.Contains("kisfeed_gateway_leases_held", await http.GetStringAsync(metrics, ct), StringComparison.Ordinal);

            // The recorder too: its feed is gone.
            await NatsTestKit.WaitUntilAsync(async () =>
            {
                using HttpResponseMessage r = await http.GetAsync(recorderHealthz, ct);
                return r.StatusCode == HttpStatusCode.ServiceUnavailable;
            }, ct, "the recorder's /healthz answers 503 once NATS is gone");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException(ex.Message + "\n" + gw.Output + "\n" + recorder.Output, ex);
        }
    }

    [Fact]
    public async Task ServeOnTheDemoServesTheRecordsCounterAndAHealthyFeed()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(90);
        CancellationToken ct = deadline.Token;
        using var dir = new TempDirectory();
        using GatewayProcess serve = GatewayProcess.StartCli("serve-metrics", ["serve", "005930", "000660", "--venue", "all", "--demo", "--port", "0", "--db", dir.File("serve.duckdb"), "--metrics-port", "0"]);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            Uri metrics = await MetricsUrlAsync(serve, ct);
            await NatsTestKit.WaitUntilAsync(async () =>
            {
                string text = await http.GetStringAsync(metrics, ct);
                return Prometheus.Sum(text, "kisfeed_records_total") > 0 && Prometheus.Sum(text, "kisfeed_storage_records_written_total") > 0;
            }, ct, "the scrape shows records received and written");

            string body = "";
            await NatsTestKit.WaitUntilAsync(async () =>
            {
                using HttpResponseMessage r = await http.GetAsync(new Uri(metrics, "/healthz"), ct);
                body = await r.Content.ReadAsStringAsync(ct);
                return r.StatusCode == HttpStatusCode.OK;
            }, ct, "/healthz answers 200");
            using JsonDocument json = JsonDocument.Parse(body);
            Assert.Equal("serve", json.RootElement.GetProperty("command").GetString());
            Assert.Equal("Connected", json.RootElement.GetProperty("feed").GetString());
            Assert.True(json.RootElement.GetProperty("simulated").GetBoolean(), body);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException(ex.Message + "\n" + serve.Output, ex);
        }

        serve.Terminate();
        await serve.WaitForExitAsync(ct);
        Assert.True(serve.ExitCode == 0, serve.Output);
    }

    [Fact]
    public async Task RecordOnTheDemoServesTheRecordsCounterAndHealthzSaysWhatWasWritten()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(90);
        CancellationToken ct = deadline.Token;
        using var dir = new TempDirectory();
        using GatewayProcess record = GatewayProcess.StartCli("record-metrics", ["record", "005930", "--venue", "all", "--demo", "--db", dir.File("rec.duckdb"), "--metrics-port", "0"]);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            Uri metrics = await MetricsUrlAsync(record, ct);
            await NatsTestKit.WaitUntilAsync(async () =>
            {
                string text = await http.GetStringAsync(metrics, ct);
                return Prometheus.Sum(text, "kisfeed_records_total", ("kisfeed_source", "websocket")) > 0 && Prometheus.Sum(text, "kisfeed_storage_records_written_total") > 0;
            }, ct, "the scrape shows records received and written");

            string body = "";
            await NatsTestKit.WaitUntilAsync(async () =>
            {
                using HttpResponseMessage r = await http.GetAsync(new Uri(metrics, "/healthz"), ct);
                body = await r.Content.ReadAsStringAsync(ct);
                using JsonDocument j = JsonDocument.Parse(body);
                return r.StatusCode == HttpStatusCode.OK && j.RootElement.GetProperty("rows_written").GetInt64() > 0;
            }, ct, "/healthz answers 200 with rows written");
            using JsonDocument json = JsonDocument.Parse(body);
            Assert.Equal("record", json.RootElement.GetProperty("command").GetString());
            Assert.Equal("Connected", json.RootElement.GetProperty("feed").GetString());
            DateTimeOffset lastWrite = DateTimeOffset.Parse(json.RootElement.GetProperty("last_write").GetString()!, CultureInfo.InvariantCulture);
            Assert.True(DateTimeOffset.UtcNow - lastWrite < TimeSpan.FromMinutes(1), body);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException(ex.Message + "\n" + record.Output, ex);
        }

        record.Terminate();
        await record.WaitForExitAsync(ct);
        Assert.True(record.ExitCode == 0, record.Output);
    }

    [Fact]
    public async Task AMetricsPortInUseIsOneLineAndExitCode2BeforeAnythingStarts()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(60);
        CancellationToken ct = deadline.Token;
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        using var dir = new TempDirectory();
        using GatewayProcess record = GatewayProcess.StartCli("record-port-taken", ["record", "005930", "--demo", "--db", dir.File("rec.duckdb"), "--metrics-port", port.ToString(CultureInfo.InvariantCulture)]);
        await record.WaitForExitAsync(ct);

        Assert.True(record.ExitCode == 2, record.Output);
        string[] errors = [.. record.Lines.Select(l => l.Line).Where(l => l.StartsWith("stderr: ", StringComparison.Ordinal))];
        Assert.True(errors.Length == 1, record.Output);
        Assert.Equal($"stderr: kisfeed: Cannot listen for metrics on 127.0.0.1:{port}: the port is in use. Pick another --metrics-port (0 = any free port).", errors[0]);
        Assert.False(File.Exists(dir.File("rec.duckdb")), "no recording was started");
    }

    [Theory]
    [InlineData("-1", "127.0.0.1", "kisfeed: --metrics-port: -1 is not a TCP port (0-65535; 0 = any free port).")]
    [InlineData("0", "example.org", "kisfeed: --metrics-host: 'example.org' is not an IP address (use 127.0.0.1, ::1 or 0.0.0.0).")]
    public async Task ABadMetricsPortOrHostIsAUsageErrorNamingTheOption(string port, string host, string error)
    {
        using var dir = new TempDirectory();
        (int code, _, string stderr) = await KisFeed.IntegrationTests.Cli.CliHarness.RunAsync("record", "005930", "--demo", "--db", dir.File("rec.duckdb"), "--metrics-port", port, "--metrics-host", host);

        Assert.Equal(2, code);
        Assert.Equal(error, stderr.Trim());
        Assert.False(File.Exists(dir.File("rec.duckdb")));
    }

    private static async Task<Uri> MetricsUrlAsync(GatewayProcess process, CancellationToken ct)
    {
        string? line = null;
        await NatsTestKit.WaitUntilAsync(() => (line = process.Lines.Select(l => l.Line).FirstOrDefault(l => l.StartsWith("Metrics: ", StringComparison.Ordinal))) is not null || process.HasExited, ct,
            "the process prints its metrics address");
        Assert.True(line is not null, "exited without a metrics address:\n" + process.Output);
        Uri url = new(line["Metrics: ".Length..].Split(' ')[0]);
        Assert.Equal("/metrics", url.AbsolutePath);
        Assert.NotEqual(0, url.Port);
        return url;
    }
}

/// <summary>Reads the Prometheus text format: the sum of one metric's samples that carry every given label.</summary>
internal static class Prometheus
{
    public static double Sum(string text, string metric, params (string Name, string Value)[] labels)
    {
        double sum = 0;
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.StartsWith('#') || !line.StartsWith(metric, StringComparison.Ordinal) || line.Length == metric.Length || line[metric.Length] is not ('{' or ' '))
            {
                continue;
            }

            if (!labels.All(l => line.Contains($"{l.Name}=\"{l.Value}\"", StringComparison.Ordinal)))
            {
                continue;
            }

            string value = line[(line.LastIndexOf('}') is int close and >= 0 ? close + 1 : metric.Length)..].Trim().Split(' ')[0];
            sum += double.Parse(value, CultureInfo.InvariantCulture);
        }

        return sum;
    }
}
