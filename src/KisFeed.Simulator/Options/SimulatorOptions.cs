using Microsoft.Extensions.Logging;

namespace KisFeed.Simulator;

/// <summary>Options for <see cref="KisSimulator"/>. Start from <see cref="Default"/> and use <c>with</c>.</summary>
public sealed record SimulatorOptions
{
    /// <summary>The defaults: loopback, ephemeral port, the demo credential, 2 updates/s, 100 ms ticks, always open.</summary>
    public static SimulatorOptions Default { get; } = new();

    /// <summary>
    /// <see cref="Default"/> with the REST history reaching back to the start of the KST day (the demos: <c>watch</c>
    /// with no credentials, <c>kisfeed simulate</c>, the demo gateway), instead of the shallow 30-minute window KIS is
    /// designed against.
    /// </summary>
    public static SimulatorOptions Demo { get; } = new() { Rest = SimulatorRestOptions.Default with { HistoryDepth = TimeSpan.FromDays(1) } };

    /// <summary>IP address to listen on. Default <c>127.0.0.1</c>.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks an ephemeral port (see <see cref="KisSimulator.RestBaseUri"/>).</summary>
    public int Port { get; init; }

    /// <summary>Accepted credentials. Default: only <see cref="SimulatorCredential.Demo"/>.</summary>
    public IReadOnlyList<SimulatorCredential> Credentials { get; init; } = [SimulatorCredential.Demo];

    /// <summary>
    /// Seed of the market model. The market is a function of (seed, stock, venue, KST date, second): every simulator
    /// with the same seed, hours, update rate and universe serves the same values for the same second, whenever it started.
    /// </summary>
    public int Seed { get; init; } = 20_250_709;

    /// <summary>The listed stocks and indices. Default <see cref="SimulatorUniverse.Default"/> (about 2,600 stocks).</summary>
    public SimulatorUniverse Universe { get; init; } = SimulatorUniverse.Default;

    /// <summary>What a WebSocket subscription to a code outside <see cref="Universe"/> gets. Default <see cref="UnknownCodeReply.Refuse"/>.</summary>
    public UnknownCodeReply UnknownCodes { get; init; } = UnknownCodeReply.Refuse;

    /// <summary>
    /// Average updates per (tr_id, tr_key) per second while its venue is open (at 1 or more, every open second has at
    /// least one); 0 = no automatic data (drive it with <see cref="KisSimulator.PublishNow(int)"/>).
    /// </summary>
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

    /// <summary>
    /// The simulator's own bookkeeping for tests across processes (not a KIS feature; <see langword="null"/>, the default,
    /// writes nothing): every data record written to a socket is appended to this file as a line, with the session, frame
    /// and send time, and a status line (records sent, OPSP8996 refusals, most sessions bound to one app key at once) is
    /// appended every second and when the simulator stops. <see cref="SimulatorLedgerFile.Read"/> reads it back.
    /// </summary>
    public string? LedgerFile { get; init; }

    /// <summary>
    /// Serves <c>GET /simulator/status</c> (the ledger status as JSON) and <c>POST /simulator/stall?on=true|false</c>
    /// (<see cref="KisSimulator.Stall"/>) and <c>POST /simulator/drop?mode=abort|close-normal|close-error</c>
    /// (<see cref="KisSimulator.DropAllSessionsAsync"/>) for a test driving a simulator in another process. Not KIS
    /// endpoints; off by default.
    /// </summary>
    public bool AdminEndpoints { get; init; }

    /// <summary>The REST side: token and call limits, history window depth and page size.</summary>
    public SimulatorRestOptions Rest { get; init; } = SimulatorRestOptions.Default;

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
        ArgumentNullException.ThrowIfNull(Universe);
        ArgumentNullException.ThrowIfNull(Rest);
        Rest.Validate();
    }
}
