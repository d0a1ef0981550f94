using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace KisFeed.Simulator;

// The REST side as KIS serves it (protocol notes §1.2, §14, §15): tokenP / revokeP, the per-stock program-trading
// history (intraday and daily), inquire-price, the market totals (comp-program-trade-today / -daily,
// investor-program-trade-today) and volume-rank. Every value comes from the same market feed the WebSocket frames are
// written from. This file holds the routes, the checks every API call goes through and the error bodies.
public sealed partial class KisSimulator
{
    private const string Quotations = "/uapi/domestic-stock/v1/quotations/";

    private static readonly JsonWriterOptions RestJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Dictionary<string, TokenState> _tokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue<DateTimeOffset>> _restCallTimes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HistoryContinuation> _continuations = new(StringComparer.Ordinal);
    private readonly Lock _restFaultGate = new();
    private RestFault _restFault;
    private int _restFaultsLeft;
    private long _tokenRequests;
    private long _tokensIssued;
    private long _restCalls;
    private long _restRateLimited;

    /// <summary><c>POST /oauth2/tokenP</c> requests received (answered or refused).</summary>
    public long TokenRequests => Interlocked.Read(ref _tokenRequests);

    /// <summary>New access tokens issued (a request answered with the existing token does not count).</summary>
    public long TokensIssued => Interlocked.Read(ref _tokensIssued);

    /// <summary>Quotation calls received (history, price, market totals, ranking; answered or refused).</summary>
    public long RestCalls => Interlocked.Read(ref _restCalls);

    /// <summary>Quotation calls refused with <c>EGW00201</c> (over the rate limit).</summary>
    public long RestRateLimited => Interlocked.Read(ref _restRateLimited);

    /// <summary>
    /// The next <paramref name="count"/> quotation calls (any app key) fail, return half their rows, or are refused as
    /// over the rate limit. <see cref="RestFault.None"/> clears a pending fault.
    /// </summary>
    public void InjectRestFault(RestFault fault, int count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        lock (_restFaultGate)
        {
            _restFault = fault;
            _restFaultsLeft = fault == RestFault.None ? 0 : count;
        }
    }

    /// <summary>
    /// Every access token issued so far answers <c>EGW00123</c> (expired) from now on, as after its lifetime; a token
    /// request then issues a new one (subject to the one-a-minute limit).
    /// </summary>
    public void ExpireAccessTokens()
    {
        DateTimeOffset now = Time.GetUtcNow();
        lock (_tokens)
        {
            foreach (TokenState s in _tokens.Values.Where(s => s.Token is not null && s.ExpiresAt > now))
            {
                s.ExpiresAt = now;
            }
        }
    }

    /// <summary>
    /// The rows the intraday history call would serve for (venue, code) now, over its whole window (every page),
    /// oldest first (for tests: what the simulator holds).
    /// </summary>
    internal IReadOnlyList<HistoryPoint> MarketHistory(Venue venue, string code)
    {
        SimulatedStock stock = _feed.Model.Stock(code);
        _feed.Touch(code);
        DateTimeOffset now = Time.GetUtcNow();
        return [.. _feed.Rows(stock, venue, now, now - Options.Rest.HistoryDepth, Options.Rest.HistoryDetail)
            .Select(r => HistoryPoint.Of(MarketFeed.SecondStart(MarketFeed.Split(now).Date, r.Second), r.State))];
    }

    private RestFault TakeRestFault()
    {
        lock (_restFaultGate)
        {
            if (_restFaultsLeft <= 0)
            {
                return RestFault.None;
            }

            _restFaultsLeft--;
            return _restFault;
        }
    }

    private void MapRest(IEndpointRouteBuilder app)
    {
        app.MapPost("/oauth2/tokenP", HandleTokenAsync);
        app.MapPost("/oauth2/revokeP", HandleRevokeAsync);
        app.MapGet(Quotations + "program-trade-by-stock", HandleIntradayAsync);
        app.MapGet(Quotations + "program-trade-by-stock-daily", HandleDailyAsync);
        app.MapGet(Quotations + "inquire-price", HandlePriceAsync);
        app.MapGet(Quotations + "comp-program-trade-today", HandleMarketTodayAsync);
        app.MapGet(Quotations + "comp-program-trade-daily", HandleMarketDailyAsync);
        app.MapGet(Quotations + "investor-program-trade-today", HandleInvestorsAsync);
        app.MapGet(Quotations + "volume-rank", HandleVolumeRankAsync);
    }

    /// <summary>
    /// The checks of every quotation call, in KIS's order as far as it shows: app key and secret, the per-key rate,
    /// the token, the tr_id (the current one of the official samples, or the old one public code still sends). Null
    /// when the call was answered with an error already.
    /// </summary>
    private async Task<ApiCall?> BeginApiAsync(HttpContext context, params string[] trIds)
    {
        Interlocked.Increment(ref _restCalls);
        IHeaderDictionary h = context.Request.Headers;
        string? appKey = h["appkey"];
        SimulatorCredential? cred = Options.Credentials.FirstOrDefault(c => c.AppKey == appKey);
        if (cred is null)
        {
            await ApiErrorAsync(context, StatusCodes.Status500InternalServerError, "EGW00103", "유효하지 않은 AppKey입니다.").ConfigureAwait(false);
            return null;
        }

        if ((string?)h["appsecret"] != cred.AppSecret)
        {
            await ApiErrorAsync(context, StatusCodes.Status500InternalServerError, "EGW00105", "유효하지 않은 AppSecret입니다.").ConfigureAwait(false);
            return null;
        }

        RestFault fault = TakeRestFault();
        if (fault == RestFault.RateLimit || !TryTakeSlot(_restCallTimes, cred.AppKey, Options.Rest.CallsPerSecond))
        {
            // Seen: HTTP 500 with this body when calls exceed the per-second limit.
            Interlocked.Increment(ref _restRateLimited);
            await ApiErrorAsync(context, StatusCodes.Status500InternalServerError, "EGW00201", "초당 거래건수를 초과하였습니다.").ConfigureAwait(false);
            return null;
        }

        string? auth = h.Authorization;
        string? token = auth is not null && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? auth[7..].Trim() : null;
        DateTimeOffset now = Time.GetUtcNow();
        TokenState? ts;
        lock (_tokens)
        {
            _tokens.TryGetValue(cred.AppKey, out ts);
            if (ts is not null && (token is null || ts.Token != token || ts.Revoked))
            {
                ts = null;
            }
            else if (ts is not null && now >= ts.ExpiresAt)
            {
                ts = TokenState.Expired;
            }
        }

        if (ts is null)
        {
            await ApiErrorAsync(context, StatusCodes.Status500InternalServerError, "EGW00121", "유효하지 않은 token 입니다.").ConfigureAwait(false);
            return null;
        }

        if (ts == TokenState.Expired)
        {
            await ApiErrorAsync(context, StatusCodes.Status500InternalServerError, "EGW00123", "기간이 만료된 token 입니다.").ConfigureAwait(false);
            return null;
        }

        string? trId = h["tr_id"];
        if (trId is null || !trIds.Contains(trId))
        {
            // [inferred] code and text for an unknown tr_id.
            await ApiErrorAsync(context, StatusCodes.Status500InternalServerError, "EGW00205", "유효하지 않은 tr_id 입니다.").ConfigureAwait(false);
            return null;
        }

        if (fault == RestFault.Fail)
        {
            context.Response.StatusCode = StatusCodes.Status502BadGateway;
            context.Response.ContentType = "text/html";
            await context.Response.WriteAsync("<html><body>502 Bad Gateway</body></html>", context.RequestAborted).ConfigureAwait(false);
            return null;
        }

        context.Response.Headers["tr_id"] = trId;
        return new ApiCall(cred.AppKey, trId, fault, now);
    }

    /// <summary>The venue of <c>FID_COND_MRKT_DIV_CODE</c> (or another parameter): J KRX, NX NXT, UN unified.</summary>
    private static Venue? VenueOf(string? code) => code?.Trim() switch
    {
        "J" => Venue.Krx,
        "NX" => Venue.Nxt,
        "UN" => Venue.Unified,
        _ => null,
    };

    /// <summary>
    /// A stock code of a quotation call: well-formed and listed. Otherwise an error body and null: <c>OPSQ2001</c> for a
    /// malformed one, and for a well-formed code the simulator does not list <c>rt_cd 7, KIOK0560 조회할 자료가 없습니다.</c>
    /// ("no data to show") [inferred: KIS documents neither].
    /// </summary>
    private async Task<SimulatedStock?> StockOfAsync(HttpContext context, string? code)
    {
        code = code?.Trim();
        if (code is null || !RestStockCode().IsMatch(code))
        {
            await ApiErrorAsync(context, StatusCodes.Status200OK, "OPSQ2001", "ERROR INPUT FIELD [FID_INPUT_ISCD]").ConfigureAwait(false);
            return null;
        }

        if (!Options.Universe.TryGet(code, out SimulatedStock stock))
        {
            Log.UnknownRestCode(Logger, context.Request.Path.Value ?? string.Empty, code);
            await ApiErrorAsync(context, StatusCodes.Status200OK, "KIOK0560", "조회할 자료가 없습니다.", "7").ConfigureAwait(false);
            return null;
        }

        _feed.Touch(stock.Code);
        return stock;
    }

    private Task BadInputAsync(HttpContext context, string field) =>
        ApiErrorAsync(context, StatusCodes.Status200OK, "OPSQ2001", $"ERROR INPUT FIELD [{field}]");

    /// <summary>OAuth errors: HTTP 403 <c>{"error_description":…,"error_code":"EGW…"}</c> (notes §1.2).</summary>
    private Task OAuthErrorAsync(HttpContext context, string code, string description)
    {
        Log.RestRefused(Logger, context.Request.Path.Value ?? string.Empty, code);
        return WriteJsonAsync(context, StatusCodes.Status403Forbidden, w =>
        {
            w.WriteString("error_description", description);
            w.WriteString("error_code", code);
        });
    }

    /// <summary>API errors: <c>{"rt_cd":"1","msg_cd":…,"msg1":…}</c> (EGW00201 seen with HTTP 500).</summary>
    private Task ApiErrorAsync(HttpContext context, int status, string code, string message, string rtCd = "1")
    {
        Log.RestRefused(Logger, context.Request.Path.Value ?? string.Empty, code);
        return WriteJsonAsync(context, status, w =>
        {
            w.WriteString("rt_cd", rtCd);
            w.WriteString("msg_cd", code);
            w.WriteString("msg1", message);
        });
    }

    private static async Task WriteJsonAsync(HttpContext context, int status, Action<Utf8JsonWriter> write)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=UTF-8";
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, RestJson))
        {
            w.WriteStartObject();
            write(w);
            w.WriteEndObject();
        }

        await context.Response.Body.WriteAsync(ms.ToArray(), context.RequestAborted).ConfigureAwait(false);
    }

    [GeneratedRegex("^[0-9A-Z][0-9]{5}$")]
    private static partial Regex RestStockCode();
}
