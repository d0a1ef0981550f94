using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

using KisFeed.Simulator;

using Microsoft.Extensions.Time.Testing;

using SimVenue = KisFeed.Simulator.Venue;

namespace KisFeed.IntegrationTests.Simulator;

/// <summary>
/// The simulator's REST side checked with plain HttpClient and JsonDocument against the protocol notes (§1.2, §14),
/// independently of the KisFeed client.
/// </summary>
public sealed class SimulatorRestTests
{
    /// <summary>Tuesday 2026-11-24 10:00 KST.</summary>
    internal static readonly DateTimeOffset T0 = new(2026, 11, 24, 1, 0, 0, TimeSpan.Zero);

    internal static readonly SimulatorCredential Demo = SimulatorCredential.Demo;

    internal static async Task<KisSimulator> StartAsync(FakeTimeProvider time, SimulatorRestOptions? rest = null) =>
        await KisSimulator.StartAsync(SimTestKit.Quiet with { TimeProvider = time, Rest = rest ?? SimulatorRestOptions.Default }, TestContext.Current.CancellationToken);

    internal static HttpClient Http(KisSimulator sim) => new() { BaseAddress = sim.RestBaseUri };

    internal static Task<HttpResponseMessage> PostTokenAsync(HttpClient http, SimulatorCredential? cred = null, string grant = "client_credentials")
    {
        cred ??= Demo;
        return http.PostAsJsonAsync("/oauth2/tokenP", new Dictionary<string, string> { ["grant_type"] = grant, ["appkey"] = cred.AppKey, ["appsecret"] = cred.AppSecret }, TestContext.Current.CancellationToken);
    }

    internal static async Task<string> TokenAsync(HttpClient http)
    {
        using HttpResponseMessage res = await PostTokenAsync(http);
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        using JsonDocument doc = JsonDocument.Parse(await res.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return doc.RootElement.GetProperty("access_token").GetString()!;
    }

    internal static async Task<(HttpStatusCode Status, JsonDocument Body)> GetAsync(
        HttpClient http, string? token, string market, string code, string trId = "FHPPG04650101", bool daily = false, string? date = null, SimulatorCredential? cred = null)
    {
        cred ??= Demo;
        string path = "/uapi/domestic-stock/v1/quotations/program-trade-by-stock" + (daily ? "-daily" : string.Empty)
            + $"?FID_COND_MRKT_DIV_CODE={market}&FID_INPUT_ISCD={code}" + (daily ? $"&FID_INPUT_DATE_1={date}" : string.Empty);
        using var req = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
        {
            req.Headers.TryAddWithoutValidation("authorization", "Bearer " + token);
        }

        req.Headers.TryAddWithoutValidation("appkey", cred.AppKey);
        req.Headers.TryAddWithoutValidation("appsecret", cred.AppSecret);
        req.Headers.TryAddWithoutValidation("tr_id", trId);
        req.Headers.TryAddWithoutValidation("custtype", "P");
        using HttpResponseMessage res = await http.SendAsync(req, TestContext.Current.CancellationToken);
        return (res.StatusCode, JsonDocument.Parse(await res.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)));
    }

    internal static void AssertApiError(HttpStatusCode status, JsonDocument body, string msgCd, string msg1)
    {
        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Equal("1", body.RootElement.GetProperty("rt_cd").GetString());
        Assert.Equal(msgCd, body.RootElement.GetProperty("msg_cd").GetString());
        Assert.Equal(msg1, body.RootElement.GetProperty("msg1").GetString());
    }

    internal static long L(JsonElement row, string name) => long.Parse(row.GetProperty(name).GetString()!, CultureInfo.InvariantCulture);

    [Fact]
    public async Task Calls_over_the_rate_limit_get_EGW00201()
    {
        var time = new FakeTimeProvider(T0);
        await using KisSimulator sim = await StartAsync(time, SimulatorRestOptions.Default with { CallsPerSecond = 20 });
        using HttpClient http = Http(sim);
        string token = await TokenAsync(http);
        for (int i = 0; i < 20; i++)
        {
            (HttpStatusCode s, _) = await GetAsync(http, token, "NX", "005930");
            Assert.Equal(HttpStatusCode.OK, s);
        }

        (HttpStatusCode over, JsonDocument body) = await GetAsync(http, token, "NX", "005930");
        AssertApiError(over, body, "EGW00201", "초당 거래건수를 초과하였습니다.");
        Assert.Equal(1, sim.RestRateLimited);

        time.Advance(TimeSpan.FromSeconds(1));
        (HttpStatusCode again, _) = await GetAsync(http, token, "NX", "005930");
        Assert.Equal(HttpStatusCode.OK, again);
    }

    [Fact]
    public async Task A_REST_row_at_second_T_carries_the_cumulative_WebSocket_values_at_T()
    {
        var time = new FakeTimeProvider(T0);
        await using KisSimulator sim = await StartAsync(time);
        using CancellationTokenSource cts = SimTestKit.Deadline(20);
        await using RawKisSocket ws = await RawKisSocket.ConnectAsync(sim, cts.Token);
        string approval = await SimTestKit.ApprovalKeyAsync(sim, cts.Token);
        (string TrId, string Code, string Market)[] subs = [("H0STPGM0", "005930", "J"), ("H0UNPGM0", "005930", "UN"), ("H0NXPGM0", "000660", "NX")];
        foreach ((string trId, string code, _) in subs)
        {
            using JsonDocument reply = await ws.RequestAsync(SimTestKit.SubscribeJson(approval, trId, code), cts.Token);
            Assert.Equal("0", reply.RootElement.GetProperty("body").GetProperty("rt_cd").GetString());
        }

        int expected = 0;
        for (int second = 0; second < 12; second++)
        {
            sim.PublishNow(2); // KRX 2 + NXT 2 updates per stock: 2 (KRX) + 4 (unified) + 2 (NXT) records
            expected += 8;
            await SimTestKit.WaitUntilAsync(() => sim.GetLedger().Count == expected, cts.Token, $"{expected} records are sent");
            time.Advance(TimeSpan.FromMilliseconds(second % 3 == 0 ? 400 : 1000)); // several ticks share some seconds
        }

        IReadOnlyList<SimulatorLedgerEntry> ledger = sim.GetLedger();
        using HttpClient http = Http(sim);
        string token = await TokenAsync(http);
        foreach ((string trId, string code, string market) in subs)
        {
            (HttpStatusCode status, JsonDocument body) = await GetAsync(http, token, market, code);
            Assert.Equal(HttpStatusCode.OK, status);
            var rows = body.RootElement.GetProperty("output").EnumerateArray().ToDictionary(r => r.GetProperty("bsop_hour").GetString()!);
            var lastPerSecond = ledger.Where(e => e.TrId == trId && e.Code == code).GroupBy(e => e.Fields[1]).ToDictionary(g => g.Key, g => g.Last().Fields);
            Assert.True(lastPerSecond.Count >= 8);
            foreach ((string hhmmss, IReadOnlyList<string> f) in lastPerSecond)
            {
                Assert.True(rows.TryGetValue(hhmmss, out JsonElement row), $"{trId} {code}: no REST row for {hhmmss}");
                Assert.Equal(f[2], row.GetProperty("whol_smtn_seln_vol").GetString());
                Assert.Equal(f[3], row.GetProperty("whol_smtn_seln_tr_pbmn").GetString());
                Assert.Equal(f[4], row.GetProperty("whol_smtn_shnu_vol").GetString());
                Assert.Equal(f[5], row.GetProperty("whol_smtn_shnu_tr_pbmn").GetString());
                Assert.Equal(f[6], row.GetProperty("whol_smtn_ntby_qty").GetString());
                Assert.Equal(f[7], row.GetProperty("whol_smtn_ntby_tr_pbmn").GetString());
            }

            // Newest first; cumulative values never decrease going forward in time.
            JsonElement[] ordered = [.. body.RootElement.GetProperty("output").EnumerateArray()];
            for (int i = 1; i < ordered.Length; i++)
            {
                Assert.True(string.CompareOrdinal(ordered[i - 1].GetProperty("bsop_hour").GetString(), ordered[i].GetProperty("bsop_hour").GetString()) > 0);
                Assert.True(L(ordered[i - 1], "whol_smtn_seln_vol") >= L(ordered[i], "whol_smtn_seln_vol"));
                Assert.Equal(L(ordered[i - 1], "whol_smtn_ntby_qty") - L(ordered[i], "whol_smtn_ntby_qty"), L(ordered[i - 1], "whol_ntby_vol_icdc"));
            }
        }
    }

    [Fact]
    public async Task Prices_are_near_the_large_cap_level_and_consistent_with_program_values()
    {
        var time = new FakeTimeProvider(T0);
        await using KisSimulator sim = await StartAsync(time);
        using HttpClient http = Http(sim);
        string token = await TokenAsync(http);
        await GetAsync(http, token, "J", "000660"); // the stock is now known to the market and moves with every forced tick
        for (int i = 0; i < 30; i++)
        {
            sim.PublishNow(3);
            time.Advance(TimeSpan.FromSeconds(1));
        }

        (_, JsonDocument body) = await GetAsync(http, token, "J", "000660");
        JsonElement[] rows = [.. body.RootElement.GetProperty("output").EnumerateArray()];
        Assert.True(rows.Length > 30);
        long previousClose = sim.Market.StateAt("000660", SimulatorVenue.Krx, time.GetUtcNow()).PreviousClose;
        Assert.InRange(previousClose, 550_000 * 0.85, 550_000 * 1.15); // data/large-caps.csv: 000660 at 550,000
        foreach (JsonElement r in rows)
        {
            long price = L(r, "stck_prpr");
            Assert.InRange(price, 550_000 * 0.85, 550_000 * 1.15);
            Assert.Equal(0, price % 1_000); // the KRX tick at this level
            Assert.Equal(price - previousClose, L(r, "prdy_vrss"));
            Assert.Equal(price > previousClose ? "2" : price < previousClose ? "5" : "3", r.GetProperty("prdy_vrss_sign").GetString());
            double avgSell = (double)L(r, "whol_smtn_seln_tr_pbmn") / L(r, "whol_smtn_seln_vol");
            Assert.InRange(avgSell, price * 0.95, price * 1.05); // value ≈ volume × the same price path
            Assert.True(L(r, "acml_vol") >= L(r, "whol_smtn_seln_vol") + L(r, "whol_smtn_shnu_vol"));
        }

        Assert.True(LargeCaps.TryGet("005930", out SimulatedStock samsung));
        Assert.Equal(("삼성전자", 100_000L), (samsung.Name, samsung.PriceLevel));
        string csv = Path.Combine(RepoRoot(), "data", "large-caps.csv");
        int listed = File.ReadAllLines(csv).Count(l => l.Length > 0 && l[0] != '#') - 1;
        Assert.Equal(listed, LargeCaps.All.Count);
    }

    [Fact]
    public async Task The_tr_ids_of_the_samples_and_of_public_code_are_served_and_others_refused()
    {
        var time = new FakeTimeProvider(T0);
        await using KisSimulator sim = await StartAsync(time);
        using HttpClient http = Http(sim);
        string token = await TokenAsync(http);
        foreach (string trId in (string[])["FHPPG04650101", "FHPPG04650100"])
        {
            (HttpStatusCode s, JsonDocument b) = await GetAsync(http, token, "UN", "005930", trId);
            Assert.Equal(HttpStatusCode.OK, s);
            Assert.Equal("0", b.RootElement.GetProperty("rt_cd").GetString());
        }

        (HttpStatusCode wrong, JsonDocument wb) = await GetAsync(http, token, "UN", "005930", "FHPPG04650201");
        Assert.Equal(HttpStatusCode.InternalServerError, wrong);
        Assert.Equal("1", wb.RootElement.GetProperty("rt_cd").GetString());

        (_, JsonDocument badMarket) = await GetAsync(http, token, "XX", "005930");
        Assert.Equal("1", badMarket.RootElement.GetProperty("rt_cd").GetString());
        (_, JsonDocument badCode) = await GetAsync(http, token, "J", "12");
        Assert.Equal("1", badCode.RootElement.GetProperty("rt_cd").GetString());
    }

    [Fact]
    public async Task Daily_rows_go_back_from_the_given_date_over_weekdays_and_today_is_the_day_so_far()
    {
        var time = new FakeTimeProvider(T0);
        await using KisSimulator sim = await StartAsync(time);
        using HttpClient http = Http(sim);
        string token = await TokenAsync(http);
        (HttpStatusCode s, JsonDocument today) = await GetAsync(http, token, "J", "005930", "FHPPG04650201", daily: true, date: string.Empty);
        Assert.Equal(HttpStatusCode.OK, s);
        JsonElement[] rows = [.. today.RootElement.GetProperty("output").EnumerateArray()];
        Assert.Equal(30, rows.Length);
        Assert.Equal("20261124", rows[0].GetProperty("stck_bsop_date").GetString());
        (_, JsonDocument intraday) = await GetAsync(http, token, "J", "005930");
        JsonElement newest = intraday.RootElement.GetProperty("output")[0];
        Assert.Equal(newest.GetProperty("whol_smtn_seln_vol").GetString(), rows[0].GetProperty("whol_smtn_seln_vol").GetString());
        foreach (JsonElement r in rows)
        {
            var d = DateOnly.ParseExact(r.GetProperty("stck_bsop_date").GetString()!, "yyyyMMdd", CultureInfo.InvariantCulture);
            Assert.False(d.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday);
            Assert.Equal(L(r, "whol_smtn_shnu_vol") - L(r, "whol_smtn_seln_vol"), L(r, "whol_smtn_ntby_qty"));
        }

        (_, JsonDocument older) = await GetAsync(http, token, "J", "005930", "FHPPG04650201", daily: true, date: "20261122"); // a Sunday
        JsonElement[] olderRows = [.. older.RootElement.GetProperty("output").EnumerateArray()];
        Assert.Equal("20261120", olderRows[0].GetProperty("stck_bsop_date").GetString());
        JsonElement sameDay = rows.Single(r => r.GetProperty("stck_bsop_date").GetString() == "20261120");
        Assert.Equal(sameDay.GetRawText(), olderRows[0].GetRawText()); // past days are the same on every call
    }

    [Fact]
    public async Task The_window_depth_and_page_size_bound_what_one_call_returns_and_what_the_simulator_keeps()
    {
        var time = new FakeTimeProvider(T0);
        await using KisSimulator sim = await StartAsync(time, SimulatorRestOptions.Default with { HistoryDepth = TimeSpan.FromSeconds(20), PageSize = 1000 });
        using HttpClient http = Http(sim);
        string token = await TokenAsync(http);
        await GetAsync(http, token, "J", "005930");
        for (int i = 0; i < 60; i++)
        {
            sim.PublishNow(1);
            time.Advance(TimeSpan.FromSeconds(1));
        }

        (_, JsonDocument body) = await GetAsync(http, token, "J", "005930");
        JsonElement[] rows = [.. body.RootElement.GetProperty("output").EnumerateArray()];
        Assert.InRange(rows.Length, 19, 21);
        string oldest = KoreaTimeText(time.GetUtcNow() - TimeSpan.FromSeconds(20));
        Assert.All(rows, r => Assert.True(string.CompareOrdinal(r.GetProperty("bsop_hour").GetString(), oldest) >= 0));
        Assert.InRange(sim.MarketHistory(SimVenue.Krx, "005930").Count, 19, 21); // pruned: memory stays bounded

        await using KisSimulator paged = await StartAsync(time, SimulatorRestOptions.Default with { PageSize = 5 });
        using HttpClient http2 = Http(paged);
        string token2 = await TokenAsync(http2);
        (_, JsonDocument page) = await GetAsync(http2, token2, "J", "005930");
        Assert.Equal(5, page.RootElement.GetProperty("output").GetArrayLength());
    }

    /// <summary>
    /// Paging as the official samples do it: the reply's header tr_cont F or M means more data follows, and the same
    /// request sent again with the header tr_cont: N gets the next (older) page; D ends it. A request without N starts over.
    /// </summary>
    [Fact]
    public async Task The_next_page_is_asked_for_as_the_official_samples_do_with_tr_cont_N()
    {
        var time = new FakeTimeProvider(T0);
        await using KisSimulator sim = await StartAsync(time, SimulatorRestOptions.Default with { PageSize = 50, HistoryDepth = TimeSpan.FromMinutes(30) });
        using HttpClient http = Http(sim);
        string token = await TokenAsync(http);
        var held = sim.MarketHistory(SimVenue.Krx, "005930").Select(p => KoreaTimeText(p.Second)).ToList();
        Assert.True(held.Count > 120, $"{held.Count} points: more than two pages");

        var served = new List<string>();
        var conts = new List<string>();
        string trCont = string.Empty;
        for (int page = 0; page < 20; page++)
        {
            using var req = new HttpRequestMessage(HttpMethod.Get, "/uapi/domestic-stock/v1/quotations/program-trade-by-stock?FID_COND_MRKT_DIV_CODE=J&FID_INPUT_ISCD=005930");
            req.Headers.TryAddWithoutValidation("authorization", "Bearer " + token);
            req.Headers.TryAddWithoutValidation("appkey", Demo.AppKey);
            req.Headers.TryAddWithoutValidation("appsecret", Demo.AppSecret);
            req.Headers.TryAddWithoutValidation("tr_id", "FHPPG04650101");
            req.Headers.TryAddWithoutValidation("custtype", "P");
            req.Headers.TryAddWithoutValidation("tr_cont", trCont);
            using HttpResponseMessage res = await http.SendAsync(req, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, res.StatusCode);
            using JsonDocument body = JsonDocument.Parse(await res.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
            string[] hours = [.. body.RootElement.GetProperty("output").EnumerateArray().Select(r => r.GetProperty("bsop_hour").GetString()!)];
            Assert.InRange(hours.Length, 1, 50);
            Assert.Equal(hours.OrderDescending(StringComparer.Ordinal), hours); // newest first
            if (served.Count > 0)
            {
                Assert.True(string.CompareOrdinal(hours[0], served[^1]) < 0, "the next page is older than the last");
            }

            served.AddRange(hours);
            string cont = res.Headers.GetValues("tr_cont").Single();
            conts.Add(cont);
            if (cont is not ("F" or "M"))
            {
                break;
            }

            trCont = "N";
        }

        Assert.Equal("F", conts[0]);
        Assert.All(conts.Skip(1).SkipLast(1), c => Assert.Equal("M", c));
        Assert.Equal("D", conts[^1]);
        Assert.Equal((held.Count + 49) / 50, conts.Count);
        Assert.Equal(held.AsEnumerable().Reverse(), served); // every point once

        // Without tr_cont N the same request starts over at the newest page.
        (_, JsonDocument again) = await GetAsync(http, token, "J", "005930");
        Assert.Equal(held[^1], again.RootElement.GetProperty("output")[0].GetProperty("bsop_hour").GetString());
    }

    [Fact]
    public async Task Rest_faults_fail_truncate_or_rate_limit_the_next_calls()
    {
        var time = new FakeTimeProvider(T0);
        await using KisSimulator sim = await StartAsync(time);
        using HttpClient http = Http(sim);
        string token = await TokenAsync(http);
        (_, JsonDocument full) = await GetAsync(http, token, "J", "005930");
        int all = full.RootElement.GetProperty("output").GetArrayLength();
        Assert.True(all > 10);

        sim.InjectRestFault(RestFault.Partial);
        (_, JsonDocument half) = await GetAsync(http, token, "J", "005930");
        Assert.Equal(all / 2, half.RootElement.GetProperty("output").GetArrayLength());

        sim.InjectRestFault(RestFault.RateLimit);
        (HttpStatusCode limited, JsonDocument lb) = await GetAsync(http, token, "J", "005930");
        AssertApiError(limited, lb, "EGW00201", "초당 거래건수를 초과하였습니다.");

        sim.InjectRestFault(RestFault.Fail);
        using var req = new HttpRequestMessage(HttpMethod.Get, "/uapi/domestic-stock/v1/quotations/program-trade-by-stock?FID_COND_MRKT_DIV_CODE=J&FID_INPUT_ISCD=005930");
        req.Headers.TryAddWithoutValidation("authorization", "Bearer " + token);
        req.Headers.TryAddWithoutValidation("appkey", Demo.AppKey);
        req.Headers.TryAddWithoutValidation("appsecret", Demo.AppSecret);
        req.Headers.TryAddWithoutValidation("tr_id", "FHPPG04650101");
        using HttpResponseMessage failed = await http.SendAsync(req, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadGateway, failed.StatusCode);

        (HttpStatusCode after, _) = await GetAsync(http, token, "J", "005930");
        Assert.Equal(HttpStatusCode.OK, after);

        SimulatorScenario scenario = SimulatorScenario.Parse("at 1s rest-fault partial 3\nevery 10s rest-fault fail\nat 2s rest-fault rate-limit");
        Assert.Equal(3, scenario.Steps.Count);
        Assert.Throws<FormatException>(() => SimulatorScenario.Parse("at 1s rest-fault explode"));
    }

    private static string KoreaTimeText(DateTimeOffset t) => t.ToOffset(TimeSpan.FromHours(9)).ToString("HHmmss", CultureInfo.InvariantCulture);

    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "KisFeed.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }
}
