using System.Diagnostics.Metrics;
using System.Text;
using System.Threading.Channels;

using KisFeed.Session;
using KisFeed.Transport;

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KisFeed;

/// <summary>
/// Settings for <see cref="KisRealtimeClient"/>. Immutable: start from <see cref="Default"/> or
/// <see cref="FromEnvironment"/> and change with <c>with { ... }</c>. Secrets never appear in <see cref="object.ToString"/>.
/// </summary>
public sealed record KisOptions
{
    /// <summary>The live KIS real-time WebSocket endpoint.</summary>
    public static readonly Uri LiveWebSocketUri = new("ws://ops.koreainvestment.com:21000/tryitout");

    /// <summary>The live KIS REST endpoint (approval keys).</summary>
    public static readonly Uri LiveRestUri = new("https://openapi.koreainvestment.com:9443");

    /// <summary>Defaults for the live servers, with no credentials.</summary>
    public static KisOptions Default { get; } = new();

    /// <summary>App key (앱키) issued by KIS. Needed to obtain approval keys.</summary>
    public string? AppKey { get; init; }

    /// <summary>App secret (앱시크릿; sent as <c>secretkey</c>). Needed to obtain approval keys.</summary>
    public string? AppSecret { get; init; }

    /// <summary>A ready WebSocket approval key (웹소켓 접속키). When null, one is requested with the app key and secret.</summary>
    public string? ApprovalKey { get; init; }

    /// <summary>Customer type sent as <c>custtype</c>: <c>'P'</c> individual (default) or <c>'B'</c> corporate.</summary>
    public char CustomerType { get; init; } = 'P';

    /// <summary>WebSocket endpoint. Default: <see cref="LiveWebSocketUri"/>.</summary>
    public Uri WebSocketUri { get; init; } = LiveWebSocketUri;

    /// <summary>REST endpoint for <c>POST /oauth2/Approval</c>. Default: <see cref="LiveRestUri"/>.</summary>
    public Uri RestUri { get; init; } = LiveRestUri;

    /// <summary>Time allowed for the TCP connect and WebSocket handshake.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Time allowed for the reply to one subscribe or unsubscribe message.</summary>
    public TimeSpan ReplyTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Reconnect when nothing at all (not even PINGPONG) arrived for this long. KIS sends PINGPONG roughly every
    /// 110 s on a quiet session, so keep this above that. <see cref="Timeout.InfiniteTimeSpan"/> turns the watchdog off.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(150);

    /// <summary>Registrations ((TR id, stock code) pairs) one session may hold. KIS allows 41.</summary>
    public int MaxRegistrations { get; init; } = 41;

    /// <summary>When the first connection fails, keep retrying with the reconnect policy instead of throwing.</summary>
    public bool RetryInitialConnect { get; init; }

    /// <summary>Reconnect backoff.</summary>
    public ReconnectPolicy Reconnect { get; init; } = ReconnectPolicy.Default;

    /// <summary>
    /// "May this session use its app key now?", asked by the session immediately before every connect (the first and
    /// each reconnect) and again after a connect, before any registration is sent on it. <c>false</c> (or an exception)
    /// refuses: before a connect, that attempt fails like a refused connection and the reconnect policy applies; after a
    /// connect, the connection is closed before anything is sent on it and the session reconnects later (asking again).
    /// Default null: always allowed. For a holder of an app-key lease (<c>KisFeed.Nats</c>'s gateway): the lease check
    /// runs inside the client right where the key is used, so a process frozen after an earlier check cannot connect or
    /// register on a key that has meanwhile changed hands. Keep it fast: it runs on the session's supervisor.
    /// </summary>
    public Func<CancellationToken, ValueTask<bool>>? ConnectGate { get; init; }

    /// <summary>Updates each consumer may have buffered before <see cref="ConsumerFullMode"/> applies.</summary>
    public int ConsumerBufferCapacity { get; init; } = 100_000;

    /// <summary>
    /// What to drop when a consumer's buffer is full, with the BCL's meaning: <see cref="BoundedChannelFullMode.DropOldest"/>
    /// (the default; the newest cumulative values are kept), <see cref="BoundedChannelFullMode.DropNewest"/> (the newest
    /// buffered update makes room) or <see cref="BoundedChannelFullMode.DropWrite"/> (the update that did not fit is
    /// dropped). <see cref="BoundedChannelFullMode.Wait"/> is refused: the socket reader never waits for a consumer.
    /// Gaps and healing outcomes in a feed are never dropped.
    /// </summary>
    public BoundedChannelFullMode ConsumerFullMode { get; init; } = BoundedChannelFullMode.DropOldest;

    /// <summary>
    /// Heal each data gap from the KIS REST history when the session is back (on by default; needs the app key and
    /// secret). Healed rows and the outcome reach feed consumers in-band.
    /// </summary>
    public bool HealGaps { get; init; } = true;

    /// <summary>REST settings used for healing (pace, retries, where the access token is cached). Null: <see cref="KisRestOptions.Default"/>.</summary>
    public KisRestOptions? Rest { get; init; }

    /// <summary>How often the session looks for subscriptions that were never disposed and are no longer referenced, and releases them.</summary>
    public TimeSpan AbandonedSweepInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Opens connections; the RFC 6455 client unless a test puts an in-memory one here.</summary>
    internal IKisTransport Transport { get; init; } = WebSocketTransport.Instance;

    /// <summary>Heals gaps; null: the client makes one over <see cref="KisRestClient"/> when it has the app key and secret.</summary>
    internal IGapHealer? GapHealer { get; init; }

    /// <summary>
    /// Creates the <c>KisFeed</c> meter of <see cref="KisFeedInstruments"/> (a hosted app passes its container's, as
    /// <see cref="ServiceCollectionExtensions.AddKisFeed"/> does). Null: one meter for the whole process.
    /// </summary>
    public IMeterFactory? MeterFactory { get; init; }

    /// <summary>Logging. Default: no logging.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>Clock and timers (use a fake one in tests).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>HTTP handler for the approval-key request (tests, proxies). Null: a default handler.</summary>
    public HttpMessageHandler? HttpHandler { get; init; }

    /// <summary>True when an approval key is given or can be obtained.</summary>
    public bool HasCredentials => !string.IsNullOrEmpty(ApprovalKey) || (!string.IsNullOrEmpty(AppKey) && !string.IsNullOrEmpty(AppSecret));

    /// <summary>
    /// Reads <c>KIS_APPKEY</c>, <c>KIS_APPSECRET</c>, <c>KIS_APPROVAL_KEY</c>, <c>KIS_CUSTTYPE</c>, <c>KIS_WS_URL</c> and
    /// <c>KIS_REST_URL</c> over <see cref="Default"/> (or <paramref name="baseOptions"/>).
    /// </summary>
    public static KisOptions FromEnvironment(KisOptions? baseOptions = null, Func<string, string?>? getVariable = null)
    {
        getVariable ??= Environment.GetEnvironmentVariable;
        KisOptions o = baseOptions ?? Default;
        static string? Clean(string? v) => string.IsNullOrWhiteSpace(v) ? null : v.Trim();
        string? custType = Clean(getVariable("KIS_CUSTTYPE"));
        string? ws = Clean(getVariable("KIS_WS_URL"));
        string? rest = Clean(getVariable("KIS_REST_URL"));
        return o with
        {
            AppKey = Clean(getVariable("KIS_APPKEY")) ?? o.AppKey,
            AppSecret = Clean(getVariable("KIS_APPSECRET")) ?? o.AppSecret,
            ApprovalKey = Clean(getVariable("KIS_APPROVAL_KEY")) ?? o.ApprovalKey,
            CustomerType = custType is null ? o.CustomerType : char.ToUpperInvariant(custType[0]),
            WebSocketUri = ws is null ? o.WebSocketUri : ParseUri("KIS_WS_URL", ws, "ws://127.0.0.1:21000"),
            RestUri = rest is null ? o.RestUri : ParseUri("KIS_REST_URL", rest, "http://127.0.0.1:9443"),
        };
    }

    private static Uri ParseUri(string variable, string text, string example) =>
        Uri.TryCreate(text, UriKind.Absolute, out Uri? uri) && !string.IsNullOrEmpty(uri.Host)
            ? uri
            : throw new ArgumentException($"{variable}='{text}' is not an absolute URL with a scheme; write it like {example}.", variable);

    /// <summary>Checks the settings and throws <see cref="ArgumentException"/> naming the first bad one.</summary>
    public void Validate()
    {
        if (CustomerType is not ('P' or 'B'))
        {
            throw new ArgumentException($"CustomerType must be 'P' (individual) or 'B' (corporate), not '{CustomerType}'.", nameof(CustomerType));
        }

        if (WebSocketUri.Scheme is not ("ws" or "wss"))
        {
            throw new ArgumentException($"WebSocketUri must be ws:// or wss://, not '{WebSocketUri}'.", nameof(WebSocketUri));
        }

        if (RestUri.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException($"RestUri must be http:// or https://, not '{RestUri}'.", nameof(RestUri));
        }

        if (MaxRegistrations < 1)
        {
            throw new ArgumentException("MaxRegistrations must be at least 1.", nameof(MaxRegistrations));
        }

        if (ConsumerBufferCapacity < 1)
        {
            throw new ArgumentException("ConsumerBufferCapacity must be at least 1.", nameof(ConsumerBufferCapacity));
        }

        if (ConsumerFullMode == BoundedChannelFullMode.Wait || !Enum.IsDefined(ConsumerFullMode))
        {
            throw new ArgumentException("ConsumerFullMode must be DropOldest, DropNewest or DropWrite: the socket reader never waits for a consumer (KIS drops sessions that stop answering PINGPONG).", nameof(ConsumerFullMode));
        }

        if (AbandonedSweepInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException("AbandonedSweepInterval must be positive.", nameof(AbandonedSweepInterval));
        }

        if (ReplyTimeout <= TimeSpan.Zero || ConnectTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("ReplyTimeout and ConnectTimeout must be positive.");
        }

        Reconnect.Validate();
    }

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("AppKey = ").Append(Secrets.Redact(AppKey))
            .Append(", AppSecret = ").Append(Secrets.Redact(AppSecret))
            .Append(", ApprovalKey = ").Append(Secrets.Redact(ApprovalKey))
            .Append(", CustomerType = ").Append(CustomerType)
            .Append(", WebSocketUri = ").Append(WebSocketUri)
            .Append(", RestUri = ").Append(RestUri)
            .Append(", MaxRegistrations = ").Append(MaxRegistrations)
            .Append(", IdleTimeout = ").Append(IdleTimeout)
            .Append(", Reconnect = ").Append(Reconnect);
        return true;
    }
}
