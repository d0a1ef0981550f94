using Microsoft.Extensions.Logging;

namespace KisFeed.Simulator;

/// <summary>An app key / app secret pair the simulator accepts on <c>POST /oauth2/Approval</c>.</summary>
/// <param name="AppKey">The app key (36 characters at KIS).</param>
/// <param name="AppSecret">The app secret (180 characters at KIS; sent as <c>secretkey</c>).</param>
public sealed record SimulatorCredential(string AppKey, string AppSecret)
{
    /// <summary>
    /// A DEMO credential, valid only against this simulator. Shaped like a real KIS pair
    /// (app key 36 characters, secret 180 characters, protocol notes §1.1) so length checks in clients are exercised.
    /// </summary>
    public static SimulatorCredential Demo { get; } = new(
        "PSDEMO-SIMULATOR-APPKEY-000000000001",
        ("DEMO-SIMULATOR-APPSECRET-NOT-A-REAL-KIS-SECRET-" + new string('0', 180))[..180]);

    /// <inheritdoc />
    public override string ToString() => $"SimulatorCredential {{ AppKey = {Redact.Key(AppKey)}, AppSecret = {Redact.Key(AppSecret)} }}";
}

/// <summary>Which trading hours the market model honours.</summary>
public enum MarketHours
{
    /// <summary>Every venue is open at every instant (demos and most tests).</summary>
    AlwaysOpen,

    /// <summary>
    /// Per-venue session hours in Korea time (protocol notes §8.3, community sources): NXT pre 08:00–08:50,
    /// main 09:00:30–15:20, after 15:40–20:00; KRX main 09:00–15:30, after-market 16:00–20:00; unified = union;
    /// weekends closed (holidays are not modelled). Subscribing still succeeds outside hours; no data is sent.
    /// </summary>
    Real,
}

/// <summary>Whether error replies carry a <c>header</c> (notes §4.3: captures disagree).</summary>
public enum ErrorReplyShape
{
    /// <summary>
    /// Every reply has <c>{"header":{"tr_id","tr_key","encrypt"},"body":{...}}</c>: the requested tr_id/tr_key, or
    /// <c>"(null)"</c> / <c>""</c> for session-level errors (OPSP8996) and requests that named no TR. The official
    /// sample's <c>system_resp</c> reads <c>rdic["header"]["tr_id"]</c> and fails on a reply without one.
    /// </summary>
    WithHeader,

    /// <summary>Error replies (<c>rt_cd</c> ≠ <c>"0"</c>) are body only, like some captured frames (OPSP0011, OPSP0003, OPSP8996).</summary>
    BodyOnly,
}

/// <summary>How <see cref="KisSimulator.DropAllSessionsAsync"/> ends sessions.</summary>
public enum DropMode
{
    /// <summary>TCP close without a close frame (an abnormal 1006 for the client).</summary>
    Abort,

    /// <summary>Close handshake with status 1000.</summary>
    CloseNormal,

    /// <summary>Close handshake with status 1011 (internal error).</summary>
    CloseError,
}

/// <summary>Options for <see cref="KisSimulator"/>. Start from <see cref="Default"/> and use <c>with</c>.</summary>
public sealed record SimulatorOptions
{
    /// <summary>The defaults: loopback, ephemeral port, the demo credential, 2 updates/s, 100 ms ticks, always open.</summary>
    public static SimulatorOptions Default { get; } = new();

    /// <summary>IP address to listen on. Default <c>127.0.0.1</c>.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks an ephemeral port (see <see cref="KisSimulator.RestBaseUri"/>).</summary>
    public int Port { get; init; }

    /// <summary>Accepted credentials. Default: only <see cref="SimulatorCredential.Demo"/>.</summary>
    public IReadOnlyList<SimulatorCredential> Credentials { get; init; } = [SimulatorCredential.Demo];

    /// <summary>Seed of the market model; equal seeds give equal data for equal tick sequences.</summary>
    public int Seed { get; init; } = 20_250_709;

    /// <summary>Average updates per (tr_id, tr_key) per second while its venue is open; 0 = no automatic data.</summary>
    public double UpdatesPerSecond { get; init; } = 2;

    /// <summary>Tick period: each tick generates the due updates; per session and TR they go out in ONE frame.</summary>
    public TimeSpan TickInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Session hours. Default <see cref="MarketHours.AlwaysOpen"/>.</summary>
    public MarketHours Hours { get; init; } = MarketHours.AlwaysOpen;

    /// <summary>Period of the server's <c>PINGPONG</c> frame. Default 30 s (KIS does not document its interval).</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A session whose oldest unanswered <c>PINGPONG</c> is this old is aborted (no close frame).
    /// <see langword="null"/> = 2 × <see cref="PingInterval"/>.
    /// </summary>
    public TimeSpan? PingTimeout { get; init; }

    /// <summary>(tr_id, tr_key) registrations per session; the next one gets OPSP0008. Default 41 (notes §8.1).</summary>
    public int MaxRegistrations { get; init; } = 41;

    /// <summary>Lifetime of an approval key for binding new sessions. Default 24 h (notes §1.1).</summary>
    public TimeSpan ApprovalKeyLifetime { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Approval keys per app key per second (notes §1.1: 초당 1건); 0 disables the limit.</summary>
    public int ApprovalRateLimitPerSecond { get; init; } = 1;

    /// <summary>
    /// When positive, after a session ends without a clean close handshake its app key answers
    /// OPSP8996 ALREADY IN USE for this long (notes §8.1, §10: zombie sessions). Default zero (off).
    /// </summary>
    public TimeSpan AppKeyLockAfterAbnormalClose { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// When <see langword="true"/> (default), a WebSocket PONG frame from the client that does not carry the PINGPONG JSON
    /// aborts the session. This reproduces the drop of .NET clients with the default <c>KeepAliveInterval</c> (which sends
    /// such unsolicited PONGs every 30 s) reported in notes §5/§10, while a PONG or PING frame that carries the PINGPONG
    /// JSON counts as an echo (the official python variants of notes §5). The cause is [inferred].
    /// </summary>
    public bool AbortOnUnsolicitedPong { get; init; } = true;

    /// <summary>Whether error replies carry a header. Default <see cref="ErrorReplyShape.WithHeader"/>.</summary>
    public ErrorReplyShape ErrorReplyShape { get; init; } = ErrorReplyShape.WithHeader;

    /// <summary>
    /// Fault: when <see langword="true"/>, one data frame carries the pending records of every subscribed code of a TR
    /// (<c>0|H0STPGM0|004|005930^…^000660^…</c>). No capture shows KIS mixing codes in one frame, so by default
    /// (<see langword="false"/>) a frame carries the records of one (TR, code) only (notes §6: <c>|004|</c> paging).
    /// </summary>
    public bool MixCodesInFrames { get; init; }

    /// <summary>Frames queued per session before it counts as too slow and is aborted. Default 4096.</summary>
    public int SendQueueCapacity { get; init; } = 4096;

    /// <summary>Ledger records kept per session (older sessions keep theirs); beyond it, recording stops. Default 1,000,000.</summary>
    public int LedgerCapacityPerSession { get; init; } = 1_000_000;

    /// <summary>Clock for everything time-related (ticks, pings, key expiry, hours). Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Logger factory; <see langword="null"/> = no logging.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    internal TimeSpan EffectivePingTimeout => PingTimeout ?? (PingInterval * 2);

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Host);
        ArgumentOutOfRangeException.ThrowIfNegative(Port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Port, 65535);
        ArgumentNullException.ThrowIfNull(Credentials);
        ArgumentNullException.ThrowIfNull(TimeProvider);
        ArgumentOutOfRangeException.ThrowIfNegative(UpdatesPerSecond);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(TickInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(PingInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(EffectivePingTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRegistrations, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(ApprovalRateLimitPerSecond);
        ArgumentOutOfRangeException.ThrowIfLessThan(SendQueueCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(LedgerCapacityPerSession);
    }
}

internal static class Redact
{
    /// <summary>First 4 characters and the length: never log a secret or approval key in full.</summary>
    public static string Key(string? value) =>
        value is null ? "(null)" : value.Length <= 4 ? $"****(len {value.Length})" : $"{value[..4]}…(len {value.Length})";
}
