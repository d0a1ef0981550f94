using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

using KisFeed.Rest;

using Microsoft.Extensions.Logging;

using Polly;
using Polly.Retry;

namespace KisFeed;

/// <summary>
/// The KIS REST calls KisFeed needs: the access token (<c>POST /oauth2/tokenP</c>) and the program-trading history of a
/// stock, intraday (<c>program-trade-by-stock</c>, FHPPG04650101) and daily (<c>program-trade-by-stock-daily</c>,
/// FHPPG04650201), a stock's current price (<c>inquire-price</c>, FHKST01010100), and a market's program-trading
/// totals by time (<c>comp-program-trade-today</c>, FHPPG04600101), by day (<c>comp-program-trade-daily</c>,
/// FHPPG04600001) and by investor type today (<c>investor-program-trade-today</c>, HHPPG046600C1).
/// </summary>
/// <remarks>
/// <para>
/// The access token is cached per (REST endpoint, app key) and shared by every client in the process, and kept across
/// processes in the user's cache directory (owner-only file, the app secret never written; see
/// <see cref="KisRestOptions.TokenCacheDirectory"/>). It is renewed <see cref="KisRestOptions.RenewBeforeExpiry"/> before it
/// expires, and at once when KIS answers <c>EGW00123</c> (expired) or <c>EGW00121</c> (invalid).
/// </para>
/// <para>
/// Every call of every client with the same app key goes through ONE limiter (<see cref="KisRestOptions.RequestsPerSecond"/>),
/// and a call refused with <c>EGW00201</c> is retried with exponential backoff and jitter.
/// </para>
/// <para>
/// HTTP: pass an <see cref="HttpClient"/> (e.g. from <c>IHttpClientFactory</c>; it is not disposed here), or set
/// <see cref="KisOptions.HttpHandler"/>; otherwise the client makes its own. Thread-safe.
/// </para>
/// </remarks>
public sealed class KisRestClient : IDisposable
{
    private const string IntradayPath = "/uapi/domestic-stock/v1/quotations/program-trade-by-stock";
    private const string DailyPath = "/uapi/domestic-stock/v1/quotations/program-trade-by-stock-daily";
    private const string IntradayTrId = "FHPPG04650101";
    private const string DailyTrId = "FHPPG04650201";
    private const string PricePath = "/uapi/domestic-stock/v1/quotations/inquire-price";
    private const string PriceTrId = "FHKST01010100";
    private const string MarketTodayPath = "/uapi/domestic-stock/v1/quotations/comp-program-trade-today";
    private const string MarketTodayTrId = "FHPPG04600101";
    private const string MarketDailyPath = "/uapi/domestic-stock/v1/quotations/comp-program-trade-daily";
    private const string MarketDailyTrId = "FHPPG04600001";
    private const string InvestorsPath = "/uapi/domestic-stock/v1/quotations/investor-program-trade-today";
    private const string InvestorsTrId = "HHPPG046600C1";

    private readonly KisOptions _options;
    private readonly KisRestOptions _rest;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly RestRateLimiter _limiter;
    private readonly AccessTokenCache _tokens;
    private readonly ResiliencePipeline _retry;
    private readonly ILogger _logger;
    private readonly KisMetrics _metrics;
    private readonly RestShared _shared;
    private readonly string _authority;
    private long _calls;
    private long _retries;

    /// <summary>Creates a client for the credentials and endpoint of <paramref name="options"/>.</summary>
    /// <param name="options">App key and secret (both required), <see cref="KisOptions.RestUri"/>, clock, logging, handler.</param>
    /// <param name="restOptions">REST settings; null = <see cref="KisRestOptions.Default"/>.</param>
    /// <param name="httpClient">An HTTP client to use (not disposed by this client); null = one of our own.</param>
    public KisRestClient(KisOptions options, KisRestOptions? restOptions = null, HttpClient? httpClient = null)
        : this(options, restOptions, httpClient, RestShared.Default)
    {
    }

    internal KisRestClient(KisOptions options, KisRestOptions? restOptions, HttpClient? httpClient, RestShared shared)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(shared);
        options.Validate();
        if (string.IsNullOrEmpty(options.AppKey) || string.IsNullOrEmpty(options.AppSecret))
        {
            throw new ArgumentException(
                "The KIS REST API needs both the app key and the app secret (KIS_APPKEY and KIS_APPSECRET); an approval key alone is not enough.",
                nameof(options));
        }

        _rest = restOptions ?? KisRestOptions.Default;
        _rest.Validate();
        _options = options;
        _logger = options.LoggerFactory.CreateLogger<KisRestClient>();
        _metrics = KisMetrics.For(options.MeterFactory);
        if (httpClient is not null)
        {
            _http = httpClient;
        }
        else
        {
            _http = options.HttpHandler is null ? new HttpClient() : new HttpClient(options.HttpHandler, disposeHandler: false);
            _http.Timeout = _rest.Timeout;
            _ownsHttp = true;
        }

        string authority = options.RestUri.GetLeftPart(UriPartial.Authority);
        _shared = shared;
        _authority = authority;
        string? file = _rest.PersistToken
            ? Path.Combine(_rest.TokenCacheDirectory ?? AccessTokenCache.DefaultDirectory(), AccessTokenCache.FileName(authority, options.AppKey))
            : null;
        _tokens = shared.Tokens(authority, options.AppKey, file);
        _limiter = shared.Limiter(options.AppKey, options.TimeProvider, _rest.RequestsPerSecond);
        var builder = new ResiliencePipelineBuilder { TimeProvider = options.TimeProvider };
        if (_rest.RateLimitRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<KisApiException>(e => e.ErrorCode == RestErrors.RateLimit),
                MaxRetryAttempts = _rest.RateLimitRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _rest.RateLimitBackoff,
                OnRetry = args =>
                {
                    Interlocked.Increment(ref _retries);
                    RestLog.RateLimited(_logger, args.AttemptNumber + 1, args.RetryDelay);
                    return default;
                },
            });
        }

        _retry = builder.Build();
    }

    /// <summary>HTTP requests this client sent to the history endpoints (retries included).</summary>
    public long CallsMade => Interlocked.Read(ref _calls);

    /// <summary>Calls retried after <c>EGW00201</c>.</summary>
    public long RateLimitRetries => Interlocked.Read(ref _retries);

    /// <summary>Token requests (<c>tokenP</c>) this process sent for the app key (all clients sharing it).</summary>
    public long TokenRequests => _tokens.Requested;

    /// <summary>The shared limiter's rate, calls per second (the first client of the app key set it).</summary>
    public double RequestsPerSecond => _limiter.RequestsPerSecond;

    /// <summary>
    /// The program-trading rows of the day so far for <paramref name="code"/> on <paramref name="venue"/>, oldest first.
    /// How far back they reach is KIS's choice (undocumented, possibly shallow): look at the first row's time. When KIS
    /// pages the answer (<c>tr_cont</c> <c>F</c>/<c>M</c>), the next pages are fetched, up to
    /// <see cref="KisRestOptions.MaxHistoryPages"/>, each a call through the app key's limiter.
    /// </summary>
    public async Task<IReadOnlyList<ProgramTradeHistoryRow>> HistoryAsync(string code, Venue venue, CancellationToken cancellationToken = default) =>
        (await HistoryPagesAsync(code, venue, null, cancellationToken).ConfigureAwait(false)).Rows;

    /// <summary>
    /// As <see cref="HistoryAsync(string, Venue, CancellationToken)"/>, but paging stops as soon as a page reaches back
    /// to <paramref name="since"/> (the rows before it on that page are still returned): what healing a gap needs.
    /// </summary>
    public async Task<IReadOnlyList<ProgramTradeHistoryRow>> HistoryAsync(string code, Venue venue, DateTimeOffset since, CancellationToken cancellationToken = default) =>
        (await HistoryPagesAsync(code, venue, since, cancellationToken).ConfigureAwait(false)).Rows;

    /// <summary>The rows (oldest first, one per second) and the pages it took (EGW00201 retries not counted).</summary>
    internal async Task<(IReadOnlyList<ProgramTradeHistoryRow> Rows, int Pages)> HistoryPagesAsync(string code, Venue venue, DateTimeOffset? since, CancellationToken cancellationToken)
    {
        CheckCode(code);
        // One pager at a time per (endpoint, app key, code, venue) in the process (see RestShared.HistoryPaging).
        SemaphoreSlim gate = _shared.HistoryPaging(_authority, _options.AppKey!, code, venue);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await HistoryPagesCoreAsync(code, venue, since, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<(IReadOnlyList<ProgramTradeHistoryRow> Rows, int Pages)> HistoryPagesCoreAsync(string code, Venue venue, DateTimeOffset? since, CancellationToken cancellationToken)
    {
        string operation = $"program-trade-by-stock {code} {venue.ToString().ToLowerInvariant()}";
        var query = $"?FID_COND_MRKT_DIV_CODE={MarketCode(venue)}&FID_INPUT_ISCD={Uri.EscapeDataString(code)}";
        DateTimeOffset nowKst = KoreaTime.Now(_options.TimeProvider);
        DateOnly today = KoreaTime.DateOf(nowKst);
        var rows = new Dictionary<DateTimeOffset, ProgramTradeHistoryRow>();
        int pages = 0;
        for (string trCont = string.Empty; ; trCont = "N")
        {
            (HistoryReplyDto<IntradayRowDto> reply, string? more) = await CallAsync(
                IntradayPath + query, IntradayTrId, trCont, operation, RestJsonContext.Default.IntradayReplyDto, r => (r.RtCd, r.MsgCd, r.Msg1), cancellationToken).ConfigureAwait(false);
            pages++;
            DateTimeOffset? oldest = null;
            foreach (IntradayRowDto r in reply.Output ?? [])
            {
                if (!TimeOnly.TryParseExact(r.Hour, "HHmmss", CultureInfo.InvariantCulture, DateTimeStyles.None, out TimeOnly time))
                {
                    continue; // a row without a time cannot be placed in the day
                }

                // Just after midnight a row stamped late in the evening belongs to the previous day.
                DateOnly date = time.ToTimeSpan() > nowKst.TimeOfDay + TimeSpan.FromMinutes(5) ? today.AddDays(-1) : today;
                var row = new ProgramTradeHistoryRow(
                    venue, code, date, time, L(r.Price), L(r.Change), Sign(r.ChangeSign), D(r.ChangePercent), L(r.AccumulatedVolume),
                    L(r.SellVolume), L(r.SellValue), L(r.BuyVolume), L(r.BuyValue), L(r.NetBuyVolume), L(r.NetBuyValue),
                    L(r.NetBuyVolumeChange), L(r.NetBuyValueChange));
                rows.TryAdd(row.Timestamp, row); // a second on two pages (should KIS repeat one) is kept once
                oldest = oldest is { } o && o <= row.Timestamp ? o : row.Timestamp;
            }

            // tr_cont F or M: more data follows (KIS samples); D, E or blank: the last page.
            if (more?.Trim() is not ("F" or "M") || oldest is null || (since is { } s && oldest <= s))
            {
                break;
            }

            if (pages >= _rest.MaxHistoryPages)
            {
                RestLog.PageCapReached(_logger, operation, _rest.MaxHistoryPages);
                break;
            }
        }

        List<ProgramTradeHistoryRow> list = [.. rows.Values];
        list.Sort(static (a, b) => a.Timestamp.CompareTo(b.Timestamp));
        return (list, pages);
    }

    /// <summary>
    /// Daily program-trading rows for <paramref name="code"/> on <paramref name="venue"/>, oldest first: the days KIS
    /// lists going back from <paramref name="from"/> (<c>FID_INPUT_DATE_1</c>; null = from today).
    /// </summary>
    public async Task<IReadOnlyList<ProgramTradeDailyRow>> DailyHistoryAsync(string code, Venue venue, DateOnly? from = null, CancellationToken cancellationToken = default)
    {
        CheckCode(code);
        string operation = $"program-trade-by-stock-daily {code} {venue.ToString().ToLowerInvariant()}";
        string date = from?.ToString("yyyyMMdd", CultureInfo.InvariantCulture) ?? string.Empty;
        var query = $"?FID_COND_MRKT_DIV_CODE={MarketCode(venue)}&FID_INPUT_ISCD={Uri.EscapeDataString(code)}&FID_INPUT_DATE_1={date}";
        (HistoryReplyDto<DailyRowDto> reply, _) = await CallAsync(DailyPath + query, DailyTrId, string.Empty, operation, RestJsonContext.Default.DailyReplyDto, r => (r.RtCd, r.MsgCd, r.Msg1), cancellationToken).ConfigureAwait(false);
        var rows = new List<ProgramTradeDailyRow>(reply.Output?.Count ?? 0);
        foreach (DailyRowDto r in reply.Output ?? [])
        {
            if (!DateOnly.TryParseExact(r.Date, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out DateOnly d))
            {
                continue;
            }

            long net = L(r.NetBuyValue), field = L(r.NetBuyValueChange);
            rows.Add(new ProgramTradeDailyRow(
                venue, code, d, L(r.ClosePrice), L(r.Change), Sign(r.ChangeSign), D(r.ChangePercent), L(r.AccumulatedVolume),
                L(r.SellVolume), L(r.SellValue), L(r.BuyVolume), L(r.BuyValue), L(r.NetBuyVolume), net)
            {
                NetBuyValueChange = r.NetBuyValueChange is null || (field == net && net != 0) ? null : field,
            });
        }

        rows.Sort(static (a, b) => a.Date.CompareTo(b.Date));
        for (int i = 1; i < rows.Count; i++)
        {
            rows[i] = rows[i] with { NetBuyValueChange = rows[i].NetBuyValue - rows[i - 1].NetBuyValue };
        }

        return rows;
    }

    /// <summary>
    /// The current price of <paramref name="code"/> on <paramref name="venue"/> (주식현재가 시세, <c>inquire-price</c>,
    /// FHKST01010100): one call through the app key's shared limiter.
    /// </summary>
    /// <exception cref="KisApiException">KIS refused the call (e.g. an unknown code), naming its message code.</exception>
    /// <exception cref="KisException">The answer has no <c>output.stck_prpr</c>, or the server could not be reached.</exception>
    public async Task<StockQuote> PriceAsync(string code, Venue venue, CancellationToken cancellationToken = default)
    {
        CheckCode(code);
        string operation = $"inquire-price {code} {venue.ToString().ToLowerInvariant()}";
        var query = $"?FID_COND_MRKT_DIV_CODE={MarketCode(venue)}&FID_INPUT_ISCD={Uri.EscapeDataString(code)}";
        (PriceReplyDto reply, _) = await CallAsync(PricePath + query, PriceTrId, string.Empty, operation, RestJsonContext.Default.PriceReplyDto, r => (r.RtCd, r.MsgCd, r.Msg1), cancellationToken).ConfigureAwait(false);
        PriceDto o = reply.Output ?? throw new KisException($"KIS answered {operation} without an 'output' object.");
        long price = L(o.Price);
        if (price <= 0)
        {
            throw new KisException($"KIS answered {operation} without a price (stck_prpr '{o.Price}').");
        }

        long change = L(o.Change);
        long reference = L(o.ReferencePrice) is > 0 and long sdpr ? sdpr : price - change;
        return new StockQuote(venue, code, price, change, Sign(o.ChangeSign), D(o.ChangePercent), L(o.AccumulatedVolume), L(o.AccumulatedValue),
            L(o.Open), L(o.High), L(o.Low), reference, _options.TimeProvider.GetUtcNow());
    }

    /// <summary>
    /// A market's program-trading totals through the day (프로그램매매 종합현황(시간), <c>comp-program-trade-today</c>,
    /// FHPPG04600101) on <paramref name="venue"/> (<c>J</c>/<c>NX</c>/<c>UN</c>) for <paramref name="market"/>
    /// (<c>K</c>/<c>Q</c>), oldest first. KIS documents the last 30 minutes during market hours, with no next page; one
    /// call through the app key's shared limiter.
    /// </summary>
    /// <exception cref="KisApiException">KIS refused the call, naming its message code.</exception>
    public async Task<IReadOnlyList<MarketProgramTradeRow>> MarketProgramTradeByTimeAsync(Venue venue, KrxMarket market, CancellationToken cancellationToken = default)
    {
        string operation = $"comp-program-trade-today {venue.ToString().ToLowerInvariant()} {market.ToString().ToLowerInvariant()}";
        var query = $"?FID_COND_MRKT_DIV_CODE={MarketCode(venue)}&FID_MRKT_CLS_CODE={MarketClass(market)}&FID_SCTN_CLS_CODE=&FID_INPUT_ISCD=&FID_COND_MRKT_DIV_CODE1=&FID_INPUT_HOUR_1=";
        (MarketReplyDto reply, _) = await CallAsync(MarketTodayPath + query, MarketTodayTrId, string.Empty, operation, RestJsonContext.Default.MarketReplyDto, r => (r.RtCd, r.MsgCd, r.Msg1), cancellationToken).ConfigureAwait(false);
        DateTimeOffset nowKst = KoreaTime.Now(_options.TimeProvider);
        DateOnly today = KoreaTime.DateOf(nowKst);
        var rows = new List<MarketProgramTradeRow>();
        foreach (JsonElement r in MarketRows.Rows(reply, preferOutput1: false))
        {
            if (!TimeOnly.TryParseExact(MarketRows.Text(r, "bsop_hour"), "HHmmss", CultureInfo.InvariantCulture, DateTimeStyles.None, out TimeOnly time))
            {
                continue; // a row without a time cannot be placed in the day
            }

            DateOnly date = time.ToTimeSpan() > nowKst.TimeOfDay + TimeSpan.FromMinutes(5) ? today.AddDays(-1) : today;
            rows.Add(MarketRows.Market(r, venue, market, date, time));
        }

        rows.Sort(static (a, b) => (a.Date, a.Time).CompareTo((b.Date, b.Time)));
        return rows;
    }

    /// <summary>
    /// A market's program-trading totals by day (프로그램매매 종합현황(일별), <c>comp-program-trade-daily</c>, FHPPG04600001)
    /// on <paramref name="venue"/> for <paramref name="market"/>, oldest first: the days KIS lists for the range
    /// <paramref name="from"/> – <paramref name="to"/> (<c>FID_INPUT_DATE_1</c> / <c>_2</c>; null = KIS's default).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="from"/> is after <paramref name="to"/>.</exception>
    /// <exception cref="KisApiException">KIS refused the call (e.g. a range it does not serve), naming its message code.</exception>
    public async Task<IReadOnlyList<MarketProgramTradeRow>> MarketProgramTradeDailyAsync(Venue venue, KrxMarket market, DateOnly? from = null, DateOnly? to = null, CancellationToken cancellationToken = default)
    {
        if (from is { } f && to is { } t && f > t)
        {
            throw new ArgumentException($"The range starts ({f:yyyy-MM-dd}) after it ends ({t:yyyy-MM-dd}).", nameof(from));
        }

        string operation = $"comp-program-trade-daily {venue.ToString().ToLowerInvariant()} {market.ToString().ToLowerInvariant()}";
        string d1 = from?.ToString("yyyyMMdd", CultureInfo.InvariantCulture) ?? string.Empty;
        string d2 = to?.ToString("yyyyMMdd", CultureInfo.InvariantCulture) ?? string.Empty;
        var query = $"?FID_COND_MRKT_DIV_CODE={MarketCode(venue)}&FID_MRKT_CLS_CODE={MarketClass(market)}&FID_INPUT_DATE_1={d1}&FID_INPUT_DATE_2={d2}";
        (MarketReplyDto reply, _) = await CallAsync(MarketDailyPath + query, MarketDailyTrId, string.Empty, operation, RestJsonContext.Default.MarketReplyDto, r => (r.RtCd, r.MsgCd, r.Msg1), cancellationToken).ConfigureAwait(false);
        var rows = new List<MarketProgramTradeRow>();
        foreach (JsonElement r in MarketRows.Rows(reply, preferOutput1: false))
        {
            if (DateOnly.TryParseExact(MarketRows.Text(r, "stck_bsop_date"), "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out DateOnly date))
            {
                rows.Add(MarketRows.Market(r, venue, market, date, null));
            }
        }

        rows.Sort(static (a, b) => a.Date.CompareTo(b.Date));
        return rows;
    }

    /// <summary>
    /// Today's program trading of <paramref name="market"/> by investor type (프로그램매매 투자자매매동향(당일),
    /// <c>investor-program-trade-today</c>, HHPPG046600C1, <c>MRKT_DIV_CLS_CODE</c> <c>1</c>/<c>4</c>), in KIS's order.
    /// </summary>
    /// <exception cref="KisApiException">KIS refused the call, naming its message code.</exception>
    public async Task<IReadOnlyList<InvestorProgramTradeRow>> InvestorProgramTradeTodayAsync(KrxMarket market, CancellationToken cancellationToken = default)
    {
        string code = market switch
        {
            KrxMarket.Kospi => "1",
            KrxMarket.Kosdaq => "4",
            _ => throw new ArgumentOutOfRangeException(nameof(market), market, "Unknown market: use KrxMarket.Kospi or KrxMarket.Kosdaq."),
        };
        string operation = $"investor-program-trade-today {market.ToString().ToLowerInvariant()}";
        (MarketReplyDto reply, _) = await CallAsync(InvestorsPath + "?MRKT_DIV_CLS_CODE=" + code, InvestorsTrId, string.Empty, operation, RestJsonContext.Default.MarketReplyDto, r => (r.RtCd, r.MsgCd, r.Msg1), cancellationToken).ConfigureAwait(false);
        return [.. MarketRows.Rows(reply, preferOutput1: true).Select(r => MarketRows.Investor(r, market))];
    }

    /// <summary>
    /// A valid access token's expiry (the token itself stays inside): from memory, the cache file, or a new
    /// <c>tokenP</c> request.
    /// </summary>
    public async Task<DateTimeOffset> EnsureAccessTokenAsync(CancellationToken cancellationToken = default) =>
        (await TokenAsync(null, cancellationToken).ConfigureAwait(false)).ExpiresAt;

    /// <summary>Revokes the cached access token (<c>POST /oauth2/revokeP</c>) and forgets it, in memory and on disk.</summary>
    public async Task RevokeAccessTokenAsync(CancellationToken cancellationToken = default)
    {
        CachedToken token = await TokenAsync(null, cancellationToken).ConfigureAwait(false);
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(
            new RevokeRequestDto { AppKey = _options.AppKey!, AppSecret = _options.AppSecret!, Token = token.Value }, RestJsonContext.Default.RevokeRequestDto);
        (int status, string text) = await PostAsync("/oauth2/revokeP", body, "revokeP", cancellationToken).ConfigureAwait(false);
        KisReplyDto? reply = RestErrors.TryRead(text);
        if (status is < 200 or >= 300 || reply?.ErrorCode is not null)
        {
            throw RestErrors.Create("revokeP", status, text, reply);
        }

        _tokens.Forget();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    internal static string MarketCode(Venue venue) => venue switch
    {
        Venue.Krx => "J",
        Venue.Nxt => "NX",
        Venue.Unified => "UN",
        _ => throw new ArgumentOutOfRangeException(nameof(venue), venue, "Unknown venue."),
    };

    internal static string MarketClass(KrxMarket market) => market switch
    {
        KrxMarket.Kospi => "K",
        KrxMarket.Kosdaq => "Q",
        _ => throw new ArgumentOutOfRangeException(nameof(market), market, "Unknown market: use KrxMarket.Kospi or KrxMarket.Kosdaq."),
    };

    private static void CheckCode(string code)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(code);
        _ = StockCode.Normalize(code); // the one stock-code rule; throws naming the code
    }

    /// <summary>One history request (a page): the parsed reply and the response's <c>tr_cont</c> header.</summary>
    private async Task<(T Reply, string? TrCont)> CallAsync<T>(
        string pathAndQuery, string trId, string trCont, string operation, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type,
        Func<T, (string? RtCd, string? MsgCd, string? Msg1)> envelope, CancellationToken ct)
        where T : class
    {
        return await _retry.ExecuteAsync(async token =>
        {
            string? rejected = null;
            for (int attempt = 0; ; attempt++)
            {
                CachedToken access = await TokenAsync(rejected, token).ConfigureAwait(false);
                _metrics.LimiterWaited(await _limiter.AcquireAsync(token).ConfigureAwait(false));
                Interlocked.Increment(ref _calls);
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_options.RestUri, pathAndQuery));
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", access.Value);
                request.Headers.TryAddWithoutValidation("appkey", _options.AppKey);
                request.Headers.TryAddWithoutValidation("appsecret", _options.AppSecret);
                request.Headers.TryAddWithoutValidation("tr_id", trId);
                request.Headers.TryAddWithoutValidation("custtype", _options.CustomerType.ToString());
                request.Headers.TryAddWithoutValidation("tr_cont", trCont); // blank: a new request; N: the next page
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
                (int status, string text, string? more) = await SendAsync(request, trId, operation, access.Value, token).ConfigureAwait(false);
                KisReplyDto? error = RestErrors.TryRead(text);
                string? code = error?.ErrorCode ?? error?.MsgCd;
                _metrics.RestCall(trId, status is >= 200 and < 300 && error is { RtCd: "0" or null, ErrorCode: null } ? "ok" : "error");
                if (code == RestErrors.RateLimit)
                {
                    _metrics.RateLimited(trId);
                }
                if (code is RestErrors.TokenExpired or RestErrors.TokenInvalid && attempt == 0)
                {
                    RestLog.TokenRefused(_logger, operation, code);
                    rejected = access.Value; // renew at once and try once more
                    continue;
                }

                if (status is >= 200 and < 300 && error is { RtCd: "0" or null, ErrorCode: null })
                {
                    T? parsed;
                    try
                    {
                        parsed = JsonSerializer.Deserialize(text, type);
                    }
                    catch (JsonException ex)
                    {
                        throw new KisApiException($"KIS answered {operation} with a body that is not the expected JSON: {ex.Message}", operation, null, null, status, inner: ex);
                    }

                    if (parsed is not null && envelope(parsed).RtCd is "0" or null)
                    {
                        return (parsed, more);
                    }
                }

                throw RestErrors.Create(operation, status, text, error);
            }
        }, ct).ConfigureAwait(false);
    }

    private Task<CachedToken> TokenAsync(string? rejected, CancellationToken ct) =>
        _tokens.GetAsync(IssueTokenAsync, _options.TimeProvider, _rest.RenewBeforeExpiry, rejected, ct);

    private async Task<CachedToken> IssueTokenAsync(CancellationToken ct)
    {
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(
            new TokenRequestDto { AppKey = _options.AppKey!, AppSecret = _options.AppSecret! }, RestJsonContext.Default.TokenRequestDto);
        DateTimeOffset now = _options.TimeProvider.GetUtcNow();
        (int status, string text) = await PostAsync("/oauth2/tokenP", body, "tokenP", ct).ConfigureAwait(false);
        KisReplyDto? reply = RestErrors.TryRead(text);
        _metrics.RestCall("tokenP", status is >= 200 and < 300 && reply is { AccessToken.Length: > 0 } ? "ok" : "error");
        if (status is >= 200 and < 300 && reply is { AccessToken.Length: > 0 })
        {
            DateTimeOffset expires = reply.ExpiresIn is > 0 ? now + TimeSpan.FromSeconds(reply.ExpiresIn.Value) : ParseExpiry(reply.AccessTokenExpired) ?? now + TimeSpan.FromHours(12);
            RestLog.TokenIssued(_logger, Secrets.Redact(_options.AppKey), expires);
            return new CachedToken(reply.AccessToken, expires, now);
        }

        throw RestErrors.Create("tokenP", status, Secrets.Scrub(text, reply?.AccessToken), reply);
    }

    private static DateTimeOffset? ParseExpiry(string? text) =>
        DateTime.TryParseExact(text, "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out DateTime kst)
            ? new DateTimeOffset(kst, KoreaTime.Offset)
            : null;

    private async Task<(int Status, string Text)> PostAsync(string path, byte[] body, string operation, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_options.RestUri, path))
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" } } },
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        (int status, string text, _) = await SendAsync(request, operation, operation, null, ct).ConfigureAwait(false);
        return (status, text);
    }

    /// <summary>Sends one request; a request that gets no answer is counted (<paramref name="api"/>, unreachable) and thrown as a transient <see cref="KisException"/>.</summary>
    private async Task<(int Status, string Text, string? TrCont)> SendAsync(HttpRequestMessage request, string api, string operation, string? accessToken, CancellationToken ct)
    {
        string where = request.RequestUri!.GetLeftPart(UriPartial.Path);
        try
        {
            using HttpResponseMessage response = await _http.SendAsync(request, ct).ConfigureAwait(false);
            byte[] bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            string text = Secrets.Scrub(Encoding.UTF8.GetString(bytes), _options.AppKey, _options.AppSecret, accessToken);
            string? trCont = response.Headers.TryGetValues("tr_cont", out IEnumerable<string>? values) ? values.FirstOrDefault() : null;
            return ((int)response.StatusCode, text, trCont);
        }
        catch (HttpRequestException ex)
        {
            _metrics.RestCall(api, "unreachable");
            throw new KisException($"Could not reach {where} for {operation}: {Secrets.Scrub(ex.Message, _options.AppKey, _options.AppSecret, accessToken)}. Check the network and the REST URL (KIS_REST_URL).", ex, isTransient: true);
        }
        catch (TaskCanceledException ex) when (!ct.IsCancellationRequested)
        {
            _metrics.RestCall(api, "unreachable");
            throw new KisException($"{where} did not answer {operation} within {_http.Timeout.TotalSeconds:0} s.", new TimeoutException(ex.Message, ex), isTransient: true);
        }
    }

    private static long L(string? s) =>
        long.TryParse(s, NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out long v) ? v : 0;

    private static decimal D(string? s) =>
        decimal.TryParse(s, NumberStyles.Number, CultureInfo.InvariantCulture, out decimal v) ? v : 0;

    private static PriceChangeSign Sign(string? s) => s?.Trim() switch
    {
        "1" => PriceChangeSign.UpperLimit,
        "2" => PriceChangeSign.Up,
        "3" => PriceChangeSign.Unchanged,
        "4" => PriceChangeSign.LowerLimit,
        "5" => PriceChangeSign.Down,
        _ => PriceChangeSign.Unknown,
    };
}
