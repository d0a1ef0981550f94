using Microsoft.Extensions.Logging;

namespace KisFeed.Session;

/// <summary>
/// The WebSocket approval key (웹소켓 접속키): the one given in the options, or one requested with the app key and
/// secret, renewed after <c>OPSP0011</c>. <see cref="_gate"/> owns <see cref="_current"/>; the request itself runs
/// only on the supervisor task.
/// </summary>
internal sealed class ApprovalKeys : IDisposable
{
    private readonly KisOptions _options;
    private readonly ILogger _log;
    private readonly ApprovalKeyClient _client;
    private readonly KisMetrics _metrics;
    private readonly Lock _gate = new();
    private string? _current; // owned by _gate

    public ApprovalKeys(KisOptions options, ILogger log)
    {
        _options = options;
        _log = log;
        _client = new ApprovalKeyClient(options.RestUri, options.HttpHandler);
        _metrics = KisMetrics.For(options.MeterFactory);
        _current = options.ApprovalKey;
    }

    /// <summary>The key in use, or null when a new one must be requested.</summary>
    public string? Current
    {
        get
        {
            lock (_gate)
            {
                return _current;
            }
        }
    }

    /// <summary>True when KisFeed can request a new key by itself.</summary>
    public bool CanRenew => !string.IsNullOrEmpty(_options.AppKey) && !string.IsNullOrEmpty(_options.AppSecret);

    /// <summary>Forgets the key (KIS answered <c>OPSP0011</c>); the next connection requests a new one.</summary>
    public void Invalidate()
    {
        lock (_gate)
        {
            _current = null;
        }
    }

    /// <summary>
    /// Returns the key, requesting one if needed. KIS allows one request a second (<c>EGW00201</c> otherwise, easily hit
    /// when two commands start together), so a rate-limited request is retried once after a second.
    /// </summary>
    public async Task<string> EnsureAsync(CancellationToken cancellationToken)
    {
        string? key = Current;
        if (!string.IsNullOrEmpty(key))
        {
            return key;
        }

        if (!CanRenew)
        {
            throw new KisException(
                "No WebSocket approval key and no app key/secret to request one. Set KIS_APPKEY and KIS_APPSECRET (or KisOptions.AppKey/AppSecret), or KisOptions.ApprovalKey.");
        }

        try
        {
            key = await RequestAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (KisApiException ex) when (ex.IsRateLimited)
        {
            Log.ApprovalRateLimited(_log, Secrets.Redact(_options.AppKey));
            await Task.Delay(TimeSpan.FromSeconds(1.1), _options.TimeProvider, cancellationToken).ConfigureAwait(false);
            key = await RequestAsync(cancellationToken).ConfigureAwait(false);
        }

        Log.ApprovalKeyIssued(_log, Secrets.Redact(_options.AppKey));
        lock (_gate)
        {
            _current = key;
        }

        return key;
    }

    /// <summary>One approval request, counted as a REST call (and, refused as too fast, as <c>EGW00201</c>).</summary>
    private async Task<string> RequestAsync(CancellationToken cancellationToken)
    {
        try
        {
            string key = await _client.RequestAsync(_options.AppKey!, _options.AppSecret!, cancellationToken).ConfigureAwait(false);
            _metrics.RestCall(ApprovalKeyClient.Operation, "ok");
            return key;
        }
        catch (KisApiException ex)
        {
            _metrics.RestCall(ApprovalKeyClient.Operation, "error");
            if (ex.ErrorCode == "EGW00201")
            {
                _metrics.RateLimited(ApprovalKeyClient.Operation);
            }

            throw;
        }
        catch (KisException)
        {
            _metrics.RestCall(ApprovalKeyClient.Operation, "unreachable");
            throw;
        }
    }

    /// <summary>Every secret the session knows, for scrubbing text before it is logged or shown.</summary>
    public string Scrub(string? text) => Secrets.Scrub(text, _options.AppKey, _options.AppSecret, Current, _options.ApprovalKey);

    public void Dispose() => _client.Dispose();
}
