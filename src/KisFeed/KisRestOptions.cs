namespace KisFeed;

/// <summary>
/// Settings of <see cref="KisRestClient"/>. The endpoint, credentials, clock, logging and HTTP handler come from
/// <see cref="KisOptions"/>; these are the REST-only ones. Immutable: start from <see cref="Default"/> and use <c>with</c>.
/// </summary>
public sealed record KisRestOptions
{
    /// <summary>The defaults: 18 calls a second, token cache on disk, renewal 30 minutes before expiry.</summary>
    public static KisRestOptions Default { get; } = new();

    /// <summary>
    /// REST calls per second per app key. KIS allows about 20 (18 on the real server since its notice of 2026-04-20).
    /// One limiter per app key serves every client in the process; the first client of an app key sets its rate.
    /// </summary>
    public double RequestsPerSecond { get; init; } = 18;

    /// <summary>Retries of a call refused with <c>EGW00201</c> (exponential backoff with jitter).</summary>
    public int RateLimitRetries { get; init; } = 5;

    /// <summary>First backoff delay after <c>EGW00201</c>; each retry doubles it.</summary>
    public TimeSpan RateLimitBackoff { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>A cached token this close to its expiry is renewed before use.</summary>
    public TimeSpan RenewBeforeExpiry { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Keep the access token across processes (so two commands in a row don't trip <c>EGW00133</c>): one file per app key
    /// (named by a hash of it) in this directory, owner-only (0600), never holding the app secret. Null: the user's cache
    /// directory, <c>$XDG_CACHE_HOME/kisfeed/tokens</c> or <c>~/.cache/kisfeed/tokens</c>.
    /// </summary>
    public string? TokenCacheDirectory { get; init; }

    /// <summary>False: keep the token only in this process.</summary>
    public bool PersistToken { get; init; } = true;

    /// <summary>
    /// At most this many pages of one intraday history request: while KIS answers <c>tr_cont</c> <c>F</c> or <c>M</c>
    /// (more data) the client asks again with <c>tr_cont: N</c>, each page a call through the app key's limiter. 1 turns
    /// paging off. Default 20 (at 18 calls/s, about a second per registration at most).
    /// </summary>
    public int MaxHistoryPages { get; init; } = 20;

    /// <summary>Time allowed for one HTTP exchange.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(15);

    internal void Validate()
    {
        if (!(RequestsPerSecond > 0) || RequestsPerSecond > 1000)
        {
            throw new ArgumentException("RequestsPerSecond must be above 0 and at most 1000.", nameof(RequestsPerSecond));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(RateLimitRetries);
        ArgumentOutOfRangeException.ThrowIfLessThan(RateLimitBackoff, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(RenewBeforeExpiry, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Timeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxHistoryPages, 1);
    }
}
