using System.Net;
using System.Text.Json;

using KisFeed.Simulator;

using Microsoft.Extensions.Time.Testing;

using static KisFeed.IntegrationTests.Simulator.SimTestKit;

namespace KisFeed.IntegrationTests.Simulator;

public sealed class SimulatorApprovalTests
{
    [Fact]
    public async Task Approval_issues_a_uuid_shaped_key_for_the_demo_credential()
    {
        using CancellationTokenSource cts = Deadline();
        await using KisSimulator sim = await KisSimulator.StartAsync(Quiet, cts.Token);

        string key = await ApprovalKeyAsync(sim, cts.Token);

        Assert.Equal(36, key.Length);
        Assert.True(Guid.TryParse(key, out _));
        Assert.Equal(1, sim.ApprovalsIssued);
        Assert.Equal(36, SimulatorCredential.Demo.AppKey.Length);
        Assert.Equal(180, SimulatorCredential.Demo.AppSecret.Length);
    }

    [Theory]
    [InlineData("wrong-secret", "EGW00105")]
    [InlineData("unknown-appkey", "EGW00103")]
    [InlineData("wrong-grant", "EGW00101")]
    [InlineData("appsecret-field", "EGW00104")]
    [InlineData("not-json", "EGW00101")]
    public async Task Approval_refuses_bad_requests_with_a_gateway_error(string @case, string code)
    {
        using CancellationTokenSource cts = Deadline();
        await using KisSimulator sim = await KisSimulator.StartAsync(Quiet, cts.Token);
        SimulatorCredential demo = SimulatorCredential.Demo;
        using var http = new HttpClient { BaseAddress = sim.RestBaseUri };
        string body = @case switch
        {
            "wrong-secret" => Json("client_credentials", demo.AppKey, "secretkey", demo.AppSecret[..^1] + "X"),
            "unknown-appkey" => Json("client_credentials", "PSunknownunknownunknownunknownunknow", "secretkey", demo.AppSecret),
            "wrong-grant" => Json("password", demo.AppKey, "secretkey", demo.AppSecret),
            // The field is secretkey, not appsecret (notes §1.1).
            "appsecret-field" => Json("client_credentials", demo.AppKey, "appsecret", demo.AppSecret),
            _ => "{not json",
        };

        using HttpResponseMessage res = await http.PostAsync(
            "/oauth2/Approval", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), cts.Token);

        Assert.Equal(HttpStatusCode.Forbidden, res.StatusCode);
        using JsonDocument doc = JsonDocument.Parse(await res.Content.ReadAsStringAsync(cts.Token));
        Assert.Equal(code, doc.RootElement.GetProperty("error_code").GetString());
        Assert.False(string.IsNullOrEmpty(doc.RootElement.GetProperty("error_description").GetString()));
        Assert.False(doc.RootElement.TryGetProperty("approval_key", out _));
        Assert.Equal(0, sim.ApprovalsIssued);

        static string Json(string grant, string appKey, string secretName, string secret) =>
            JsonSerializer.Serialize(new Dictionary<string, string> { ["grant_type"] = grant, ["appkey"] = appKey, [secretName] = secret });
    }

    [Fact]
    public async Task Approval_is_rate_limited_per_app_key_on_the_simulator_clock()
    {
        using CancellationTokenSource cts = Deadline();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 7, 8, 0, 10, 0, TimeSpan.Zero));
        var other = new SimulatorCredential("PSother-app-key-0000000000000000000X", new string('s', 180));
        await using KisSimulator sim = await KisSimulator.StartAsync(
            Quiet with { ApprovalRateLimitPerSecond = 1, TimeProvider = time, Credentials = [SimulatorCredential.Demo, other] }, cts.Token);

        await ApprovalKeyAsync(sim, cts.Token);
        using (HttpResponseMessage second = await PostApprovalAsync(
            sim, new { grant_type = "client_credentials", appkey = SimulatorCredential.Demo.AppKey, secretkey = SimulatorCredential.Demo.AppSecret }, cts.Token))
        {
            Assert.Equal(HttpStatusCode.Forbidden, second.StatusCode);
            Assert.Contains("\"error_code\":\"EGW", await second.Content.ReadAsStringAsync(cts.Token), StringComparison.Ordinal);
        }

        await ApprovalKeyAsync(sim, cts.Token, other); // the limit is per app key
        time.Advance(TimeSpan.FromSeconds(1));
        await ApprovalKeyAsync(sim, cts.Token);
        Assert.Equal(3, sim.ApprovalsIssued);
    }
}
