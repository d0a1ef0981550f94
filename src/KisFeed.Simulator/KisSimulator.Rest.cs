using System.Globalization;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace KisFeed.Simulator;

/// <summary>
/// The REST side as KIS serves it (protocol notes §1.2, §14): <c>POST /oauth2/tokenP</c>, <c>POST /oauth2/revokeP</c>,
/// <c>GET …/quotations/program-trade-by-stock</c> and <c>…-daily</c>. The history rows come from the market model's
/// own state history, the same state the WebSocket records are written from, so a row at second T carries the values
/// of the last WebSocket record stamped T. Written from the notes, independently of the KisFeed client.
/// </summary>
public sealed partial class KisSimulator
{
    private const string ProgramTradePath = "/uapi/domestic-stock/v1/quotations/program-trade-by-stock";
    private const string ProgramTradeDailyPath = "/uapi/domestic-stock/v1/quotations/program-trade-by-stock-daily";

    private static readonly JsonWriterOptions RestJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Dictionary<string, TokenState> _tokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue<DateTimeOffset>> _restCallTimes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Continuation> _continuations = new(StringComparer.Ordinal);
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

    /// <summary>Program-trading history calls received (answered or refused).</summary>
    public long RestCalls => Interlocked.Read(ref _restCalls);

    /// <summary>History calls refused with <c>EGW00201</c> (over the rate limit).</summary>
    public long RestRateLimited => Interlocked.Read(ref _restRateLimited);

    /// <summary>
    /// The next <paramref name="count"/> history calls (any app key) fail, return half their rows, or are refused as
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

    /// <summary>The model's state history of (venue, code), oldest first (for tests: what the simulator holds).</summary>
    internal IReadOnlyList<HistoryPoint> MarketHistory(Venue venue, string code)
    {
        lock (_tickGate)
        {
            return _market.History(venue, code, Time.GetUtcNow());
        }
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
        app.MapGet(ProgramTradePath, context => HandleHistoryAsync(context, daily: false));
        app.MapGet(ProgramTradeDailyPath, context => HandleHistoryAsync(context, daily: true));
    }

    private async Task HandleTokenAsync(HttpContext context)
    {
        Interlocked.Increment(ref _tokenRequests);
        (Dictionary<string, string>? body, bool ok) = await ReadBodyAsync(context).ConfigureAwait(false);
        if (!ok || body is null || body.GetValueOrDefault("grant_type") != "client_credentials")
        {
            await OAuthErrorAsync(context, "EGW00101", "유효하지 않은 요청입니다.").ConfigureAwait(false);
            return;
        }

        if (await CheckCredentialAsync(context, body.GetValueOrDefault("appkey"), body.GetValueOrDefault("appsecret")).ConfigureAwait(false) is not { } appKey)
        {
            return;
        }

        SimulatorRestOptions o = Options.Rest;
        DateTimeOffset now = Time.GetUtcNow();
        TokenState state;
        bool refused = false, issued = false;
        lock (_tokens)
        {
            if (!_tokens.TryGetValue(appKey, out state!))
            {
                state = new TokenState();
                _tokens[appKey] = state;
            }

            if (o.TokenRequestInterval > TimeSpan.Zero && state.LastRequest is { } last && now - last < o.TokenRequestInterval)
            {
                refused = true;
            }
            else
            {
                state.LastRequest = now;
                if (state.Token is null || state.Revoked || now - state.IssuedAt >= o.TokenReuseWindow || now >= state.ExpiresAt)
                {
                    state.Token = NewToken();
                    state.IssuedAt = now;
                    state.ExpiresAt = now + o.TokenLifetime;
                    state.Revoked = false;
                    issued = true;
                }
            }
        }

        if (refused)
        {
            // Notes §1.2: exactly this body, HTTP 403 (KIS also sends a KakaoTalk notice per issuance).
            await OAuthErrorAsync(context, "EGW00133", "접근토큰 발급 잠시 후 다시 시도하세요(1분당 1회)").ConfigureAwait(false);
            return;
        }

        if (issued)
        {
            Interlocked.Increment(ref _tokensIssued);
        }

        string token;
        DateTimeOffset expires;
        lock (_tokens)
        {
            token = state.Token!;
            expires = state.ExpiresAt;
        }

        Log.TokenAnswered(Logger, Redact.Key(appKey), issued);
        await WriteJsonAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteString("access_token", token);
            w.WriteString("access_token_token_expired", KoreaTime.ToKst(expires).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
            w.WriteString("token_type", "Bearer");
            w.WriteNumber("expires_in", (long)Math.Max(0, (expires - now).TotalSeconds));
        }).ConfigureAwait(false);
    }

    private async Task HandleRevokeAsync(HttpContext context)
    {
        (Dictionary<string, string>? body, bool ok) = await ReadBodyAsync(context).ConfigureAwait(false);
        if (!ok || body is null)
        {
            await OAuthErrorAsync(context, "EGW00101", "유효하지 않은 요청입니다.").ConfigureAwait(false);
            return;
        }

        if (await CheckCredentialAsync(context, body.GetValueOrDefault("appkey"), body.GetValueOrDefault("appsecret")).ConfigureAwait(false) is not { } appKey)
        {
            return;
        }

        string? token = body.GetValueOrDefault("token");
        bool revoked = false;
        lock (_tokens)
        {
            if (token is not null && _tokens.TryGetValue(appKey, out TokenState? s) && s.Token == token && !s.Revoked)
            {
                s.Revoked = true;
                revoked = true;
            }
        }

        if (!revoked)
        {
            // [inferred] code and text: the gateway's "invalid token" answer.
            await OAuthErrorAsync(context, "EGW00121", "유효하지 않은 token 입니다.").ConfigureAwait(false);
            return;
        }

        // Fields code/message as in KIS's revoke metadata; the text is [inferred].
        await WriteJsonAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteNumber("code", 200);
            w.WriteString("message", "접근토큰 폐기에 성공하였습니다");
        }).ConfigureAwait(false);
    }

    private async Task HandleHistoryAsync(HttpContext context, bool daily)
    {
        Interlocked.Increment(ref _restCalls);
        IHeaderDictionary h = context.Request.Headers;
        string? appKey = h["appkey"];
        string? secret = h["appsecret"];
        SimulatorCredential? cred = Options.Credentials.FirstOrDefault(c => c.AppKey == appKey);
        if (cred is null)
        {
            await ApiErrorAsync(context, StatusCodes.Status500InternalServerError, "EGW00103", "유효하지 않은 AppKey입니다.").ConfigureAwait(false);
            return;
        }

        if (secret != cred.AppSecret)
        {
            await ApiErrorAsync(context, StatusCodes.Status500InternalServerError, "EGW00105", "유효하지 않은 AppSecret입니다.").ConfigureAwait(false);
            return;
        }

        RestFault fault = TakeRestFault();
        if (fault == RestFault.RateLimit || !TryTakeRestSlot(cred.AppKey))
        {
            // Seen: HTTP 500 with this body when calls exceed the per-second limit.
            Interlocked.Increment(ref _restRateLimited);
            await ApiErrorAsync(context, StatusCodes.Status500InternalServerError, "EGW00201", "초당 거래건수를 초과하였습니다.").ConfigureAwait(false);
            return;
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
            return;
        }

        if (ts == TokenState.Expired)
        {
            await ApiErrorAsync(context, StatusCodes.Status500InternalServerError, "EGW00123", "기간이 만료된 token 입니다.").ConfigureAwait(false);
            return;
        }

        string? trId = h["tr_id"];
        bool trOk = daily ? trId is "FHPPG04650201" or "FHPPG04650200" : trId is "FHPPG04650101" or "FHPPG04650100";
        if (!trOk)
        {
            // [inferred] code and text for an unknown tr_id.
            await ApiErrorAsync(context, StatusCodes.Status500InternalServerError, "EGW00205", "유효하지 않은 tr_id 입니다.").ConfigureAwait(false);
            return;
        }

        if (fault == RestFault.Fail)
        {
            context.Response.StatusCode = StatusCodes.Status502BadGateway;
            context.Response.ContentType = "text/html";
            await context.Response.WriteAsync("<html><body>502 Bad Gateway</body></html>", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        IQueryCollection q = context.Request.Query;
        Venue? venue = ((string?)q["FID_COND_MRKT_DIV_CODE"])?.Trim() switch
        {
            "J" => Venue.Krx,
            "NX" => Venue.Nxt,
            "UN" => Venue.Unified,
            _ => null,
        };
        string? code = ((string?)q["FID_INPUT_ISCD"])?.Trim();
        if (venue is null)
        {
            await ApiErrorAsync(context, StatusCodes.Status200OK, "OPSQ2001", "ERROR INPUT FIELD [FID_COND_MRKT_DIV_CODE]").ConfigureAwait(false);
            return;
        }

        if (code is null || !RestStockCode().IsMatch(code))
        {
            await ApiErrorAsync(context, StatusCodes.Status200OK, "OPSQ2001", "ERROR INPUT FIELD [FID_INPUT_ISCD]").ConfigureAwait(false);
            return;
        }

        context.Response.Headers["tr_id"] = trId;
        if (daily)
        {
            context.Response.Headers["tr_cont"] = "D"; // one page of DailyPageSize days [inferred]
            string? dateText = ((string?)q["FID_INPUT_DATE_1"])?.Trim();
            DateOnly? until = null;
            if (!string.IsNullOrEmpty(dateText))
            {
                if (!DateOnly.TryParseExact(dateText, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out DateOnly d))
                {
                    await ApiErrorAsync(context, StatusCodes.Status200OK, "OPSQ2001", "ERROR INPUT FIELD [FID_INPUT_DATE_1]").ConfigureAwait(false);
                    return;
                }

                until = d;
            }

            IReadOnlyList<DailyPoint> days;
            lock (_tickGate)
            {
                days = _market.Daily(venue.Value, code, now, until, Options.Rest.DailyPageSize);
            }

            if (fault == RestFault.Partial)
            {
                days = [.. days.Take((days.Count + 1) / 2)];
            }

            await WriteJsonAsync(context, StatusCodes.Status200OK, w => WriteDaily(w, days)).ConfigureAwait(false);
            return;
        }

        IReadOnlyList<HistoryPoint> points;
        lock (_tickGate)
        {
            points = _market.History(venue.Value, code, now);
        }

        // Paging [inferred: KIS documents tr_cont, not how this endpoint pages]: a reply holds at most PageSize rows,
        // newest first. When older rows of the window remain, the reply says tr_cont F (first page) or M (a later one) and
        // the continuation is kept per (app key, tr_id, query); the same request with the request header tr_cont: N gets
        // the next older page of the same window (fixed when the first page was served). The last page says D. A request
        // without tr_cont N starts over.
        string contKey = cred.AppKey + "\n" + trId + "\n" + context.Request.QueryString.Value;
        Continuation? cont;
        lock (_continuations)
        {
            if (!(((string?)h["tr_cont"])?.Trim() == "N" && _continuations.TryGetValue(contKey, out cont)))
            {
                cont = null;
                _continuations.Remove(contKey);
            }
        }

        // As far back as the window reaches, never before midnight KST (the intraday call is about today: its rows carry
        // only a time of day), no more than one page.
        DateTimeOffset oldest = cont?.Oldest ?? Max(now - Options.Rest.HistoryDepth, KoreaTime.DayStart(now));
        int take = Options.Rest.PageSize;
        if (fault == RestFault.Partial)
        {
            take = Math.Max(1, Math.Min(take, points.Count) / 2);
        }

        var rows = new List<(HistoryPoint Point, HistoryPoint? Previous)>();
        int i = points.Count - 1;
        while (i >= 0 && cont is { Before: var before } && points[i].Second >= before)
        {
            i--;
        }

        for (; i >= 0 && rows.Count < take && points[i].Second >= oldest; i--)
        {
            rows.Add((points[i], i > 0 ? points[i - 1] : null));
        }

        // A partial (truncated) answer offers no next page: the rows it left out are simply missing.
        bool more = fault != RestFault.Partial && rows.Count > 0 && i >= 0 && points[i].Second >= oldest;
        lock (_continuations)
        {
            if (more)
            {
                _continuations[contKey] = new Continuation(oldest, rows[^1].Point.Second);
            }
            else
            {
                _continuations.Remove(contKey);
            }
        }

        context.Response.Headers["tr_cont"] = more ? (cont is null ? "F" : "M") : "D";

        long previousClose;
        lock (_tickGate)
        {
            previousClose = _market.PreviousClose(code, now);
        }

        Log.HistoryServed(Logger, code, venue.Value, rows.Count);
        await WriteJsonAsync(context, StatusCodes.Status200OK, w => WriteIntraday(w, rows, previousClose)).ConfigureAwait(false);
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    /// <summary>Where the next page of a paged history request starts: rows strictly before <paramref name="Before"/>, not before <paramref name="Oldest"/>.</summary>
    private sealed record Continuation(DateTimeOffset Oldest, DateTimeOffset Before);

    private static void WriteIntraday(Utf8JsonWriter w, List<(HistoryPoint Point, HistoryPoint? Previous)> rows, long previousClose)
    {
        w.WriteStartArray("output");
        foreach ((HistoryPoint p, HistoryPoint? prev) in rows)
        {
            long net = p.BuyQty - p.SellQty, netValue = p.BuyValue - p.SellValue;
            long prevNet = prev is { } a ? a.BuyQty - a.SellQty : net;
            long prevNetValue = prev is { } b ? b.BuyValue - b.SellValue : netValue;
            w.WriteStartObject();
            w.WriteString("bsop_hour", KoreaTime.ToKst(p.Second).ToString("HHmmss", CultureInfo.InvariantCulture));
            WritePrice(w, "stck_prpr", p.Price, previousClose);
            w.WriteString("acml_vol", N(p.MarketVolume));
            w.WriteString("whol_smtn_seln_vol", N(p.SellQty));
            w.WriteString("whol_smtn_shnu_vol", N(p.BuyQty));
            w.WriteString("whol_smtn_ntby_qty", N(net));
            w.WriteString("whol_smtn_seln_tr_pbmn", N(p.SellValue));
            w.WriteString("whol_smtn_shnu_tr_pbmn", N(p.BuyValue));
            w.WriteString("whol_smtn_ntby_tr_pbmn", N(netValue));
            w.WriteString("whol_ntby_vol_icdc", N(net - prevNet));
            w.WriteString("whol_ntby_tr_pbmn_icdc", N(netValue - prevNetValue));
            w.WriteEndObject();
        }

        w.WriteEndArray();
        WriteOk(w);
    }

    private static void WriteDaily(Utf8JsonWriter w, IReadOnlyList<DailyPoint> days)
    {
        w.WriteStartArray("output");
        for (int i = 0; i < days.Count; i++)
        {
            DailyPoint d = days[i];
            DailyPoint? older = i + 1 < days.Count ? days[i + 1] : null;
            long net = d.BuyQty - d.SellQty, netValue = d.BuyValue - d.SellValue;
            long olderNet = older is { } o ? o.BuyQty - o.SellQty : net;
            long olderNetValue = older is { } o2 ? o2.BuyValue - o2.SellValue : netValue;
            w.WriteStartObject();
            w.WriteString("stck_bsop_date", d.Date.ToString("yyyyMMdd", CultureInfo.InvariantCulture));
            WritePrice(w, "stck_clpr", d.Close, d.PreviousClose);
            w.WriteString("acml_vol", N(d.MarketVolume));
            w.WriteString("acml_tr_pbmn", N(d.MarketVolume * d.Close));
            w.WriteString("whol_smtn_seln_vol", N(d.SellQty));
            w.WriteString("whol_smtn_shnu_vol", N(d.BuyQty));
            w.WriteString("whol_smtn_ntby_qty", N(net));
            w.WriteString("whol_smtn_seln_tr_pbmn", N(d.SellValue));
            w.WriteString("whol_smtn_shnu_tr_pbmn", N(d.BuyValue));
            w.WriteString("whol_smtn_ntby_tr_pbmn", N(netValue));
            w.WriteString("whol_ntby_vol_icdc", N(net - olderNet));
            w.WriteString("whol_ntby_tr_pbmn_icdc", N(netValue - olderNetValue));
            w.WriteEndObject();
        }

        w.WriteEndArray();
        WriteOk(w);
    }

    /// <summary>Price, change against the previous close, its sign (1 상한 2 상승 3 보합 4 하한 5 하락) and change %.</summary>
    private static void WritePrice(Utf8JsonWriter w, string name, long price, long previousClose)
    {
        long change = price - previousClose;
        double pct = previousClose == 0 ? 0 : Math.Round(change * 100.0 / previousClose, 2, MidpointRounding.AwayFromZero);
        w.WriteString(name, N(price));
        w.WriteString("prdy_vrss", N(change));
        w.WriteString("prdy_vrss_sign", change > 0 ? "2" : change < 0 ? "5" : "3");
        w.WriteString("prdy_ctrt", pct.ToString("0.00", CultureInfo.InvariantCulture));
    }

    private static void WriteOk(Utf8JsonWriter w)
    {
        w.WriteString("rt_cd", "0");
        w.WriteString("msg_cd", "MCA00000");
        w.WriteString("msg1", "정상처리 되었습니다.");
    }

    private static string N(long v) => v.ToString(CultureInfo.InvariantCulture);

    private bool TryTakeRestSlot(string appKey) => TryTakeSlot(_restCallTimes, appKey, Options.Rest.CallsPerSecond);

    private async Task<string?> CheckCredentialAsync(HttpContext context, string? appKey, string? secret)
    {
        if (string.IsNullOrEmpty(appKey))
        {
            await OAuthErrorAsync(context, "EGW00102", "AppKey는 필수입니다.").ConfigureAwait(false);
            return null;
        }

        SimulatorCredential? cred = Options.Credentials.FirstOrDefault(c => c.AppKey == appKey);
        if (cred is null)
        {
            await OAuthErrorAsync(context, "EGW00103", "유효하지 않은 AppKey입니다.").ConfigureAwait(false);
            return null;
        }

        if (string.IsNullOrEmpty(secret))
        {
            await OAuthErrorAsync(context, "EGW00104", "AppSecret은 필수입니다.").ConfigureAwait(false);
            return null;
        }

        if (secret != cred.AppSecret)
        {
            await OAuthErrorAsync(context, "EGW00105", "유효하지 않은 AppSecret입니다.").ConfigureAwait(false);
            return null;
        }

        return cred.AppKey;
    }

    private static async Task<(Dictionary<string, string>? Body, bool Ok)> ReadBodyAsync(HttpContext context)
    {
        try
        {
            using JsonDocument doc = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted).ConfigureAwait(false);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, false);
            }

            var d = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (JsonProperty p in doc.RootElement.EnumerateObject())
            {
                if (p.Value.ValueKind == JsonValueKind.String)
                {
                    d[p.Name] = p.Value.GetString()!;
                }
            }

            return (d, true);
        }
        catch (JsonException)
        {
            return (null, false);
        }
    }

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
    private Task ApiErrorAsync(HttpContext context, int status, string code, string message)
    {
        Log.RestRefused(Logger, context.Request.Path.Value ?? string.Empty, code);
        return WriteJsonAsync(context, status, w =>
        {
            w.WriteString("rt_cd", "1");
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

    /// <summary>A JWT-shaped token like KIS's (header.payload.signature, base64url), random per issuance.</summary>
    private string NewToken()
    {
        static string B64(byte[] b) => Convert.ToBase64String(b).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        string payload = "{\"sub\":\"simulator\",\"iss\":\"kisfeed-simulator\",\"jti\":\"" + Guid.NewGuid().ToString("N") + "\",\"iat\":" +
            Time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) + "}";
        return B64("{\"typ\":\"JWT\",\"alg\":\"HS512\"}"u8.ToArray()) + "." + B64(System.Text.Encoding.UTF8.GetBytes(payload)) + "." + B64(RandomNumberGenerator.GetBytes(64));
    }

    [GeneratedRegex("^[0-9A-Z][0-9]{5}$")]
    private static partial Regex RestStockCode();

    private sealed class TokenState
    {
        public static readonly TokenState Expired = new();

        public string? Token { get; set; }

        public DateTimeOffset IssuedAt { get; set; }

        public DateTimeOffset ExpiresAt { get; set; }

        public DateTimeOffset? LastRequest { get; set; }

        public bool Revoked { get; set; }
    }
}
