using System.Globalization;
using System.Text.Json;

using Microsoft.AspNetCore.Http;

namespace KisFeed.Simulator;

// 주식현재가 시세 FHKST01010100 (notes §15): the price and the day's trading of one stock, from the same path as the
// WebSocket values and the REST rows.
public sealed partial class KisSimulator
{
    private async Task HandlePriceAsync(HttpContext context)
    {
        if (await BeginApiAsync(context, "FHKST01010100").ConfigureAwait(false) is not { } call)
        {
            return;
        }

        IQueryCollection q = context.Request.Query;
        if (VenueOf(q["FID_COND_MRKT_DIV_CODE"]) is not { } venue)
        {
            await BadInputAsync(context, "FID_COND_MRKT_DIV_CODE").ConfigureAwait(false);
            return;
        }

        if (await StockOfAsync(context, q["FID_INPUT_ISCD"]).ConfigureAwait(false) is not { } stock)
        {
            return;
        }

        QuoteSnapshot quote = Quote(stock, venue, call.Now);
        await WriteJsonAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject("output");
            WriteQuote(w, stock, quote);
            w.WriteEndObject();
            PriceChange.WriteOk(w);
        }).ConfigureAwait(false);
    }

    /// <summary>The price, the day's open / high / low, volume and value, and the yearly extremes of one stock now.</summary>
    internal QuoteSnapshot Quote(SimulatedStock stock, Venue venue, DateTimeOffset now)
    {
        (DateOnly date, int second, _) = MarketFeed.Split(now);
        ProgramFields s = _feed.VisibleAt(stock, venue, now);
        DaySchedule schedule = _feed.Schedule(date);
        long previousClose = _feed.Model.PreviousClose(stock, date);
        int first = schedule.FirstOpen(venue);
        (long open, long high, long low) = first >= 0 && second >= first
            ? _feed.Model.Path(stock, schedule).Range(first, second)
            : (0, 0, 0);

        // Past closes for the 250-day, 52-week and yearly extremes (closes stand for the days' ranges).
        var closes = new List<(DateOnly Date, long Close)>();
        DateOnly d = date;
        for (int i = 0; i < 250; i++)
        {
            d = KrxCalendar.PreviousTradingDay(d);
            closes.Add((d, _feed.Model.Close(stock, d)));
        }

        DateOnly previous = KrxCalendar.PreviousTradingDay(date);
        long previousVolume = _feed.Model.EndOfDay(stock, venue, previous).MarketVolume;
        return new QuoteSnapshot(date, s, previousClose, open, high, low, previousVolume, [(date, s.Price), .. closes]);
    }

    /// <summary>
    /// The <c>output</c> of inquire-price, every field of the official sample's list (examples_llm/domestic_stock/
    /// inquire_price/chk_inquire_price.py). Modelled: the price and its change, limits, open / high / low, volume, value,
    /// the program net, the tick, the extremes (from closes). Fixed placeholders (the simulator models no accounts,
    /// foreigners, credit or fundamentals): margin, status and warning codes, foreign holdings, PER/PBR/EPS/BPS.
    /// </summary>
    private static void WriteQuote(Utf8JsonWriter w, SimulatedStock stock, QuoteSnapshot q)
    {
        ProgramFields s = q.State;
        long price = s.Price, prev = q.PreviousClose;
        (DateOnly Date, long Close) hi250 = q.Closes.MaxBy(c => c.Close), lo250 = q.Closes.MinBy(c => c.Close);
        var year = q.Closes.Where(c => c.Date.Year == q.Date.Year).ToList();
        (DateOnly Date, long Close) hiYear = year.MaxBy(c => c.Close), loYear = year.MinBy(c => c.Close);
        var w52 = q.Closes.Where(c => c.Date > q.Date.AddDays(-364)).ToList();
        (DateOnly Date, long Close) hi52 = w52.MaxBy(c => c.Close), lo52 = w52.MinBy(c => c.Close);
        long shares = stock.ListedShares;
        double per = 8 + (Mix.Unit(Mix.Key(stock.Code)) * 22);
        Str("iscd_stat_cls_code", "55");
        Str("marg_rate", "20.00");
        Str("rprs_mrkt_kor_name", stock.Market == StockMarket.Kospi ? "KOSPI" : "KOSDAQ");
        Str("new_hgpr_lwpr_cls_code", string.Empty);
        Str("bstp_kor_isnm", stock.Generated ? "가상업종" : "전기·전자");
        Str("temp_stop_yn", "N");
        Str("oprc_rang_cont_yn", "N");
        Str("clpr_rang_cont_yn", "N");
        Str("crdt_able_yn", "Y");
        Str("grmn_rate_cls_code", "40");
        Str("elw_pblc_yn", "N");
        PriceChange.Write(w, "stck_prpr", price, prev);
        Num("acml_tr_pbmn", s.MarketValue);
        Num("acml_vol", s.MarketVolume);
        Str("prdy_vrss_vol_rate", Pct(s.MarketVolume, q.PreviousVolume));
        Num("stck_oprc", q.Open);
        Num("stck_hgpr", q.High);
        Num("stck_lwpr", q.Low);
        Num("stck_mxpr", PriceChange.Upper(prev));
        Num("stck_llam", PriceChange.Lower(prev));
        Num("stck_sdpr", prev);
        Str("wghn_avrg_stck_prc", (s.MarketVolume == 0 ? 0 : Math.Round(s.MarketValue / (double)s.MarketVolume, 2)).ToString("0.00", CultureInfo.InvariantCulture));
        Str("hts_frgn_ehrt", "0.00");
        Num("frgn_ntby_qty", 0);
        Num("pgtr_ntby_qty", s.NetQty);
        long pivot = (q.High + q.Low + price) / 3;
        Num("pvt_scnd_dmrs_prc", pivot + (q.High - q.Low));
        Num("pvt_frst_dmrs_prc", (2 * pivot) - q.Low);
        Num("pvt_pont_val", pivot);
        Num("pvt_frst_dmsp_prc", (2 * pivot) - q.High);
        Num("pvt_scnd_dmsp_prc", pivot - (q.High - q.Low));
        Num("dmrs_val", q.High);
        Num("dmsp_val", q.Low);
        Num("cpfn", shares * 5000 / 100_000_000);
        Num("rstc_wdth_prc", PriceChange.Upper(prev) - prev);
        Num("stck_fcam", 5000);
        Num("stck_sspr", TickGrid.Floor(prev * 0.7));
        Num("aspr_unit", TickGrid.TickAt(price));
        Num("hts_deal_qty_unit_val", 1);
        Num("lstn_stcn", shares);
        Num("hts_avls", price * shares / 100_000_000);
        Str("per", per.ToString("0.00", CultureInfo.InvariantCulture));
        Str("pbr", (per / 10).ToString("0.00", CultureInfo.InvariantCulture));
        Str("stac_month", "12");
        Str("vol_tnrt", Pct(s.MarketVolume, shares));
        Str("eps", (price / per).ToString("0.00", CultureInfo.InvariantCulture));
        Str("bps", (price / (per / 10)).ToString("0.00", CultureInfo.InvariantCulture));
        Extreme("d250_hgpr", hi250, "d250_hgpr_date", "d250_hgpr_vrss_prpr_rate");
        Extreme("d250_lwpr", lo250, "d250_lwpr_date", "d250_lwpr_vrss_prpr_rate");
        Num("stck_dryy_hgpr", hiYear.Close);
        Str("dryy_hgpr_vrss_prpr_rate", Pct(price - hiYear.Close, hiYear.Close));
        Str("dryy_hgpr_date", Day(hiYear.Date));
        Num("stck_dryy_lwpr", loYear.Close);
        Str("dryy_lwpr_vrss_prpr_rate", Pct(price - loYear.Close, loYear.Close));
        Str("dryy_lwpr_date", Day(loYear.Date));
        Num("w52_hgpr", hi52.Close);
        Str("w52_hgpr_vrss_prpr_ctrt", Pct(price - hi52.Close, hi52.Close));
        Str("w52_hgpr_date", Day(hi52.Date));
        Num("w52_lwpr", lo52.Close);
        Str("w52_lwpr_vrss_prpr_ctrt", Pct(price - lo52.Close, lo52.Close));
        Str("w52_lwpr_date", Day(lo52.Date));
        Str("whol_loan_rmnd_rate", "0.00");
        Str("ssts_yn", "Y");
        Str("stck_shrn_iscd", stock.Code);
        Str("fcam_cnnm", "원");
        Str("cpfn_cnnm", "억");
        Str("apprch_rate", "0.00");
        Num("frgn_hldn_qty", 0);
        Str("vi_cls_code", "N");
        Str("ovtm_vi_cls_code", "N");
        Num("last_ssts_cntg_qty", 0);
        Str("invt_caful_yn", "N");
        Str("mrkt_warn_cls_code", "00");
        Str("short_over_yn", "N");
        Str("sltr_yn", "N");
        Str("mang_issu_cls_code", "N");

        void Str(string name, string value) => w.WriteString(name, value);
        void Num(string name, long value) => w.WriteString(name, Records.N(value));
        void Extreme(string name, (DateOnly Date, long Close) e, string dateName, string rateName)
        {
            Num(name, e.Close);
            Str(dateName, Day(e.Date));
            Str(rateName, Pct(price - e.Close, e.Close));
        }

        static string Day(DateOnly d) => d.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        static string Pct(long part, long whole) => Records.Rate(part, whole);
    }
}
