using System.Globalization;
using System.Net;
using System.Text.Json;

using KisFeed.Simulator;

using Microsoft.Extensions.Time.Testing;

using static KisFeed.IntegrationTests.Simulator.SimTestKit;

namespace KisFeed.IntegrationTests.Simulator;

/// <summary>
/// Issue 20 item 4: the market calls served from the same model, with KIS's documented limits: comp-program-trade-today
/// (the last 30 minutes, no next page), comp-program-trade-daily, investor-program-trade-today, volume-rank (30 rows).
/// </summary>
public sealed class SimulatorMarketRestTests
{
    /// <summary>Tuesday 2026-11-24 14:00 KST.</summary>
    private static readonly DateTimeOffset At = new(2026, 11, 24, 14, 0, 0, TimeSpan.FromHours(9));

    private static Task<KisSimulator> StartAsync(FakeTimeProvider time) =>
        KisSimulator.StartAsync(Quiet with { TimeProvider = time, Hours = MarketHours.Real, UpdatesPerSecond = 2 }, TestContext.Current.CancellationToken);

    [Fact]
    public async Task Comp_program_trade_today_gives_the_last_30_minutes_per_minute_in_millions_equal_to_the_truth()
    {
        var time = new FakeTimeProvider(At.AddSeconds(20));
        await using KisSimulator sim = await StartAsync(time);
        using HttpClient http = SimulatorRestTests.Http(sim);
        string token = await SimulatorRestTests.TokenAsync(http);
        (HttpStatusCode status, JsonDocument body, string? cont) = await SimRest.GetAsync(http, token, "comp-program-trade-today", "FHPPG04600101", Query("J", "K"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("D", cont); // no next page
        JsonElement[] rows = [.. body.RootElement.GetProperty("output").EnumerateArray()];
        Assert.Equal(30, rows.Length);
        Assert.Equal("140000", rows[0].GetProperty("bsop_hour").GetString());
        Assert.Equal("133100", rows[^1].GetProperty("bsop_hour").GetString());
        Assert.All(rows, r => Assert.Equal(SimRest.Official("FHPPG04600101"), SimRest.Names(r)));

        // A finished minute holds the market (KOSPI's stocks on KRX) at its end, in 백만원.
        IndexState end1359 = sim.Market.IndexAt("0001", At.AddSeconds(-1));
        Assert.Equal((end1359.NonArbitrageBuyValue / 1_000_000) - (end1359.NonArbitrageSellValue / 1_000_000), SimRest.L(rows[1], "nabt_smtn_ntby_tr_pbmn"));
        Assert.Equal(end1359.ArbitrageSellValue / 1_000_000, SimRest.L(rows[1], "arbt_smtn_seln_tr_pbmn"));
        Assert.Equal(SimRest.L(rows[1], "arbt_smtn_ntby_tr_pbmn") + SimRest.L(rows[1], "nabt_smtn_ntby_tr_pbmn"), SimRest.L(rows[1], "whol_smtn_ntby_tr_pbmn"));
        double level = SimRest.D(rows[0], "bstp_nmix_prpr");
        Assert.InRange(level, 2_650 * 0.9, 2_650 * 1.1);

        (_, JsonDocument bad, _) = await SimRest.GetAsync(http, token, "comp-program-trade-today", "FHPPG04600101", Query("J", "X"));
        Assert.Equal("1", bad.RootElement.GetProperty("rt_cd").GetString());
    }

    [Fact]
    public async Task Comp_program_trade_daily_serves_KISs_fields_for_trading_days_and_refuses_more_than_8_months_back()
    {
        var time = new FakeTimeProvider(At);
        await using KisSimulator sim = await KisSimulator.StartAsync(
            Quiet with { TimeProvider = time, Hours = MarketHours.Real, Rest = SimulatorRestOptions.Default with { MarketDailyRows = 6 } }, TestContext.Current.CancellationToken);
        using HttpClient http = SimulatorRestTests.Http(sim);
        string token = await SimulatorRestTests.TokenAsync(http);
        var query = new Dictionary<string, string>(Query("UN", "K")) { ["FID_INPUT_DATE_1"] = "20261120", ["FID_INPUT_DATE_2"] = string.Empty };
        (HttpStatusCode status, JsonDocument body, _) = await SimRest.GetAsync(http, token, "comp-program-trade-daily", "FHPPG04600001", query);
        Assert.Equal(HttpStatusCode.OK, status);
        JsonElement[] rows = [.. body.RootElement.GetProperty("output").EnumerateArray()];
        Assert.Equal(["20261120", "20261119", "20261118", "20261117", "20261116", "20261113"], rows.Select(r => r.GetProperty("stck_bsop_date").GetString()));
        IReadOnlyList<string> official = SimRest.Official("FHPPG04600001");
        foreach (JsonElement r in rows)
        {
            var d = DateOnly.ParseExact(r.GetProperty("stck_bsop_date").GetString()!, "yyyyMMdd", CultureInfo.InvariantCulture);
            Assert.True(SimulatedDay.IsTradingDay(d), d.ToString());
            IReadOnlyList<string> names = SimRest.Names(r);
            Assert.All(official, name => Assert.Contains(name, names));
            Assert.Equal(SimRest.L(r, "whol_entm_seln_tr_pbmn") + SimRest.L(r, "whol_onsl_seln_tr_pbmn"), SimRest.L(r, "whol_smtn_seln_tr_pbmn"));
            Assert.Equal(SimRest.L(r, "arbt_smtn_seln_vol") + SimRest.L(r, "nabt_smtn_seln_vol"), SimRest.L(r, "whol_smtn_seln_vol"));
            Assert.True(SimRest.L(r, "nabt_smtn_seln_tr_pbmn") > SimRest.L(r, "arbt_smtn_seln_tr_pbmn"));
        }

        // Consecutive rows: each index change is against the previous trading day's close.
        for (int i = 0; i + 1 < rows.Length; i++)
        {
            Assert.Equal(Math.Round(SimRest.D(rows[i], "bstp_nmix_prpr") - SimRest.D(rows[i + 1], "bstp_nmix_prpr"), 2), SimRest.D(rows[i], "bstp_nmix_prdy_vrss"), 2);
        }

        query["FID_INPUT_DATE_1"] = "20260301";
        (_, JsonDocument old, _) = await SimRest.GetAsync(http, token, "comp-program-trade-daily", "FHPPG04600001", query);
        Assert.Equal("1", old.RootElement.GetProperty("rt_cd").GetString());
    }

    [Fact]
    public async Task Investor_program_trade_today_splits_the_market_totals_over_the_investor_classes_exactly()
    {
        var time = new FakeTimeProvider(At);
        await using KisSimulator sim = await StartAsync(time);
        using HttpClient http = SimulatorRestTests.Http(sim);
        string token = await SimulatorRestTests.TokenAsync(http);
        (HttpStatusCode status, JsonDocument body, _) = await SimRest.GetAsync(http, token, "investor-program-trade-today", "HHPPG046600C1", new Dictionary<string, string> { ["MRKT_DIV_CLS_CODE"] = "1" });
        Assert.Equal(HttpStatusCode.OK, status);
        JsonElement[] rows = [.. body.RootElement.GetProperty("output1").EnumerateArray()];
        Assert.Equal(["7100", "6000", "5000", "2000", "4000", "3100", "3000", "1000", "8888", "8000", "9100"], rows.Select(r => r.GetProperty("invr_cls_code").GetString()));
        IReadOnlyList<string> official = SimRest.Official("HHPPG046600C1");
        Assert.All(rows, r => Assert.Equal(official.Order(StringComparer.Ordinal), SimRest.Names(r).Order(StringComparer.Ordinal)));
        JsonElement[] classes = [.. rows.Where(r => r.GetProperty("invr_cls_code").GetString() != "8888")];
        IndexState kospi = sim.Market.IndexAt("0001", At);
        StockState[] members = [.. sim.Market.Universe.Indices.Single(i => i.Code == "0001").Members.Select(c => sim.Market.StateAt(c, SimulatorVenue.Krx, At))];
        // Per class the parts add up to the market's arbitrage and non-arbitrage totals (its stocks' sums), in 백만원.
        Assert.Equal(kospi.ArbitrageSellValue / 1_000_000, classes.Sum(r => SimRest.L(r, "arbt_seln_amt")));
        Assert.Equal((members.Sum(s => s.SellValue) - kospi.ArbitrageSellValue) / 1_000_000, classes.Sum(r => SimRest.L(r, "nabt_seln_amt")));
        Assert.Equal(kospi.ArbitrageBuyValue / 1_000_000, classes.Sum(r => SimRest.L(r, "arbt_shnu_amt")));
        JsonElement institutions = rows.Single(r => r.GetProperty("invr_cls_code").GetString() == "8888");
        Assert.Equal(rows.Where(r => r.GetProperty("invr_cls_code").GetString() is "1000" or "2000" or "3000" or "3100" or "4000" or "5000" or "6000").Sum(r => SimRest.L(r, "nabt_seln_amt")), SimRest.L(institutions, "nabt_seln_amt"));
        Assert.All(rows, r => Assert.Equal(SimRest.L(r, "arbt_shnu_qty") + SimRest.L(r, "nabt_shnu_qty"), SimRest.L(r, "all_shnu_qty")));
        JsonElement foreigners = rows.Single(r => r.GetProperty("invr_cls_code").GetString() == "9100");
        Assert.True(SimRest.L(foreigners, "nabt_seln_amt") > SimRest.L(rows.Single(r => r.GetProperty("invr_cls_code").GetString() == "8000"), "nabt_seln_amt"), "foreigners are the bulk of non-arbitrage programs");
    }

    [Fact]
    public async Task Volume_rank_by_traded_value_is_the_truths_ranking_30_rows_with_the_official_fields()
    {
        var time = new FakeTimeProvider(At);
        await using KisSimulator sim = await StartAsync(time);
        using HttpClient http = SimulatorRestTests.Http(sim);
        string token = await SimulatorRestTests.TokenAsync(http);
        foreach ((string scope, StockMarket? market) in ((string, StockMarket?)[])[("0000", null), ("1001", StockMarket.Kosdaq)])
        {
            var query = new Dictionary<string, string>
            {
                ["FID_COND_MRKT_DIV_CODE"] = "J",
                ["FID_COND_SCR_DIV_CODE"] = "20171",
                ["FID_INPUT_ISCD"] = scope,
                ["FID_DIV_CLS_CODE"] = "0",
                ["FID_BLNG_CLS_CODE"] = "3",
                ["FID_TRGT_CLS_CODE"] = "111111111",
                ["FID_TRGT_EXLS_CLS_CODE"] = "0000000000",
                ["FID_INPUT_PRICE_1"] = string.Empty,
                ["FID_INPUT_PRICE_2"] = string.Empty,
                ["FID_VOL_CNT"] = string.Empty,
                ["FID_INPUT_DATE_1"] = string.Empty,
            };
            (HttpStatusCode status, JsonDocument body, string? cont) = await SimRest.GetAsync(http, token, "volume-rank", "FHPST01710000", query);
            Assert.Equal((HttpStatusCode.OK, "D"), (status, cont));
            JsonElement[] rows = [.. body.RootElement.GetProperty("output").EnumerateArray()];
            Assert.Equal(30, rows.Length);
            Assert.All(rows, r => Assert.Equal(SimRest.Official("FHPST01710000"), SimRest.Names(r)));
            IReadOnlyList<StockState> truth = sim.Market.RankByTradedValue(At, SimulatorVenue.Krx, market, 30);
            Assert.Equal(truth.Select(s => s.Code), rows.Select(r => r.GetProperty("mksc_shrn_iscd").GetString()));
            Assert.Equal(truth.Select(s => s.AccumulatedValue), rows.Select(r => SimRest.L(r, "acml_tr_pbmn")));
            Assert.Equal(truth.Select(s => s.Name), rows.Select(r => r.GetProperty("hts_kor_isnm").GetString()));
            Assert.Equal(Enumerable.Range(1, 30).Select(i => i.ToString(CultureInfo.InvariantCulture)), rows.Select(r => r.GetProperty("data_rank").GetString()));
        }
    }

    private static Dictionary<string, string> Query(string venue, string market) => new()
    {
        ["FID_COND_MRKT_DIV_CODE"] = venue,
        ["FID_MRKT_CLS_CODE"] = market,
        ["FID_SCTN_CLS_CODE"] = string.Empty,
        ["FID_INPUT_ISCD"] = string.Empty,
        ["FID_COND_MRKT_DIV_CODE1"] = string.Empty,
        ["FID_INPUT_HOUR_1"] = string.Empty,
    };
}
