using System.Globalization;
using System.Net;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using System.Threading.Channels;

using KisFeed.Storage;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KisFeed.Web;

/// <summary>Settings of <see cref="KisFeedWebServer"/>. Start from <see cref="Default"/> and use <c>with { ... }</c>.</summary>
public sealed record WebBoardOptions
{
    /// <summary>Loopback, a free port, live.</summary>
    public static WebBoardOptions Default { get; } = new();

    /// <summary>The address to bind: loopback unless told otherwise (<c>0.0.0.0</c> for every interface).</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>TCP port; 0 takes a free one (see <see cref="KisFeedWebServer.Url"/>).</summary>
    public int Port { get; init; }

    /// <summary>
    /// When set, every request must carry this token: <c>?token=…</c> on the page's address (the server then sets an
    /// HttpOnly, same-site cookie, so the page's own requests carry it), the cookie, or <c>Authorization: Bearer …</c>
    /// (scripts). Anything else is answered 401. Needed when <see cref="Host"/> is not a loopback address.
    /// </summary>
    public string? AccessToken { get; init; }

    /// <summary>The codes followed (listed on the page even before their first update).</summary>
    public IReadOnlyList<string> Codes { get; init; } = [];

    /// <summary>The venues followed.</summary>
    public IReadOnlyList<Venue> Venues { get; init; } = VenueExtensions.All;

    /// <summary>True when the board shows a recorded day (no live feed).</summary>
    public bool Replay { get; init; }

    /// <summary>The trading date to show first; null = today in Korea (live) or the recording's latest (replay).</summary>
    public DateOnly? Date { get; init; }

    /// <summary>Shortest time between two events to one page: each stock changes at most once per interval on a page
    /// (twice when a minute ends within it). 100 ms = at most ~10 updates per second per stock.</summary>
    public TimeSpan CoalesceInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How many recent changes are kept for pages that resume with <c>Last-Event-ID</c> (a power of two).</summary>
    public int ResumeCapacity { get; init; } = 1 << 16;

    /// <summary>Clock (coalescing, status, today's date).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Logging; null logs nothing.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}

/// <summary>
/// The web board of <c>kisfeed serve</c>: Kestrel serving the page (built assets embedded in this assembly), the day of a
/// stock from a recording (<see cref="ProgramTradeQueries"/>), and live changes pushed to every page over Server-Sent
/// Events, coalesced per stock and resumable with <c>Last-Event-ID</c>.
/// </summary>
/// <remarks>Why SSE rather than SignalR: the data only flows from the server to the page; <c>EventSource</c> is built
/// into every browser, reconnects by itself and sends <c>Last-Event-ID</c>, which is exactly the resume this board
/// needs; it is plain HTTP (proxies, curl) and needs no client library or hub protocol.</remarks>
public sealed class KisFeedWebServer : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly FileExtensionContentTypeProvider ContentTypes = new();

    private readonly WebApplication _app;
    private readonly WebBoardOptions _options;
    private readonly IFeedStatusSource _status;
    private readonly ProgramTradeQueries? _queries;
    private readonly IPriceSource _prices;
    private readonly ILogger _logger;
    private long _pages;

    private KisFeedWebServer(WebApplication app, WebBoardOptions options, IFeedStatusSource status, ProgramTradeQueries? queries, IPriceSource prices, DateOnly date)
    {
        _app = app;
        _options = options;
        _status = status;
        _queries = queries;
        _prices = prices;
        _logger = options.LoggerFactory?.CreateLogger<KisFeedWebServer>() ?? NullLogger<KisFeedWebServer>.Instance;
        Board = new BoardState(options.ResumeCapacity, prices, date);
    }

    /// <summary>The page's address, e.g. <c>http://127.0.0.1:8600/</c>.</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>
    /// Addresses other machines can use: for a wildcard bind (<c>0.0.0.0</c>, <c>::</c>) one per address of this
    /// machine's network interfaces; for a loopback bind none.
    /// </summary>
    public IReadOnlyList<Uri> InterfaceUrls { get; private set; } = [];

    /// <summary>The unicast addresses of this machine's interfaces that are up (loopback included).</summary>
    public static IReadOnlyList<IPAddress> MachineAddresses()
    {
        try
        {
            return [.. System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
                .Where(n => n.OperationalStatus is System.Net.NetworkInformation.OperationalStatus.Up or System.Net.NetworkInformation.OperationalStatus.Unknown)
                .SelectMany(n => n.GetIPProperties().UnicastAddresses)
                .Select(u => u.Address)
                .Where(a => !a.IsIPv6LinkLocal)
                .Distinct()];
        }
        catch (System.Net.NetworkInformation.NetworkInformationException)
        {
            return [IPAddress.Loopback, IPAddress.IPv6Loopback];
        }
    }

    /// <summary>Pages connected to the event stream now.</summary>
    public long Pages => Interlocked.Read(ref _pages);

    internal BoardState Board { get; }

    /// <summary>
    /// Starts the server. <paramref name="queries"/> gives the day's curves (null: the chart starts empty and grows from
    /// the live feed); <paramref name="prices"/> defaults to none (<see cref="NoPriceSource"/>: program trades carry no price).
    /// </summary>
    public static async Task<KisFeedWebServer> StartAsync(
        WebBoardOptions options, IFeedStatusSource status, ProgramTradeQueries? queries = null, IPriceSource? prices = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(status);
        IPAddress address = options.Host is "localhost" ? IPAddress.Loopback
            : IPAddress.TryParse(options.Host, out IPAddress? parsed) ? parsed
            : throw new ArgumentException($"'{options.Host}' is not an IP address (use 127.0.0.1, ::1 or 0.0.0.0).", nameof(options));

        DateOnly date = options.Date
            ?? (queries is not null && options.Replay ? await queries.LatestDateAsync(cancellationToken).ConfigureAwait(false) : null)
            ?? KoreaTime.Today(options.TimeProvider);

        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (options.LoggerFactory is { } loggers)
        {
            builder.Services.AddSingleton(loggers);
        }

        builder.WebHost.UseKestrel(k => k.Listen(address, options.Port));
        WebApplication app = builder.Build();
        KisFeedWebServer server = new(app, options, status, queries, prices ?? new NoPriceSource(options.Replay ? NoPriceSource.Recorded : "none: no REST credentials for a price"), date);
        app.Use(server.GuardAsync);
        server.Map(app);
        if (queries is not null)
        {
            await server.SeedAsync(date, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new IOException($"Cannot listen on {options.Host}:{options.Port}: {ex.Message}. Pick another --port (0 = any free port).", ex);
        }

        string bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Url = new Uri(bound.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("[::]", "[::1]", StringComparison.Ordinal).TrimEnd('/') + "/");
        int port = server.Url.Port;
        server.InterfaceUrls = address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)
            ? [.. MachineAddresses().Where(a => !IPAddress.IsLoopback(a) && (a.AddressFamily == address.AddressFamily || address.Equals(IPAddress.IPv6Any)))
                .Select(a => new UriBuilder("http", a.ToString(), port, "/").Uri)]
            : IPAddress.IsLoopback(address) ? [] : [server.Url];
        return server;
    }

    private async Task SeedAsync(DateOnly date, CancellationToken cancellationToken)
    {
        ProgramTradeQueries q = _queries!;
        IReadOnlyList<RankingRow> ranking = await q.RankingAsync(date, cancellationToken: cancellationToken).ConfigureAwait(false);
        Board.Seed(ranking, date);
        Board.SeedGaps(await q.GapsAsync(date, cancellationToken).ConfigureAwait(false), await q.GapHealingAsync(date, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Follows <paramref name="feed"/> until it ends or <paramref name="cancellationToken"/> is cancelled: every item goes
    /// to the board, and with a <paramref name="recorder"/> every trade and gap is recorded too (the recorder commits at
    /// least every second, and the pages' day curves read those commits).
    /// </summary>
    /// <remarks>The board gets each item first and the recorder after it through a queue of its own, so a commit (DuckDB
    /// writes synchronously, and a loaded disk can take a while) never holds an update back from the pages. Everything
    /// taken from the feed is recorded before this returns.</remarks>
    /// <exception cref="KisStorageException">Recording failed (e.g. disk full); the feed is left then.</exception>
    public async Task RunFeedAsync(IAsyncEnumerable<FeedItem> feed, ProgramTradeRecorder? recorder = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(feed);
        Channel<FeedItem>? toRecorder = recorder is null ? null
            : Channel.CreateUnbounded<FeedItem>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        // Not cancelled with the feed: it ends when the queue is completed and drained, so nothing taken is lost.
        Task<long> recording = recorder is null ? Task.FromResult(0L)
            : Task.Run(() => recorder.RecordAsync(toRecorder!.Reader.ReadAllAsync(CancellationToken.None), CancellationToken.None), CancellationToken.None);
        ExceptionDispatchInfo? feedFailed = null;
        try
        {
            await foreach (FeedItem item in feed.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                Board.Apply(item);
                if (toRecorder is not null && (recording.IsCompleted || !toRecorder.Writer.TryWrite(item)))
                {
                    break; // the recorder failed: its exception is thrown below
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (toRecorder is not null)
        {
            feedFailed = ExceptionDispatchInfo.Capture(ex); // thrown once the recorder has what was taken
        }

        toRecorder?.Writer.TryComplete();
        await recording.ConfigureAwait(false);
        feedFailed?.Throw();
    }

    private const string TokenCookie = "kisfeed_token";

    /// <summary>
    /// Every request: checks the access token when one is set, and turns bad input that slipped past an endpoint's own
    /// checks into a 400 (never a 500 for anything a client sent).
    /// </summary>
    private async Task GuardAsync(HttpContext context, RequestDelegate next)
    {
        if (_options.AccessToken is { Length: > 0 } token)
        {
            string? given = context.Request.Query["token"].FirstOrDefault();
            bool fromQuery = given is not null;
            given ??= context.Request.Cookies[TokenCookie];
            if (given is null && context.Request.Headers.Authorization.FirstOrDefault() is { } auth && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                given = auth["Bearer ".Length..].Trim();
            }

            if (!TokenMatches(given, token))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync(
                    "This KisFeed board needs its access token: open the address kisfeed serve printed (it ends in ?token=...), or send Authorization: Bearer TOKEN.\n",
                    context.RequestAborted).ConfigureAwait(false);
                return;
            }

            if (fromQuery)
            {
                // The page's own requests (assets, the API, the event stream) carry the cookie from here on.
                context.Response.Cookies.Append(TokenCookie, token, new CookieOptions
                {
                    HttpOnly = true,
                    SameSite = SameSiteMode.Strict,
                    Path = "/",
                    IsEssential = true,
                });
            }
        }

        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is BadHttpRequestException or FormatException or ArgumentException && !context.Response.HasStarted)
        {
            context.Response.Clear();
            context.Response.StatusCode = ex is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status400BadRequest;
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync("Bad request: " + ex.Message + "\n", context.RequestAborted).ConfigureAwait(false);
        }
    }

    private static bool TokenMatches(string? given, string token) =>
        given is not null && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(given), System.Text.Encoding.UTF8.GetBytes(token));

    /// <summary>A stock code as a query gives it: 1–12 ASCII letters or digits (KIS short codes are 6, ETNs Q + 6).</summary>
    private static bool IsCode(string? code) => code is { Length: > 0 and <= 12 } && code.All(char.IsAsciiLetterOrDigit);

    private void Map(WebApplication app)
    {
        app.MapGet("/", () => Asset("index.html"));
        app.MapGet("/assets/{*path}", (string path) => Asset("assets/" + path));
        app.MapGet("/api/meta", Meta);
        app.MapGet("/api/status", () => TypedResults.Json(Status(), Json));
        app.MapGet("/api/day", DayAsync);
        app.MapGet("/api/ranking", RankingAsync);
        app.MapGet("/api/events", (HttpContext context, CancellationToken ct) =>
        {
            string? last = context.Request.Headers["Last-Event-ID"].FirstOrDefault() ?? context.Request.Query["lastEventId"].FirstOrDefault();
            long? after = null;
            if (!string.IsNullOrEmpty(last))
            {
                if (!long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out long id))
                {
                    return Results.BadRequest("lastEventId / Last-Event-ID: a non-negative event id, as the stream sent it");
                }

                after = id;
            }

            context.Response.Headers.CacheControl = "no-cache";
            return TypedResults.ServerSentEvents(EventsAsync(after, ct));
        });
    }

    private static IResult Asset(string path)
    {
        if (path.Contains("..", StringComparison.Ordinal))
        {
            return TypedResults.NotFound();
        }

        Stream? stream = typeof(KisFeedWebServer).Assembly.GetManifestResourceStream("web/" + path);
        if (stream is null)
        {
            return TypedResults.NotFound();
        }

        string type = ContentTypes.TryGetContentType(path, out string? t) ? t : "application/octet-stream";
        return TypedResults.Stream(stream, type);
    }

    private IResult Meta()
    {
        IEnumerable<string> codes = _options.Codes.Count > 0 ? _options.Codes : Board.Snapshot().Rows.Select(r => r.Code).Distinct(StringComparer.Ordinal);
        return TypedResults.Json(new MetaDto(
            _options.Replay ? "replay" : "live",
            Board.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            [.. codes.Select(c => new CodeDto(c, StockNames.Of(c)))],
            [.. _options.Venues.Select(ChartTime.VenueName)],
            _prices.Label), Json);
    }

    private StatusDto Status()
    {
        FeedStatus s = _status.Current;
        return new StatusDto(_options.Replay ? "replay" : "live", s.State, s.Reconnects, Board.GapCount, s.Drops, s.Simulated, s.Source,
            _options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds());
    }

    private async Task<IResult> DayAsync(string? code, string? date, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(code))
        {
            return TypedResults.BadRequest("code is required");
        }

        if (!IsCode(code))
        {
            return TypedResults.BadRequest("code: a KIS stock code, 1 to 12 letters or digits (e.g. 005930)");
        }

        DateOnly day = date is null ? Board.Date
            : DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out DateOnly d) ? d
            : DateOnly.MinValue;
        if (day == DateOnly.MinValue)
        {
            return TypedResults.BadRequest("date: use yyyy-MM-dd");
        }

        Dictionary<string, IReadOnlyList<PointDto>> curve = [];
        Dictionary<string, IReadOnlyList<BarDto>> bars = [];
        List<GapDto> gaps = [.. Board.Snapshot().Gaps];
        // One scan for every venue; the minute bars follow from the 10 s curve (a minute's close is its last bucket's).
        IReadOnlyDictionary<Venue, IReadOnlyList<ProgramTradeBucket>> byVenue = _queries is null ? new Dictionary<Venue, IReadOnlyList<ProgramTradeBucket>>()
            : await _queries.DayCurvesAsync(day, code, TimeSpan.FromSeconds(10), ct).ConfigureAwait(false);
        foreach (Venue venue in VenueExtensions.All)
        {
            string name = ChartTime.VenueName(venue);
            IReadOnlyList<ProgramTradeBucket> points = byVenue.GetValueOrDefault(venue) ?? [];
            curve[name] = [.. points.Select(p => new PointDto(ChartTime.Of(day, p.Time), p.NetBuyValue, p.BuyValue, p.SellValue, p.NetFlow))];
            List<BarDto> minutes = [];
            long previousClose = 0;
            for (int i = 0; i < points.Count; i++)
            {
                long minute = points[i].Time.Ticks / TimeSpan.TicksPerMinute;
                if (i + 1 < points.Count && points[i + 1].Time.Ticks / TimeSpan.TicksPerMinute == minute)
                {
                    continue;
                }

                minutes.Add(new BarDto(ChartTime.Of(day, new TimeOnly(minute * TimeSpan.TicksPerMinute)), points[i].NetBuyValue - previousClose));
                previousClose = points[i].NetBuyValue;
            }

            bars[name] = minutes;
        }

        // The price line: the prices the price source read today (inquire-price stck_prpr), one point per second at most.
        List<PricePointDto> prices = [];
        foreach (PriceSample sample in _prices.Samples(code))
        {
            long ts = ChartTime.Of(sample.At);
            if (KoreaTime.DateOf(sample.At) != day)
            {
                continue;
            }

            if (prices.Count > 0 && prices[^1].Ts == ts)
            {
                prices[^1] = new PricePointDto(ts, sample.Price);
            }
            else
            {
                prices.Add(new PricePointDto(ts, sample.Price));
            }
        }

        return TypedResults.Json(new DayDto(code, StockNames.Of(code), day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), curve, bars, gaps, ChartTime.Sessions(day), prices), Json);
    }

    private async Task<IResult> RankingAsync(string? asOf, CancellationToken ct)
    {
        TimeOnly? at = null;
        if (asOf is not null)
        {
            if (!TimeOnly.TryParseExact(asOf, ["HH:mm:ss", "HH:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out TimeOnly t))
            {
                return TypedResults.BadRequest("asOf: use HH:mm:ss (KST)");
            }

            at = t;
        }

        if (_queries is null)
        {
            return TypedResults.Json(Board.Snapshot().Rows, Json);
        }

        IReadOnlyList<RankingRow> rows = await _queries.RankingAsync(Board.Date, at, ct).ConfigureAwait(false);
        return TypedResults.Json(rows.Select(r => new
        {
            r.Code,
            Name = StockNames.Of(r.Code),
            Venue = ChartTime.VenueName(r.Venue),
            Time = r.Time.ToString("HH:mm:ss", CultureInfo.InvariantCulture),
            Buy = r.BuyValue,
            Sell = r.SellValue,
            Net = r.NetBuyValue,
            D1 = r.Change1m,
            D5 = r.Change5m,
            Updates = r.Records,
        }), Json);
    }

    private async IAsyncEnumerable<SseItem<string>> EventsAsync(long? after, [EnumeratorCancellation] CancellationToken ct)
    {
        Interlocked.Increment(ref _pages);
        try
        {
            TimeProvider time = _options.TimeProvider;
            long sent;
            (long Seq, List<RowDto> Rows, List<GapDto> Gaps)? resumed = after is { } a ? Board.CollectSince(a) : null;
            if (resumed is { } r)
            {
                sent = r.Seq;
                yield return Item("batch", new BatchDto(r.Seq, r.Rows, r.Gaps, time.GetUtcNow().ToUnixTimeMilliseconds()), r.Seq);
            }
            else
            {
                (long seq, DateOnly date, List<RowDto> rows, List<GapDto> gaps) = Board.Snapshot();
                sent = seq;
                yield return Item("snapshot", new SnapshotDto(seq, date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), rows, gaps, Status()), seq);
            }

            StatusDto status = Status();
            yield return Item("status", status, null);
            long lastStatus = time.GetTimestamp();
            while (!ct.IsCancellationRequested)
            {
                await Board.WaitAsync(sent, TimeSpan.FromSeconds(1), time, ct).ConfigureAwait(false);
                if (ct.IsCancellationRequested)
                {
                    yield break;
                }

                if (Board.Seq > sent)
                {
                    if (Board.CollectSince(sent) is { } batch)
                    {
                        sent = batch.Seq;
                        yield return Item("batch", new BatchDto(batch.Seq, batch.Rows, batch.Gaps, time.GetUtcNow().ToUnixTimeMilliseconds()), batch.Seq);
                    }
                    else
                    {
                        // This page fell further behind than the ring holds: start it again from the current state.
                        (long seq, DateOnly date, List<RowDto> rows, List<GapDto> gaps) = Board.Snapshot();
                        sent = seq;
                        yield return Item("snapshot", new SnapshotDto(seq, date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), rows, gaps, Status()), seq);
                    }
                }

                StatusDto now = Status();
                if (now with { ServerTime = 0 } != status with { ServerTime = 0 } || time.GetElapsedTime(lastStatus) >= TimeSpan.FromSeconds(1))
                {
                    status = now;
                    lastStatus = time.GetTimestamp();
                    yield return Item("status", now, null);
                }

                // Coalescing: changes within the interval reach this page as one event, the latest per stock and minute.
                await Task.Delay(_options.CoalesceInterval, time, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _pages);
        }
    }

    private static SseItem<string> Item<T>(string type, T value, long? id) =>
        new(JsonSerializer.Serialize(value, Json), type)
        {
            EventId = id?.ToString(CultureInfo.InvariantCulture),
            ReconnectionInterval = TimeSpan.FromMilliseconds(500),
        };

    /// <summary>Stops the server (open event streams end).</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        await _app.DisposeAsync().ConfigureAwait(false);
        Log.Stopped(_logger, Url);
    }
}

internal static partial class Log
{
    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "Web board at {Url} stopped")]
    public static partial void Stopped(ILogger logger, Uri url);
}
