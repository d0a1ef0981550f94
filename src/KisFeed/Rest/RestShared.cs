using System.Collections.Concurrent;

namespace KisFeed.Rest;

/// <summary>
/// What every <see cref="KisRestClient"/> of the process shares: one rate limiter per app key (per clock), one token
/// cache per (REST endpoint, app key, cache file), and one history pager at a time per (REST endpoint, app key, code,
/// venue). Tests make their own instance; everyone else uses <see cref="Default"/>.
/// </summary>
internal sealed class RestShared
{
    private readonly ConcurrentDictionary<(string AppKey, TimeProvider Time), Lazy<RestRateLimiter>> _limiters = new();
    private readonly ConcurrentDictionary<(string Endpoint, string AppKey, string File), AccessTokenCache> _tokens = new();

    private readonly ConcurrentDictionary<(string Endpoint, string AppKey, string Code, Venue Venue), SemaphoreSlim> _historyPaging = new();

    public static RestShared Default { get; } = new();

    /// <summary>
    /// The gate of paged history requests for one stock on one venue: <c>tr_cont N</c> asks for "the next page" of the same
    /// request, which a server can only answer from state it keeps per app key and query, so two interleaved pagers (a
    /// seed and a board's price history, each with its own client) would each get part of the day.
    /// </summary>
    public SemaphoreSlim HistoryPaging(string restAuthority, string appKey, string code, Venue venue) =>
        _historyPaging.GetOrAdd((restAuthority, appKey, code, venue), static _ => new SemaphoreSlim(1, 1));

    public RestRateLimiter Limiter(string appKey, TimeProvider time, double requestsPerSecond) =>
        _limiters.GetOrAdd((appKey, time), k => new Lazy<RestRateLimiter>(() => new RestRateLimiter(requestsPerSecond, k.Time))).Value;

    public AccessTokenCache Tokens(string restAuthority, string appKey, string? filePath) =>
        _tokens.GetOrAdd((restAuthority, appKey, filePath ?? string.Empty), k => new AccessTokenCache(k.Endpoint, k.AppKey, filePath));
}
