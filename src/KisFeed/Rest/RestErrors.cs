using System.Text.Json;

namespace KisFeed.Rest;

/// <summary>Turns a KIS REST error reply into a <see cref="KisApiException"/> whose message says what to do for its code.</summary>
internal static class RestErrors
{
    public const string RateLimit = "EGW00201";
    public const string TokenRateLimit = "EGW00133";
    public const string TokenExpired = "EGW00123";
    public const string TokenInvalid = "EGW00121";

    /// <summary>Reads <c>{error_code, error_description}</c> or <c>{rt_cd, msg_cd, msg1}</c>; null for anything else.</summary>
    public static KisReplyDto? TryRead(string body)
    {
        if (string.IsNullOrWhiteSpace(body) || body.TrimStart()[0] != '{')
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(body, RestJsonContext.Default.KisReplyDto);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The error for a reply that is not a success. <paramref name="body"/> must already be scrubbed of secrets.</summary>
    public static KisApiException Create(string operation, int status, string body, KisReplyDto? reply)
    {
        string? code = reply?.ErrorCode ?? reply?.MsgCd;
        string? text = reply?.ErrorDescription ?? reply?.Msg1;
        string kis = code is null && text is null ? $"HTTP {status}: {Shorten(body)}" : $"HTTP {status} {code} {text}".TrimEnd();
        string message = code switch
        {
            RateLimit => $"KIS refused {operation}: {kis}. Too many REST calls a second for this app key; calls are paced and retried with backoff, so another program or machine is probably using the same app key.",
            TokenRateLimit => $"KIS refused {operation}: {kis}. KIS issues one access token a minute per app key; KisFeed keeps the token in the cache directory, so another program asked for one. Wait a minute.",
            TokenExpired or TokenInvalid => $"KIS refused the access token for {operation}: {kis}, and a renewed token was refused too.",
            "EGW00101" or "EGW00102" or "EGW00103" or "EGW00104" or "EGW00105" => $"KIS refused {operation}: {kis}. Check KIS_APPKEY and KIS_APPSECRET.",
            _ => $"KIS answered {operation} with an error: {kis}.",
        };
        return new KisApiException(message, operation, code, text, status);
    }

    private static string Shorten(string text)
    {
        text = text.ReplaceLineEndings(" ").Trim();
        return text.Length == 0 ? "(empty body)" : text.Length <= 160 ? text : text[..160] + "…";
    }
}
