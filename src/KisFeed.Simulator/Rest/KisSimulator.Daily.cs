using System.Globalization;

using Microsoft.AspNetCore.Http;

namespace KisFeed.Simulator;

// 종목별 프로그램매매추이(일별) FHPPG04650201 (notes §14): one row per KRX trading day, going back from FID_INPUT_DATE_1.
public sealed partial class KisSimulator
{
    private async Task HandleDailyAsync(HttpContext context)
    {
        if (await BeginApiAsync(context, "FHPPG04650201", "FHPPG04650200").ConfigureAwait(false) is not { } call)
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

        if (!TryDate(q["FID_INPUT_DATE_1"], out DateOnly? until))
        {
            await BadInputAsync(context, "FID_INPUT_DATE_1").ConfigureAwait(false);
            return;
        }

        context.Response.Headers["tr_cont"] = "D"; // one page of DailyPageSize days [inferred]
        List<DailyRow> days = DailyRows(stock, venue, call.Now, until, Options.Rest.DailyPageSize + 1);
        int shown = call.Fault == RestFault.Partial ? (Math.Min(days.Count, Options.Rest.DailyPageSize) + 1) / 2 : Math.Min(days.Count, Options.Rest.DailyPageSize);
        bool netAsIncrease = Options.Rest.DailyIncreaseEqualsNet;
        await WriteJsonAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartArray("output");
            for (int i = 0; i < shown; i++)
            {
                DailyRow d = days[i];
                ProgramFields s = d.State;
                // The increase against the previous trading day that has a row for this venue (the NXT's first day has
                // none: its increase is its net); with DailyIncreaseEqualsNet, the net itself, as KIS sometimes sends.
                ProgramFields? older = i + 1 < days.Count ? days[i + 1].State : null;
                long volIncrease = netAsIncrease || older is null ? s.NetQty : s.NetQty - older.Value.NetQty;
                long valueIncrease = netAsIncrease || older is null ? s.NetValue : s.NetValue - older.Value.NetValue;
                w.WriteStartObject();
                w.WriteString("stck_bsop_date", d.Date.ToString("yyyyMMdd", CultureInfo.InvariantCulture));
                PriceChange.Write(w, "stck_clpr", d.Close, d.PreviousClose);
                w.WriteString("acml_vol", Records.N(s.MarketVolume));
                w.WriteString("acml_tr_pbmn", Records.N(s.MarketValue));
                w.WriteString("whol_smtn_seln_vol", Records.N(s.SellQty));
                w.WriteString("whol_smtn_shnu_vol", Records.N(s.BuyQty));
                w.WriteString("whol_smtn_ntby_qty", Records.N(s.NetQty));
                w.WriteString("whol_smtn_seln_tr_pbmn", Records.N(s.SellValue));
                w.WriteString("whol_smtn_shnu_tr_pbmn", Records.N(s.BuyValue));
                w.WriteString("whol_smtn_ntby_tr_pbmn", Records.N(s.NetValue));
                w.WriteString("whol_ntby_vol_icdc", Records.N(volIncrease));
                w.WriteString("whol_ntby_tr_pbmn_icdc2", Records.N(valueIncrease));
                w.WriteEndObject();
            }

            w.WriteEndArray();
            PriceChange.WriteOk(w);
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// Daily rows of (venue, stock), newest first, from <paramref name="until"/> (or today) back, at most
    /// <paramref name="count"/>: KRX trading days only (no weekends, no KRX holidays), NXT only from 2025-03-04 (unified
    /// before that = KRX). Today's row is the day so far (there is one when the venue trades today under the simulator's
    /// hours, which for the always-open demo is every day); past days are the model's end of day under real hours.
    /// </summary>
    internal List<DailyRow> DailyRows(SimulatedStock stock, Venue venue, DateTimeOffset now, DateOnly? until, int count)
    {
        (DateOnly today, _, _) = MarketFeed.Split(now);
        DateOnly day = until is { } u && u < today ? u : today;
        var rows = new List<DailyRow>(count);
        DaySchedule todaySchedule = _feed.Schedule(today);
        for (int guard = 0; rows.Count < count && guard < (count * 3) + 30; guard++, day = day.AddDays(-1))
        {
            if (day == today)
            {
                if (todaySchedule.FirstOpen(venue) >= 0)
                {
                    ProgramFields s = _feed.VisibleAt(stock, venue, now);
                    rows.Add(new DailyRow(day, s, s.Price, _feed.Model.PreviousClose(stock, day)));
                }

                continue;
            }

            if (!(venue == Venue.Nxt ? KrxCalendar.IsNxtTradingDay(day) : KrxCalendar.IsTradingDay(day)))
            {
                continue;
            }

            rows.Add(new DailyRow(day, _feed.Model.EndOfDay(stock, venue, day), _feed.Model.Close(stock, day), _feed.Model.PreviousClose(stock, day)));
        }

        return rows;
    }

    /// <summary>A <c>yyyyMMdd</c> date (or KIS's 10-digit <c>00yyyyMMdd</c>); blank = none.</summary>
    private static bool TryDate(string? text, out DateOnly? date)
    {
        date = null;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        if (text.Length == 10 && text.StartsWith("00", StringComparison.Ordinal))
        {
            text = text[2..];
        }

        if (!DateOnly.TryParseExact(text, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out DateOnly d))
        {
            return false;
        }

        date = d;
        return true;
    }
}
