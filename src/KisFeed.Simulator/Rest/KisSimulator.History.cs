using System.Globalization;

using Microsoft.AspNetCore.Http;

namespace KisFeed.Simulator;

// 종목별 프로그램매매추이(체결) FHPPG04650101 (notes §14): the rows of the market feed, newest first, paged with tr_cont.
public sealed partial class KisSimulator
{
    private async Task HandleIntradayAsync(HttpContext context)
    {
        if (await BeginApiAsync(context, "FHPPG04650101", "FHPPG04650100").ConfigureAwait(false) is not { } call)
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

        // Paging [inferred: KIS documents tr_cont, not how this endpoint pages]: a reply holds at most PageSize rows,
        // newest first. When older rows of the window remain, the reply says tr_cont F (first page) or M (a later one) and
        // the continuation is kept per (app key, tr_id, query); the same request with the request header tr_cont: N gets
        // the next older page of the same window (fixed when the first page was served). The last page says D. A request
        // without tr_cont N starts over.
        DateTimeOffset now = call.Now;
        string contKey = call.AppKey + "\n" + call.TrId + "\n" + context.Request.QueryString.Value;
        HistoryContinuation? cont;
        lock (_continuations)
        {
            if (!(((string?)context.Request.Headers["tr_cont"])?.Trim() == "N" && _continuations.TryGetValue(contKey, out cont)))
            {
                cont = null;
                _continuations.Remove(contKey);
            }
        }

        // As far back as the window reaches, never before midnight KST (the rows carry only a time of day).
        DateTimeOffset oldest = cont?.Oldest ?? Max(now - Options.Rest.HistoryDepth, KoreaTime.DayStart(now));
        (DateOnly date, _, _) = MarketFeed.Split(now);
        List<(int Second, ProgramFields State)> all = _feed.Rows(stock, venue, now, oldest, Options.Rest.HistoryDetail);
        int take = Options.Rest.PageSize;
        if (call.Fault == RestFault.Partial)
        {
            take = Math.Max(1, Math.Min(take, all.Count) / 2);
        }

        int i = all.Count - 1;
        while (i >= 0 && cont is { Before: var before } && MarketFeed.SecondStart(date, all[i].Second) >= before)
        {
            i--;
        }

        var rows = new List<((int Second, ProgramFields State) Row, ProgramFields? Previous)>();
        for (; i >= 0 && rows.Count < take; i--)
        {
            rows.Add((all[i], i > 0 ? all[i - 1].State : null));
        }

        // A partial (truncated) answer offers no next page: the rows it left out are simply missing.
        bool more = call.Fault != RestFault.Partial && rows.Count > 0 && i >= 0;
        lock (_continuations)
        {
            if (more)
            {
                _continuations[contKey] = new HistoryContinuation(oldest, MarketFeed.SecondStart(date, rows[^1].Row.Second));
            }
            else
            {
                _continuations.Remove(contKey);
            }
        }

        context.Response.Headers["tr_cont"] = more ? (cont is null ? "F" : "M") : "D";
        long previousClose = _feed.Model.PreviousClose(stock, date);
        Log.HistoryServed(Logger, stock.Code, venue, rows.Count);
        await WriteJsonAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteStartArray("output");
            foreach (((int second, ProgramFields p), ProgramFields? prev) in rows)
            {
                long prevNet = prev?.NetQty ?? p.NetQty, prevNetValue = prev?.NetValue ?? p.NetValue;
                w.WriteStartObject();
                w.WriteString("bsop_hour", MarketFeed.SecondStart(date, second).ToOffset(KoreaTime.Offset).ToString("HHmmss", CultureInfo.InvariantCulture));
                PriceChange.Write(w, "stck_prpr", p.Price, previousClose);
                w.WriteString("acml_vol", Records.N(p.MarketVolume));
                w.WriteString("whol_smtn_seln_vol", Records.N(p.SellQty));
                w.WriteString("whol_smtn_shnu_vol", Records.N(p.BuyQty));
                w.WriteString("whol_smtn_ntby_qty", Records.N(p.NetQty));
                w.WriteString("whol_smtn_seln_tr_pbmn", Records.N(p.SellValue));
                w.WriteString("whol_smtn_shnu_tr_pbmn", Records.N(p.BuyValue));
                w.WriteString("whol_smtn_ntby_tr_pbmn", Records.N(p.NetValue));
                w.WriteString("whol_ntby_vol_icdc", Records.N(p.NetQty - prevNet));
                w.WriteString("whol_ntby_tr_pbmn_icdc", Records.N(p.NetValue - prevNetValue));
                w.WriteEndObject();
            }

            w.WriteEndArray();
            PriceChange.WriteOk(w);
        }).ConfigureAwait(false);
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
