using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

using Microsoft.AspNetCore.Http;

namespace KisFeed.Simulator;

// POST /oauth2/tokenP and /oauth2/revokeP (notes §1.2): one token per app key, reused within 6 h, one request a minute.
public sealed partial class KisSimulator
{
    private async Task HandleTokenAsync(HttpContext context)
    {
        Interlocked.Increment(ref _tokenRequests);
        (Dictionary<string, string>? body, bool ok) = await ReadBodyAsync(context).ConfigureAwait(false);
        if (!ok || body is null || body.GetValueOrDefault("grant_type") != "client_credentials")
        {
            await OAuthErrorAsync(context, "EGW00101", "유효하지 않은 요청입니다.").ConfigureAwait(false);
            return;
        }

        if (await CheckCredentialAsync(context, body.GetValueOrDefault("appkey"), body.GetValueOrDefault("appsecret")).ConfigureAwait(false) is not { } appKey)
        {
            return;
        }

        SimulatorRestOptions o = Options.Rest;
        DateTimeOffset now = Time.GetUtcNow();
        TokenState state;
        bool refused = false, issued = false;
        lock (_tokens)
        {
            if (!_tokens.TryGetValue(appKey, out state!))
            {
                state = new TokenState();
                _tokens[appKey] = state;
            }

            if (o.TokenRequestInterval > TimeSpan.Zero && state.LastRequest is { } last && now - last < o.TokenRequestInterval)
            {
                refused = true;
            }
            else
            {
                state.LastRequest = now;
                if (state.Token is null || state.Revoked || now - state.IssuedAt >= o.TokenReuseWindow || now >= state.ExpiresAt)
                {
                    state.Token = NewToken();
                    state.IssuedAt = now;
                    state.ExpiresAt = now + o.TokenLifetime;
                    state.Revoked = false;
                    issued = true;
                }
            }
        }

        if (refused)
        {
            // Notes §1.2: exactly this body, HTTP 403 (KIS also sends a KakaoTalk notice per issuance).
            await OAuthErrorAsync(context, "EGW00133", "접근토큰 발급 잠시 후 다시 시도하세요(1분당 1회)").ConfigureAwait(false);
            return;
        }

        if (issued)
        {
            Interlocked.Increment(ref _tokensIssued);
        }

        string token;
        DateTimeOffset expires;
        lock (_tokens)
        {
            token = state.Token!;
            expires = state.ExpiresAt;
        }

        Log.TokenAnswered(Logger, Redact.Key(appKey), issued);
        await WriteJsonAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteString("access_token", token);
            w.WriteString("access_token_token_expired", KoreaTime.ToKst(expires).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture));
            w.WriteString("token_type", "Bearer");
            w.WriteNumber("expires_in", (long)Math.Max(0, (expires - now).TotalSeconds));
        }).ConfigureAwait(false);
    }

    private async Task HandleRevokeAsync(HttpContext context)
    {
        (Dictionary<string, string>? body, bool ok) = await ReadBodyAsync(context).ConfigureAwait(false);
        if (!ok || body is null)
        {
            await OAuthErrorAsync(context, "EGW00101", "유효하지 않은 요청입니다.").ConfigureAwait(false);
            return;
        }

        if (await CheckCredentialAsync(context, body.GetValueOrDefault("appkey"), body.GetValueOrDefault("appsecret")).ConfigureAwait(false) is not { } appKey)
        {
            return;
        }

        string? token = body.GetValueOrDefault("token");
        bool revoked = false;
        lock (_tokens)
        {
            if (token is not null && _tokens.TryGetValue(appKey, out TokenState? s) && s.Token == token && !s.Revoked)
            {
                s.Revoked = true;
                revoked = true;
            }
        }

        if (!revoked)
        {
            // [inferred] code and text: the gateway's "invalid token" answer.
            await OAuthErrorAsync(context, "EGW00121", "유효하지 않은 token 입니다.").ConfigureAwait(false);
            return;
        }

        // Fields code/message as in KIS's revoke metadata; the text is [inferred].
        await WriteJsonAsync(context, StatusCodes.Status200OK, w =>
        {
            w.WriteNumber("code", 200);
            w.WriteString("message", "접근토큰 폐기에 성공하였습니다");
        }).ConfigureAwait(false);
    }

    private async Task<string?> CheckCredentialAsync(HttpContext context, string? appKey, string? secret)
    {
        if (string.IsNullOrEmpty(appKey))
        {
            await OAuthErrorAsync(context, "EGW00102", "AppKey는 필수입니다.").ConfigureAwait(false);
            return null;
        }

        SimulatorCredential? cred = Options.Credentials.FirstOrDefault(c => c.AppKey == appKey);
        if (cred is null)
        {
            await OAuthErrorAsync(context, "EGW00103", "유효하지 않은 AppKey입니다.").ConfigureAwait(false);
            return null;
        }

        if (string.IsNullOrEmpty(secret))
        {
            await OAuthErrorAsync(context, "EGW00104", "AppSecret은 필수입니다.").ConfigureAwait(false);
            return null;
        }

        if (secret != cred.AppSecret)
        {
            await OAuthErrorAsync(context, "EGW00105", "유효하지 않은 AppSecret입니다.").ConfigureAwait(false);
            return null;
        }

        return cred.AppKey;
    }

    private static async Task<(Dictionary<string, string>? Body, bool Ok)> ReadBodyAsync(HttpContext context)
    {
        try
        {
            using JsonDocument doc = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted).ConfigureAwait(false);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, false);
            }

            var d = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (JsonProperty p in doc.RootElement.EnumerateObject())
            {
                if (p.Value.ValueKind == JsonValueKind.String)
                {
                    d[p.Name] = p.Value.GetString()!;
                }
            }

            return (d, true);
        }
        catch (JsonException)
        {
            return (null, false);
        }
    }

    /// <summary>A JWT-shaped token like KIS's (header.payload.signature, base64url), random per issuance.</summary>
    private string NewToken()
    {
        static string B64(byte[] b) => Convert.ToBase64String(b).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        string payload = "{\"sub\":\"simulator\",\"iss\":\"kisfeed-simulator\",\"jti\":\"" + Guid.NewGuid().ToString("N") + "\",\"iat\":" +
            Time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) + "}";
        return B64("{\"typ\":\"JWT\",\"alg\":\"HS512\"}"u8.ToArray()) + "." + B64(System.Text.Encoding.UTF8.GetBytes(payload)) + "." + B64(RandomNumberGenerator.GetBytes(64));
    }
}
