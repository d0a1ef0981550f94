using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

using KisFeed.Simulator;

using Microsoft.Extensions.Time.Testing;

using static KisFeed.IntegrationTests.Simulator.SimulatorRestTests;

namespace KisFeed.IntegrationTests.Simulator;

/// <summary>The simulator's tokenP / revokeP as KIS answers them (notes §1.2).</summary>
public sealed class SimulatorTokenTests
{
    [Fact]
    public async Task TokenP_answers_as_KIS_does()
    {
        var time = new FakeTimeProvider(T0);
        await using KisSimulator sim = await StartAsync(time);
        using HttpClient http = Http(sim);
        using HttpResponseMessage res = await PostTokenAsync(http);
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        using JsonDocument doc = JsonDocument.Parse(await res.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        JsonElement r = doc.RootElement;
        Assert.Equal("Bearer", r.GetProperty("token_type").GetString());
        Assert.Equal(86400, r.GetProperty("expires_in").GetInt64());
        Assert.Equal("2026-11-25 10:00:00", r.GetProperty("access_token_token_expired").GetString()); // KST, yyyy-MM-dd HH:mm:ss
        Assert.True(r.GetProperty("access_token").GetString()!.Length > 100);

        using HttpResponseMessage bad = await PostTokenAsync(http, grant: "password");
        Assert.Equal(HttpStatusCode.Forbidden, bad.StatusCode);
        using HttpResponseMessage wrongSecret = await PostTokenAsync(http, Demo with { AppSecret = "x" });
        Assert.Equal("EGW00105", JsonDocument.Parse(await wrongSecret.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("error_code").GetString());
    }

    [Fact]
    public async Task A_second_token_request_within_a_minute_is_EGW00133_and_within_six_hours_the_token_is_the_same()
    {
        var time = new FakeTimeProvider(T0);
        await using KisSimulator sim = await StartAsync(time);
        using HttpClient http = Http(sim);
        string first = await TokenAsync(http);

        time.Advance(TimeSpan.FromSeconds(59));
        using HttpResponseMessage refused = await PostTokenAsync(http);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(
            "{\"error_description\":\"접근토큰 발급 잠시 후 다시 시도하세요(1분당 1회)\",\"error_code\":\"EGW00133\"}",
            await refused.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(first, await TokenAsync(http));
        Assert.Equal(1, sim.TokensIssued);

        time.Advance(TimeSpan.FromHours(6));
        string renewed = await TokenAsync(http);
        Assert.NotEqual(first, renewed);
        Assert.Equal(2, sim.TokensIssued);
        Assert.Equal(4, sim.TokenRequests);
    }

    [Fact]
    public async Task An_expired_token_gets_EGW00123_and_an_unknown_one_EGW00121()
    {
        var time = new FakeTimeProvider(T0);
        await using KisSimulator sim = await StartAsync(time);
        using HttpClient http = Http(sim);
        string token = await TokenAsync(http);
        (HttpStatusCode ok, JsonDocument body) = await GetAsync(http, token, "J", "005930");
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Equal("0", body.RootElement.GetProperty("rt_cd").GetString());

        (HttpStatusCode s1, JsonDocument b1) = await GetAsync(http, "not-a-token", "J", "005930");
        AssertApiError(s1, b1, "EGW00121", "유효하지 않은 token 입니다.");

        time.Advance(TimeSpan.FromDays(1));
        (HttpStatusCode s2, JsonDocument b2) = await GetAsync(http, token, "J", "005930");
        AssertApiError(s2, b2, "EGW00123", "기간이 만료된 token 입니다.");
        Assert.NotEqual(token, await TokenAsync(http));
    }

    [Fact]
    public async Task RevokeP_ends_the_token()
    {
        var time = new FakeTimeProvider(T0);
        await using KisSimulator sim = await StartAsync(time);
        using HttpClient http = Http(sim);
        string token = await TokenAsync(http);
        using HttpResponseMessage res = await http.PostAsJsonAsync(
            "/oauth2/revokeP", new Dictionary<string, string> { ["appkey"] = Demo.AppKey, ["appsecret"] = Demo.AppSecret, ["token"] = token }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        using JsonDocument doc = JsonDocument.Parse(await res.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(200, doc.RootElement.GetProperty("code").GetInt32());

        (HttpStatusCode s, JsonDocument b) = await GetAsync(http, token, "J", "005930");
        AssertApiError(s, b, "EGW00121", "유효하지 않은 token 입니다.");
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.NotEqual(token, await TokenAsync(http));
    }
}
