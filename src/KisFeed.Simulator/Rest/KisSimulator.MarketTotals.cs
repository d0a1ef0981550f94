using System.Globalization;
using System.Text.Json;

using Microsoft.AspNetCore.Http;

namespace KisFeed.Simulator;

// The market totals of the protocol notes §15: 프로그램매매 종합현황(시간) FHPPG04600101, (일별) FHPPG04600001 and
// 투자자매매동향(당일) HHPPG046600C1. A market's totals are the sums over its stocks (index 0001 / 1001 members) on the
// venue asked for, in 천주 / 백만원 as KIS's examples show them; arbitrage is the basket trades, the rest non-arbitrage.
public sealed partial class KisSimulator
{
    /// <summary>The investor classes of HHPPG046600C1 in the order of KIS's example, with their shares of arbitrage and non-arbitrage [inferred].</summary>
    private static readonly (string Code, string Name, double Arb, double Nabt)[] Investors =
    [
        ("7100", "기 타", 0, 0.05), ("6000", "연기금등", 0.10, 0.06), ("5000", "기타금융", 0, 0.005), ("2000", "보 험", 0, 0.02),
        ("4000", "은 행", 0, 0.005), ("3100", "사 모", 0, 0.02), ("3000", "투 신", 0.05, 0.05), ("1000", "금융투자", 0.55, 0.04),
        ("8888", "기 관", 0, 0), ("8000", "개 인", 0, 0.03), ("9100", "외국인", 0.30, 0.72),
    ];

    /// <summary>The classes that make up 기관 (8888).</summary>
    private static readonly HashSet<string> Institutions = ["1000", "2000", "3000", "3100", "4000", "5000", "6000"];

    private async Task HandleMarketTodayAsync(HttpContext context)
    {
        if (await BeginApiAsync(context, "FHPPG04600101", "FHPPG04600100").ConfigureAwait(false) is not { } call
            || await MarketOfAsync(context, "FID_COND_MRKT_DIV_CODE", "FID_MRKT_CLS_CODE").ConfigureAwait(false) is not { } m)
        {
            return;
        }

        // The last 30 minutes, a row per minute, newest first, no next page (KIS: "최근 30분간의 데이터 ... 다음조회가 불가").
        // A minute's row holds the totals at its end (the current minute: now). Only minutes the venue traded in [inferred].
        (DateOnly date, int second, _) = MarketFeed.Split(call.Now);
        DaySchedule schedule = _feed.Schedule(date);
        SimulatedIndex index = m.Index;
        double previousLevel = _feed.PreviousLevel(index, date);
        context.Response.Headers["tr_cont"] = "D";
        var minutes = new List<int>();
        for (int minute = second / 60; minute >= 0 && minutes.Count < 30; minute--)
        {
            if (Enumerable.Range(minute * 60, 60).Any(s => schedule.IsOpen(m.Venue, s)))
            {
                minutes.Add(minute);
            }
        }

        await WriteJsonAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartArray("output");
            foreach (int minute in minutes)
            {
                int end = Math.Min(second, (minute * 60) + 59);
                IndexTotals t = end == second ? _feed.IndexVisibleAt(index, m.Venue, call.Now) : IndexEnd(index, m.Venue, date, end);
                MarketUnits u = t.InUnits(0, 0);
                w.WriteStartObject();
                w.WriteString("bsop_hour", string.Create(CultureInfo.InvariantCulture, $"{minute / 60:D2}{minute % 60:D2}00"));
                Pair(w, "arbt_smtn_seln_tr_pbmn", "arbt_smtm_seln_tr_pbmn_rate", u.ArbSellV, u.MarketValue);
                Pair(w, "arbt_smtn_shnu_tr_pbmn", "arbt_smtm_shun_tr_pbmn_rate", u.ArbBuyV, u.MarketValue);
                Pair(w, "nabt_smtn_seln_tr_pbmn", "nabt_smtm_seln_tr_pbmn_rate", u.NabtSellV, u.MarketValue);
                Pair(w, "nabt_smtn_shnu_tr_pbmn", "nabt_smtm_shun_tr_pbmn_rate", u.NabtBuyV, u.MarketValue);
                Pair(w, "arbt_smtn_ntby_tr_pbmn", "arbt_smtm_ntby_tr_pbmn_rate", u.ArbBuyV - u.ArbSellV, u.MarketValue);
                Pair(w, "nabt_smtn_ntby_tr_pbmn", "nabt_smtm_ntby_tr_pbmn_rate", u.NabtBuyV - u.NabtSellV, u.MarketValue);
                Pair(w, "whol_smtn_ntby_tr_pbmn", "whol_ntby_tr_pbmn_rate", u.BuyV - u.SellV, u.MarketValue);
                double level = _feed.Level(index, date, end, Options.Hours);
                WriteLevel(w, level, previousLevel);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            PriceChange.WriteOk(w);
        }).ConfigureAwait(false);
    }

    private async Task HandleMarketDailyAsync(HttpContext context)
    {
        if (await BeginApiAsync(context, "FHPPG04600001", "FHPPG04600000").ConfigureAwait(false) is not { } call
            || await MarketOfAsync(context, "FID_COND_MRKT_DIV_CODE", "FID_MRKT_CLS_CODE").ConfigureAwait(false) is not { } m)
        {
            return;
        }

        IQueryCollection q = context.Request.Query;
        if (!TryDate(q["FID_INPUT_DATE_1"], out DateOnly? until) || !TryDate(q["FID_INPUT_DATE_2"], out DateOnly? _))
        {
            await BadInputAsync(context, "FID_INPUT_DATE_1").ConfigureAwait(false);
            return;
        }

        (DateOnly today, _, _) = MarketFeed.Split(call.Now);
        if (until is { } u && u < today.AddMonths(-8))
        {
            // Documented: "8개월 이상 과거 조회는 불가하며 에러메시지가 발생합니다" (code and text [inferred]).
            await ApiErrorAsync(context, StatusCodes.Status200OK, "OPSQ3002", "조회기간은 8개월 이내만 가능합니다.").ConfigureAwait(false);
            return;
        }

        context.Response.Headers["tr_cont"] = "D";
        var days = new List<(DateOnly Date, IndexTotals Totals, double Level, double PreviousLevel)>();
        DateOnly day = until is { } end && end < today ? end : today;
        for (int guard = 0; days.Count < Options.Rest.MarketDailyRows && guard < 200; guard++, day = day.AddDays(-1))
        {
            bool trades = m.Venue == Venue.Nxt ? KrxCalendar.IsNxtTradingDay(day) : KrxCalendar.IsTradingDay(day);
            if (day == today && _feed.Schedule(today).FirstOpen(m.Venue) >= 0)
            {
                (_, int second, _) = MarketFeed.Split(call.Now);
                days.Add((day, _feed.IndexVisibleAt(m.Index, m.Venue, call.Now), _feed.Level(m.Index, day, second, Options.Hours), _feed.PreviousLevel(m.Index, day)));
            }
            else if (day < today && trades)
            {
                days.Add((day, MarketEndOfDay(m.Index, m.Venue, day), _feed.CloseLevel(m.Index, day), _feed.PreviousLevel(m.Index, day)));
            }
        }

        (double ownArb, double ownNabt) = (0, 0);
        await WriteJsonAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartArray("output");
            foreach ((DateOnly date, IndexTotals t, double level, double previousLevel) in days)
            {
                (ownArb, ownNabt) = _feed.OwnShares(m.Index.Code, date);
                w.WriteStartObject();
                w.WriteString("stck_bsop_date", date.ToString("yyyyMMdd", CultureInfo.InvariantCulture));
                WriteDailyTotals(w, t.InUnits(ownArb, ownNabt));
                WriteLevel(w, level, previousLevel);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            PriceChange.WriteOk(w);
        }).ConfigureAwait(false);
    }

    private async Task HandleInvestorsAsync(HttpContext context)
    {
        if (await BeginApiAsync(context, "HHPPG046600C1", "HHPPG046600C0").ConfigureAwait(false) is not { } call)
        {
            return;
        }

        IQueryCollection q = context.Request.Query;
        string? exchange = ((string?)q["EXCH_DIV_CLS_CODE"])?.Trim();
        Venue? venue = string.IsNullOrEmpty(exchange) ? Venue.Krx : VenueOf(exchange); // the official sample sends none: KRX [inferred]
        StockMarket? market = ((string?)q["MRKT_DIV_CLS_CODE"])?.Trim() switch { "1" => StockMarket.Kospi, "4" => StockMarket.Kosdaq, _ => null };
        if (venue is null)
        {
            await BadInputAsync(context, "EXCH_DIV_CLS_CODE").ConfigureAwait(false);
            return;
        }

        if (market is null)
        {
            await BadInputAsync(context, "MRKT_DIV_CLS_CODE").ConfigureAwait(false);
            return;
        }

        SimulatedIndex index = MarketIndex(market.Value);
        (DateOnly date, _, _) = MarketFeed.Split(call.Now);
        MarketUnits u = _feed.IndexVisibleAt(index, venue.Value, call.Now).InUnits(0, 0);
        ulong key = Mix.Hash((ulong)Options.Seed, 0x494E5653UL, (ulong)market, (ulong)date.DayNumber);
        long[][] parts =
        [
            Allocate(u.ArbSellQ, key, 1, arb: true), Allocate(u.ArbBuyQ, key, 2, arb: true), Allocate(u.ArbSellV, key, 1, arb: true), Allocate(u.ArbBuyV, key, 2, arb: true),
            Allocate(u.NabtSellQ, key, 3, arb: false), Allocate(u.NabtBuyQ, key, 4, arb: false), Allocate(u.NabtSellV, key, 3, arb: false), Allocate(u.NabtBuyV, key, 4, arb: false),
        ];
        await WriteJsonAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartArray("output1");
            for (int i = 0; i < Investors.Length; i++)
            {
                long[] v = [.. parts.Select(p => Investors[i].Code == "8888" ? Investors.Select((inv, j) => Institutions.Contains(inv.Code) ? p[j] : 0).Sum() : p[i])];
                w.WriteStartObject();
                w.WriteString("invr_cls_code", Investors[i].Code);
                w.WriteString("invr_cls_name", Investors[i].Name);
                Side(w, "arbt", v[0], v[1], v[2], v[3]);
                Side(w, "nabt", v[4], v[5], v[6], v[7]);
                Side(w, "all", v[0] + v[4], v[1] + v[5], v[2] + v[6], v[3] + v[7]);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            PriceChange.WriteOk(w);
        }).ConfigureAwait(false);

        static void Side(Utf8JsonWriter w, string prefix, long sellQ, long buyQ, long sellV, long buyV)
        {
            w.WriteString(prefix + "_seln_qty", Records.N(sellQ));
            w.WriteString(prefix + "_shnu_qty", Records.N(buyQ));
            w.WriteString(prefix + "_ntby_qty", Records.N(buyQ - sellQ));
            w.WriteString(prefix + "_seln_amt", Records.N(sellV));
            w.WriteString(prefix + "_shnu_amt", Records.N(buyV));
            w.WriteString(prefix + "_ntby_amt", Records.N(buyV - sellV));
        }
    }

    /// <summary>
    /// Splits <paramref name="total"/> over the investor classes by their shares (drawn per day around the defaults),
    /// largest remainder first, so the classes add up to the total exactly (8888 gets 0: it is the institutions' sum).
    /// </summary>
    private static long[] Allocate(long total, ulong key, ulong side, bool arb)
    {
        double[] weight = [.. Investors.Select((inv, i) => (arb ? inv.Arb : inv.Nabt) * Math.Exp(0.2 * Mix.Normal(Mix.Hash(key, side, (ulong)i))))];
        double sum = weight.Sum();
        long[] result = new long[Investors.Length];
        if (sum <= 0 || total == 0)
        {
            return result;
        }

        double[] exact = [.. weight.Select(x => total * x / sum)];
        long given = 0;
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = (long)Math.Floor(exact[i]);
            given += result[i];
        }

        foreach (int i in Enumerable.Range(0, result.Length).Where(i => weight[i] > 0).OrderByDescending(i => exact[i] - result[i]).ThenBy(i => i).Take((int)(total - given)))
        {
            result[i]++;
        }

        return result;
    }

    /// <summary>The comp-program-trade-daily fields: KIS's table of 100 plus the totals its example also carries.</summary>
    private static void WriteDailyTotals(Utf8JsonWriter w, MarketUnits u)
    {
        long mq = u.MarketVolume, mv = u.MarketValue;
        (string Kind, (long Customer, long Own) SellQ, (long Customer, long Own) SellV, (long Customer, long Own) BuyQ, (long Customer, long Own) BuyV)[] kinds =
        [
            ("arbt", u.ArbSellQty, u.ArbSellValue, u.ArbBuyQty, u.ArbBuyValue),
            ("nabt", u.NabtSellQty, u.NabtSellValue, u.NabtBuyQty, u.NabtBuyValue),
            ("whol", Add(u.ArbSellQty, u.NabtSellQty), Add(u.ArbSellValue, u.NabtSellValue), Add(u.ArbBuyQty, u.NabtBuyQty), Add(u.ArbBuyValue, u.NabtBuyValue)),
        ];
        foreach ((string kind, var sq, var sv, var bq, var bv) in kinds)
        {
            foreach ((string who, Func<(long Customer, long Own), long> pick) in (ReadOnlySpan<(string, Func<(long Customer, long Own), long>)>)[("entm", p => p.Customer), ("onsl", p => p.Own)])
            {
                Fields(w, $"{kind}_{who}", pick(sq), pick(sv), pick(bq), pick(bv), mq, mv);
            }

            // The sums' names: arbt_smtn_* / nabt_smtn_* / whol_smtn_*, their rates *_smtm_* (whol_*_rate) as KIS spells them.
            string rate = kind == "whol" ? "whol" : kind + "_smtm";
            long q1 = MarketUnits.T(sq), v1 = MarketUnits.T(sv), q2 = MarketUnits.T(bq), v2 = MarketUnits.T(bv);
            w.WriteString($"{kind}_smtn_seln_vol", Records.N(q1));
            w.WriteString(kind == "whol" ? "whol_seln_vol_rate" : $"{rate}_seln_vol_rate", Records.Rate(q1, mq));
            w.WriteString($"{kind}_smtn_seln_tr_pbmn", Records.N(v1));
            w.WriteString(kind == "whol" ? "whol_seln_tr_pbmn_rate" : $"{rate}_seln_tr_pbmn_rate", Records.Rate(v1, mv));
            w.WriteString($"{kind}_smtn_shnu_vol", Records.N(q2));
            w.WriteString(kind == "whol" ? "whol_shun_vol_rate" : $"{rate}_shun_vol_rate", Records.Rate(q2, mq));
            w.WriteString($"{kind}_smtn_shnu_tr_pbmn", Records.N(v2));
            w.WriteString(kind == "whol" ? "whol_shun_tr_pbmn_rate" : $"{rate}_shun_tr_pbmn_rate", Records.Rate(v2, mv));
            w.WriteString($"{kind}_smtn_ntby_qty", Records.N(q2 - q1));
            w.WriteString(kind == "whol" ? "whol_ntby_qty_rate" : $"{rate}_ntby_qty_rate", Records.Rate(q2 - q1, mq));
            w.WriteString($"{kind}_smtn_ntby_tr_pbmn", Records.N(v2 - v1));
            w.WriteString(kind == "whol" ? "whol_ntby_tr_pbmn_rate" : $"{rate}_ntby_tr_pbmn_rate", Records.Rate(v2 - v1, mv));
            if (kind == "nabt")
            {
                // KIS's table spells these two sums with "smtm" (nabt_smtm_seln_vol) besides the nabt_smtn_* of its example: both are served.
                w.WriteString("nabt_smtm_seln_vol", Records.N(q1));
            }
        }

        w.WriteString("arbt_smtm_ntby_qty", Records.N(MarketUnits.T(u.ArbBuyQty) - MarketUnits.T(u.ArbSellQty)));

        static (long, long) Add((long Customer, long Own) a, (long Customer, long Own) b) => (a.Customer + b.Customer, a.Own + b.Own);

        static void Fields(Utf8JsonWriter w, string p, long sq, long sv, long bq, long bv, long mq, long mv)
        {
            w.WriteString(p + "_seln_vol", Records.N(sq));
            w.WriteString(p + "_seln_vol_rate", Records.Rate(sq, mq));
            w.WriteString(p + "_seln_tr_pbmn", Records.N(sv));
            w.WriteString(p + "_seln_tr_pbmn_rate", Records.Rate(sv, mv));
            w.WriteString(p + "_shnu_vol", Records.N(bq));
            w.WriteString(p + "_shnu_vol_rate", Records.Rate(bq, mq));
            w.WriteString(p + "_shnu_tr_pbmn", Records.N(bv));
            w.WriteString(p + "_shnu_tr_pbmn_rate", Records.Rate(bv, mv));
            w.WriteString(p + "_ntby_qty", Records.N(bq - sq));
            w.WriteString(p + "_ntby_qty_rate", Records.Rate(bq - sq, mq));
            w.WriteString(p + "_ntby_tr_pbmn", Records.N(bv - sv));
            w.WriteString(p + "_ntby_tr_pbmn_rate", Records.Rate(bv - sv, mv));
        }
    }

    private static void Pair(Utf8JsonWriter w, string name, string rateName, long value, long whole)
    {
        w.WriteString(name, Records.N(value));
        w.WriteString(rateName, Records.Rate(value, whole));
    }

    /// <summary><c>bstp_nmix_prpr</c>, <c>bstp_nmix_prdy_vrss</c> and <c>prdy_vrss_sign</c> of a market row.</summary>
    private static void WriteLevel(Utf8JsonWriter w, double level, double previous)
    {
        double change = Math.Round(level - previous, 2);
        w.WriteString("bstp_nmix_prpr", level.ToString("0.00", CultureInfo.InvariantCulture));
        w.WriteString("bstp_nmix_prdy_vrss", change.ToString("0.00", CultureInfo.InvariantCulture));
        w.WriteString("prdy_vrss_sign", change > 0 ? "2" : change < 0 ? "5" : "3");
    }

    private SimulatedIndex MarketIndex(StockMarket market)
    {
        Options.Universe.TryGetIndex(market == StockMarket.Kospi ? "0001" : "1001", out SimulatedIndex? index);
        return index!;
    }

    /// <summary>The (venue, market) of a market-totals call: J/NX/UN and K/Q; null when answered with an error.</summary>
    private async Task<(Venue Venue, SimulatedIndex Index)?> MarketOfAsync(HttpContext context, string venueField, string marketField)
    {
        IQueryCollection q = context.Request.Query;
        if (VenueOf(q[venueField]) is not { } venue)
        {
            await BadInputAsync(context, venueField).ConfigureAwait(false);
            return null;
        }

        StockMarket? market = ((string?)q[marketField])?.Trim() switch { "K" => StockMarket.Kospi, "Q" => StockMarket.Kosdaq, _ => null };
        if (market is null)
        {
            await BadInputAsync(context, marketField).ConfigureAwait(false);
            return null;
        }

        return (venue, MarketIndex(market.Value));
    }

    private IndexTotals IndexEnd(SimulatedIndex index, Venue venue, DateOnly date, int second) =>
        IndexTotals.Sum(index.Members.Select(c => _feed.VisibleEnd(_feed.Model.Stock(c), venue, date, second)));

    private IndexTotals MarketEndOfDay(SimulatedIndex index, Venue venue, DateOnly date) => _feed.IndexEndOfDay(index, venue, date);
}
