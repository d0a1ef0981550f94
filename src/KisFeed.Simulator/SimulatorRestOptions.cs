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

    /// <summary>How far back one <c>program-trade-by-stock</c> call reaches (undocumented at KIS; designed for shallow).</summary>
    public TimeSpan HistoryDepth { get; init; } = TimeSpan.FromMinutes(30);

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
    }
}

/// <summary>What happens to the next REST history calls (see <see cref="KisSimulator.InjectRestFault"/>).</summary>
public enum RestFault
{
    /// <summary>Calls are answered normally.</summary>
    None,

    /// <summary>The call fails: HTTP 502 with a non-JSON body, as a gateway in trouble would answer.</summary>
    Fail,

    /// <summary>The call succeeds with only the newest half of its rows and no next page (a truncated answer).</summary>
    Partial,

    /// <summary>The call is refused with <c>EGW00201</c> as if over the rate limit.</summary>
    RateLimit,
}
