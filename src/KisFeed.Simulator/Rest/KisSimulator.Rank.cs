using System.Globalization;

using Microsoft.AspNetCore.Http;

namespace KisFeed.Simulator;

// 거래량순위 FHPST01710000 (notes §15): the universe ranked now, at most 30 rows and no next page (KIS: "최대 30건 확인
// 가능하며, 다음 조회가 불가합니다").
public sealed partial class KisSimulator
{
    private async Task HandleVolumeRankAsync(HttpContext context)
    {
        if (await BeginApiAsync(context, "FHPST01710000").ConfigureAwait(false) is not { } call)
        {
            return;
        }

        IQueryCollection q = context.Request.Query;
        if (VenueOf(q["FID_COND_MRKT_DIV_CODE"]) is not { } venue)
        {
            await BadInputAsync(context, "FID_COND_MRKT_DIV_CODE").ConfigureAwait(false);
            return;
        }

        if (((string?)q["FID_COND_SCR_DIV_CODE"])?.Trim() != "20171")
        {
            await BadInputAsync(context, "FID_COND_SCR_DIV_CODE").ConfigureAwait(false);
            return;
        }

        // Scope: 0000 = every listed stock, else an index's members (0001 KOSPI, 1001 KOSDAQ, 2001 KOSPI200, 0128).
        string scope = ((string?)q["FID_INPUT_ISCD"])?.Trim() ?? "0000";
        IEnumerable<SimulatedStock> candidates;
        if (scope is "0000" or "")
        {
            candidates = Options.Universe.Stocks;
        }
        else if (Options.Universe.TryGetIndex(scope, out SimulatedIndex? index))
        {
            candidates = index.Members.Select(c => _feed.Model.Stock(c));
        }
        else
        {
            await BadInputAsync(context, "FID_INPUT_ISCD").ConfigureAwait(false);
            return;
        }

        // FID_DIV_CLS_CODE 0 all / 1 common / 2 preferred: every simulated stock is a common share.
        if (((string?)q["FID_DIV_CLS_CODE"])?.Trim() == "2")
        {
            candidates = [];
        }

        long minPrice = Long(q["FID_INPUT_PRICE_1"]), maxPrice = Long(q["FID_INPUT_PRICE_2"]), minVolume = Long(q["FID_VOL_CNT"]);
        string order = ((string?)q["FID_BLNG_CLS_CODE"])?.Trim() ?? "0";
        (DateOnly date, _, _) = MarketFeed.Split(call.Now);
        DateOnly previous = KrxCalendar.PreviousTradingDay(date);
        var rows = candidates
            .Select(s => (Stock: s, State: _feed.VisibleAt(s, venue, call.Now)))
            .Where(r => r.State.Price >= minPrice && (maxPrice <= 0 || r.State.Price <= maxPrice) && r.State.MarketVolume >= minVolume)
            .Select(r => (r.Stock, r.State, PrevVolume: _feed.Model.EndOfDay(r.Stock, venue, previous).MarketVolume))
            .ToList();

        // 0 평균거래량 / 1 거래증가율 / 2 평균거래회전율 / 3 거래금액순 / 4 평균거래금액회전율 (the simulator ranks 0 and 2 by
        // today's volume and turnover, 1 by volume against yesterday's, 3 by traded value, 4 by value turnover) [inferred].
        Func<(SimulatedStock Stock, ProgramFields State, long PrevVolume), double> key = order switch
        {
            "1" => r => r.PrevVolume == 0 ? 0 : r.State.MarketVolume / (double)r.PrevVolume,
            "2" => r => r.State.MarketVolume / (double)r.Stock.ListedShares,
            "3" => r => r.State.MarketValue,
            "4" => r => r.State.MarketValue / ((double)r.Stock.ListedShares * r.Stock.PriceLevel),
            _ => r => r.State.MarketVolume,
        };
        var top = rows.OrderByDescending(key).ThenBy(r => r.Stock.Code, StringComparer.Ordinal).Take(Options.Rest.VolumeRankRows).ToList();
        context.Response.Headers["tr_cont"] = "D";
        await WriteJsonAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartArray("output");
            int rank = 0;
            foreach ((SimulatedStock stock, ProgramFields s, long prevVolume) in top)
            {
                long prevClose = _feed.Model.PreviousClose(stock, date);
                w.WriteStartObject();
                w.WriteString("hts_kor_isnm", stock.Name);
                w.WriteString("mksc_shrn_iscd", stock.Code);
                w.WriteString("data_rank", (++rank).ToString(CultureInfo.InvariantCulture));
                w.WriteString("stck_prpr", Records.N(s.Price));
                w.WriteString("prdy_vrss_sign", PriceChange.Sign(s.Price, prevClose));
                w.WriteString("prdy_vrss", Records.N(s.Price - prevClose));
                w.WriteString("prdy_ctrt", PriceChange.Percent(s.Price, prevClose));
                w.WriteString("acml_vol", Records.N(s.MarketVolume));
                w.WriteString("prdy_vol", Records.N(prevVolume));
                w.WriteString("lstn_stcn", Records.N(stock.ListedShares));
                w.WriteString("avrg_vol", Records.N(prevVolume));
                w.WriteString("n_befr_clpr_vrss_prpr_rate", PriceChange.Percent(s.Price, prevClose));
                w.WriteString("vol_inrt", Records.Rate(s.MarketVolume - prevVolume, prevVolume));
                w.WriteString("vol_tnrt", Records.Rate(s.MarketVolume, stock.ListedShares));
                w.WriteString("nday_vol_tnrt", Records.Rate(prevVolume, stock.ListedShares));
                w.WriteString("avrg_tr_pbmn", Records.N(prevVolume * prevClose));
                w.WriteString("tr_pbmn_tnrt", Records.Rate(s.MarketValue, stock.ListedShares * s.Price));
                w.WriteString("nday_tr_pbmn_tnrt", Records.Rate(prevVolume * prevClose, stock.ListedShares * prevClose));
                w.WriteString("acml_tr_pbmn", Records.N(s.MarketValue));
                w.WriteEndObject();
            }

            w.WriteEndArray();
            PriceChange.WriteOk(w);
        }).ConfigureAwait(false);

        static long Long(string? s) => long.TryParse(s?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v : 0;
    }
}
