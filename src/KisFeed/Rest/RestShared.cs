using System.Collections.Concurrent;

namespace KisFeed.Rest;

/// <summary>
/// What every <see cref="KisRestClient"/> of the process shares: one rate limiter per app key (per clock) and one token
/// cache per (REST endpoint, app key, cache file). Tests make their own instance; everyone else uses <see cref="Default"/>.
/// </summary>
internal sealed class RestShared
{
    private readonly ConcurrentDictionary<(string AppKey, TimeProvider Time), Lazy<RestRateLimiter>> _limiters = new();
    private readonly ConcurrentDictionary<(string Endpoint, string AppKey, string File), AccessTokenCache> _tokens = new();

    public static RestShared Default { get; } = new();

    public RestRateLimiter Limiter(string appKey, TimeProvider time, double requestsPerSecond) =>
        _limiters.GetOrAdd((appKey, time), k => new Lazy<RestRateLimiter>(() => new RestRateLimiter(requestsPerSecond, k.Time))).Value;

    public AccessTokenCache Tokens(string restAuthority, string appKey, string? filePath) =>
        _tokens.GetOrAdd((restAuthority, appKey, filePath ?? string.Empty), k => new AccessTokenCache(k.Endpoint, k.AppKey, filePath));
}
