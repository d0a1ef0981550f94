namespace KisFeed.Simulator;

/// <summary>
/// The simulator's REST side (<c>tokenP</c>, <c>revokeP</c>, program-trading history): the limits KIS enforces and the
/// shape of the history window. Set through <see cref="SimulatorOptions.Rest"/>; every time goes through
/// <see cref="SimulatorOptions.TimeProvider"/>.
/// </summary>
public sealed record SimulatorRestOptions
{
    /// <summary>The defaults (KIS's limits as documented, a 30-minute history window of at most 500 rows).</summary>
    public static SimulatorRestOptions Default { get; } = new();

    /// <summary>How long an access token is valid. KIS: 1 day (<c>expires_in</c> 86400).</summary>
    public TimeSpan TokenLifetime { get; init; } = TimeSpan.FromDays(1);

    /// <summary>A token request within this time of the token's issuance returns the same token. KIS: 6 hours.</summary>
    public TimeSpan TokenReuseWindow { get; init; } = TimeSpan.FromHours(6);

    /// <summary>
    /// At most one token request per app key per this interval; another gets <c>403 EGW00133</c>. KIS: 1 minute.
    /// <see cref="TimeSpan.Zero"/> disables the limit.
    /// </summary>
    public TimeSpan TokenRequestInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// History calls per app key in any one second; the next gets <c>EGW00201</c>. KIS: about 20 (18 since the
    /// notice of 2026-04-20). 0 disables the limit.
    /// </summary>
    public int CallsPerSecond { get; init; } = 20;

    /// <summary>
    /// How far back one <c>program-trade-by-stock</c> call reaches (undocumented at KIS; designed for shallow), never
    /// before midnight KST. <see cref="SimulatorOptions.Demo"/> sets a whole day.
    /// </summary>
    public TimeSpan HistoryDepth { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Within this time of now, a history row for every second that ended on an update; before it, one row per minute
    /// (the last such second of the minute), so a whole day stays a few pages [inferred: KIS documents neither].
    /// </summary>
    public TimeSpan HistoryDetail { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// True: every daily row's <c>whol_ntby_vol_icdc</c> / <c>whol_ntby_tr_pbmn_icdc2</c> equals the day's net itself,
    /// as a client reports KIS does on some days (notes §14); false (default): the change against the previous trading day.
    /// </summary>
    public bool DailyIncreaseEqualsNet { get; init; }

    /// <summary>Rows of a <c>volume-rank</c> reply (KIS: "최대 30건 확인 가능하며, 다음 조회가 불가합니다").</summary>
    public int VolumeRankRows { get; init; } = 30;

    /// <summary>Days of a <c>comp-program-trade-daily</c> reply [inferred]; KIS refuses a start more than 8 months back.</summary>
    public int MarketDailyRows { get; init; } = 30;

    /// <summary>
    /// At most this many rows per <c>program-trade-by-stock</c> reply, newest first; older rows of the window come on the
    /// next pages (response <c>tr_cont</c> <c>F</c>/<c>M</c>, asked for with the request header <c>tr_cont: N</c>; [inferred]).
    /// </summary>
    public int PageSize { get; init; } = 500;

    /// <summary>At most this many rows per <c>program-trade-by-stock-daily</c> reply.</summary>
    public int DailyPageSize { get; init; } = 30;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(TokenLifetime, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(TokenReuseWindow, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(TokenRequestInterval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegative(CallsPerSecond);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(HistoryDepth, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(HistoryDepth, TimeSpan.FromDays(1));
        ArgumentOutOfRangeException.ThrowIfLessThan(PageSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(DailyPageSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(HistoryDetail, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(VolumeRankRows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MarketDailyRows, 1);
    }
}
