using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace KisFeed.Session;

/// <summary>Obtains WebSocket approval keys (웹소켓 접속키) with <c>POST {rest}/oauth2/Approval</c>.</summary>
internal sealed class ApprovalKeyClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly Uri _rest;

    /// <summary>Creates a client for <paramref name="restUri"/> (default: the live KIS REST endpoint).</summary>
    public ApprovalKeyClient(Uri? restUri = null, HttpMessageHandler? handler = null, TimeSpan? timeout = null)
    {
        _rest = restUri ?? KisOptions.LiveRestUri;
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        _http.Timeout = timeout ?? TimeSpan.FromSeconds(15);
    }

    /// <summary>
    /// Requests an approval key. The body is <c>{"grant_type":"client_credentials","appkey":..,"secretkey":..}</c>
    /// (KIS calls the app secret <c>secretkey</c> here). Failures raise <see cref="KisApiException"/> (KIS answered) or <see cref="KisException"/> (no answer) with the HTTP
    /// status and the KIS error, never the secret.
    /// </summary>
    public async Task<string> RequestAsync(string appKey, string appSecret, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(appKey);
        ArgumentException.ThrowIfNullOrEmpty(appSecret);
        var uri = new Uri(_rest, "/oauth2/Approval");
        string body = JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["appkey"] = appKey,
            ["secretkey"] = appSecret,
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, uri)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        string who = $"app key {Secrets.Redact(appKey)}";

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new KisException($"Could not reach {uri} to get a WebSocket approval key: {ex.Message}. Check the network and the REST URL (KIS_REST_URL).", ex, isTransient: true);
        }
        catch (TaskCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw new KisException($"{uri} did not answer within {_http.Timeout.TotalSeconds:0} s when asked for a WebSocket approval key.", new TimeoutException(ex.Message, ex), isTransient: true);
        }

        using (response)
        {
            string text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            text = Secrets.Scrub(text, appKey, appSecret);
            (string? key, string? code, string? message) = ReadBody(text);
            int status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode && !string.IsNullOrEmpty(key))
            {
                return key;
            }

            string kis = code is null && message is null ? Shorten(text) : $"{code} {message}".Trim();
            // The rate limit comes first: KIS answers it with a 4xx too, and it says nothing about the credentials.
            string hint = IsRateLimit(status, code)
                ? "KIS allows one approval key request per second (another command or client may have just asked); KisFeed retries once after a second."
                : status is 401 or 403 or 400 ? "Check KIS_APPKEY and KIS_APPSECRET (the app secret is sent as 'secretkey')." : "Retry later.";
            throw response.IsSuccessStatusCode
                ? new KisApiException($"{uri} answered HTTP {status} for {who} without an approval_key: {kis}.", Operation, code, message, status)
                : new KisApiException($"KIS refused the approval key request for {who}: HTTP {status} {kis}. {hint}", Operation, code, message, status);
        }
    }

    /// <summary>The <see cref="KisApiException.Operation"/> of an approval request.</summary>
    public const string Operation = "approval";

    /// <summary>True for KIS's rate-limit answer (<c>EGW00201</c>, or HTTP 429).</summary>
    internal static bool IsRateLimit(int? status, string? code) => status == 429 || code == "EGW00201";

    private static (string? Key, string? Code, string? Message) ReadBody(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return default;
            }

            string? Get(string name) => doc.RootElement.TryGetProperty(name, out JsonElement e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
            return (Get("approval_key"), Get("error_code") ?? Get("msg_cd"), Get("error_description") ?? Get("msg1"));
        }
        catch (JsonException)
        {
            return default;
        }
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";

    /// <inheritdoc/>
    public void Dispose() => _http.Dispose();
}
