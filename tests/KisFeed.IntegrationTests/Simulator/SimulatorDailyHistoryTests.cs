using System.Globalization;
using System.Net;
using System.Text.Json;

using KisFeed.IntegrationTests.Rest;
using KisFeed.Simulator;

using Microsoft.Extensions.Time.Testing;

namespace KisFeed.IntegrationTests.Simulator;

/// <summary>
/// Issue 19 items 6 and 7: the daily history follows the KRX calendar (no weekends, no KRX holidays, no NXT before
/// 2025-03-04, each change against the previous row's close), and the daily field is <c>whol_ntby_tr_pbmn_icdc2</c>,
/// checked against the official sample's column list, with the client's increase computed from two rows.
/// </summary>
public sealed class SimulatorDailyHistoryTests : IDisposable
{
    private readonly RestTestKit _kit = new();

    public void Dispose() => _kit.Dispose();

    [Theory]
    [InlineData("J", "20240610")] // the 30 days before hold 2024-06-06 (현충일), 05-15, 05-06, 05-01
    [InlineData("J", "20250110")] // 2024-12-25, 12-31, 2025-01-01
    [InlineData("UN", "20261014")] // 2026-10-09 (한글날), 10-05, 09-24, 09-25
    public async Task Daily_rows_are_KRX_trading_days_and_each_change_is_against_the_previous_rows_close(string market, string until)
    {
        var time = new FakeTimeProvider(SimulatorRestTests.T0);
        await using KisSimulator sim = await SimulatorRestTests.StartAsync(time);
        using HttpClient http = SimulatorRestTests.Http(sim);
        string token = await SimulatorRestTests.TokenAsync(http);
        (HttpStatusCode status, JsonDocument body) = await SimulatorRestTests.GetAsync(http, token, market, "005930", "FHPPG04650201", daily: true, date: until);
        Assert.Equal(HttpStatusCode.OK, status);
        JsonElement[] rows = [.. body.RootElement.GetProperty("output").EnumerateArray()];
        Assert.Equal(30, rows.Length);
        DateOnly[] dates = [.. rows.Select(r => DateOnly.ParseExact(r.GetProperty("stck_bsop_date").GetString()!, "yyyyMMdd", CultureInfo.InvariantCulture))];
        Assert.Equal(dates.OrderDescending(), dates);
        var holidays = File.ReadAllLines(Path.Combine(SimulatorRestTests.RepoRoot(), "data", "krx-holidays.csv"))
            .Where(l => l.Length > 0 && char.IsAsciiDigit(l[0])).Select(l => DateOnly.ParseExact(l[..10], "yyyy-MM-dd", CultureInfo.InvariantCulture)).ToHashSet();
        Assert.All(dates, d => Assert.False(d.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday || holidays.Contains(d), $"{d} is not a trading day"));
        Assert.Contains(dates, d => holidays.Contains(d.AddDays(1)) || holidays.Contains(d.AddDays(-1))); // the window does span a holiday

        // Consecutive rows are consecutive trading days: every day between two rows is a weekend or a holiday.
        for (int i = 0; i + 1 < rows.Length; i++)
        {
            for (DateOnly d = dates[i + 1].AddDays(1); d < dates[i]; d = d.AddDays(1))
            {
                Assert.True(d.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday || holidays.Contains(d), $"{d} is missing between {dates[i + 1]} and {dates[i]}");
            }

            long close = SimRest.L(rows[i], "stck_clpr"), previous = SimRest.L(rows[i + 1], "stck_clpr");
            Assert.Equal(close - previous, SimRest.L(rows[i], "prdy_vrss"));
            Assert.Equal(close > previous ? "2" : close < previous ? "5" : "3", rows[i].GetProperty("prdy_vrss_sign").GetString());
            Assert.Equal(SimRest.L(rows[i], "whol_smtn_ntby_tr_pbmn") - SimRest.L(rows[i + 1], "whol_smtn_ntby_tr_pbmn"), SimRest.L(rows[i], "whol_ntby_tr_pbmn_icdc2"));
        }
    }

    [Fact]
    public async Task There_are_no_NXT_rows_before_NXT_opened_and_unified_is_KRX_before_it()
    {
        var time = new FakeTimeProvider(SimulatorRestTests.T0);
        await using KisSimulator sim = await SimulatorRestTests.StartAsync(time);
        using HttpClient http = SimulatorRestTests.Http(sim);
        string token = await SimulatorRestTests.TokenAsync(http);
        JsonElement[] nxt = await DailyAsync(http, token, "NX", "20250314");
        Assert.Equal(["20250314", "20250313", "20250312", "20250311", "20250310", "20250307", "20250306", "20250305", "20250304"], nxt.Select(r => r.GetProperty("stck_bsop_date").GetString()));
        Assert.Equal(SimRest.L(nxt[^1], "whol_smtn_ntby_tr_pbmn"), SimRest.L(nxt[^1], "whol_ntby_tr_pbmn_icdc2")); // NXT's first day: no day before it

        JsonElement[] krx = await DailyAsync(http, token, "J", "20250314"), uni = await DailyAsync(http, token, "UN", "20250314");
        Assert.Equal(30, uni.Length);
        for (int i = 0; i < uni.Length; i++)
        {
            string date = uni[i].GetProperty("stck_bsop_date").GetString()!;
            Assert.Equal(date, krx[i].GetProperty("stck_bsop_date").GetString());
            if (string.CompareOrdinal(date, "20250304") < 0)
            {
                Assert.Equal(krx[i].GetRawText(), uni[i].GetRawText());
            }
            else
            {
                JsonElement n = nxt.Single(r => r.GetProperty("stck_bsop_date").GetString() == date);
                Assert.Equal(SimRest.L(krx[i], "whol_smtn_seln_vol") + SimRest.L(n, "whol_smtn_seln_vol"), SimRest.L(uni[i], "whol_smtn_seln_vol"));
            }
        }
    }

    [Fact]
    public async Task The_daily_reply_has_exactly_the_official_samples_fields()
    {
        var time = new FakeTimeProvider(SimulatorRestTests.T0);
        await using KisSimulator sim = await SimulatorRestTests.StartAsync(time);
        using HttpClient http = SimulatorRestTests.Http(sim);
        string token = await SimulatorRestTests.TokenAsync(http);
        IReadOnlyList<string> official = SimRest.Official("FHPPG04650201");
        Assert.Contains("whol_ntby_tr_pbmn_icdc2", official);
        Assert.DoesNotContain("whol_ntby_tr_pbmn_icdc", official);
        foreach (JsonElement row in await DailyAsync(http, token, "UN", string.Empty))
        {
            Assert.Equal(official, SimRest.Names(row));
        }
    }

    [Fact]
    public async Task The_client_reads_the_daily_increase_and_computes_it_from_two_rows_when_KIS_sends_the_days_net_in_it()
    {
        using CancellationTokenSource cts = SimTestKit.Deadline(30);
        var time = new FakeTimeProvider(SimulatorRestTests.T0);

        // As KIS answers on most days: the field is the change against the previous day; the client's oldest row keeps it.
        await using (KisSimulator sim = await SimulatorRestTests.StartAsync(time, SimulatorRestOptions.Default with { TokenRequestInterval = TimeSpan.Zero }))
        {
            using KisRestClient client = _kit.Client(sim, time);
            IReadOnlyList<ProgramTradeDailyRow> days = await RestTestKit.PumpAsync(client.DailyHistoryAsync("005930", Venue.Krx, new DateOnly(2026, 11, 20), cts.Token), time, TimeSpan.FromMilliseconds(10), cts.Token);
            using HttpClient http = SimulatorRestTests.Http(sim);
            JsonElement[] raw = await DailyAsync(http, await SimulatorRestTests.TokenAsync(http), "J", "20261120");
            Assert.Equal(SimRest.L(raw[^1], "whol_ntby_tr_pbmn_icdc2"), days[0].NetBuyValueChange);
            Assert.NotEqual(days[0].NetBuyValue, days[0].NetBuyValueChange);
            for (int i = 1; i < days.Count; i++)
            {
                Assert.Equal(days[i].NetBuyValue - days[i - 1].NetBuyValue, days[i].NetBuyValueChange);
            }
        }

        // As a client reports KIS sends on some days: the field equals the day's net. The increase is still right.
        await using (KisSimulator sim = await SimulatorRestTests.StartAsync(time, SimulatorRestOptions.Default with { DailyIncreaseEqualsNet = true, TokenRequestInterval = TimeSpan.Zero }))
        {
            using HttpClient http = SimulatorRestTests.Http(sim);
            JsonElement[] raw = await DailyAsync(http, await SimulatorRestTests.TokenAsync(http), "J", "20261120");
            Assert.All(raw, r => Assert.Equal(SimRest.L(r, "whol_smtn_ntby_tr_pbmn"), SimRest.L(r, "whol_ntby_tr_pbmn_icdc2")));
            using KisRestClient client = _kit.Client(sim, time);
            IReadOnlyList<ProgramTradeDailyRow> days = await RestTestKit.PumpAsync(client.DailyHistoryAsync("005930", Venue.Krx, new DateOnly(2026, 11, 20), cts.Token), time, TimeSpan.FromMilliseconds(10), cts.Token);
            Assert.Equal(30, days.Count);
            Assert.Null(days[0].NetBuyValueChange); // the field held the day's net and no earlier row says more
            for (int i = 1; i < days.Count; i++)
            {
                Assert.Equal(days[i].NetBuyValue - days[i - 1].NetBuyValue, days[i].NetBuyValueChange);
                Assert.NotEqual(days[i].NetBuyValue, days[i].NetBuyValueChange);
            }
        }
    }

    private static async Task<JsonElement[]> DailyAsync(HttpClient http, string token, string market, string date)
    {
        (HttpStatusCode status, JsonDocument body) = await SimulatorRestTests.GetAsync(http, token, market, "005930", "FHPPG04650201", daily: true, date: date);
        Assert.Equal(HttpStatusCode.OK, status);
        return [.. body.RootElement.GetProperty("output").EnumerateArray()];
    }
}
