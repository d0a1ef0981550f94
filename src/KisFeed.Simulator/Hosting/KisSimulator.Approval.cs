using System.Text.Json;

using Microsoft.AspNetCore.Http;

namespace KisFeed.Simulator;

// POST /oauth2/Approval (notes §1.1) and the per-app-key one-second windows.
public sealed partial class KisSimulator
{
    private async Task HandleApprovalAsync(HttpContext context)
    {
        // Notes §1.1: body {grant_type:"client_credentials", appkey, secretkey}. Error bodies are KIS gateway style
        // {"error_description":..., "error_code":"EGW…"}; HTTP 403 is seen for EGW00103/EGW00105/EGW00133 in
        // community reports; the other codes' status and texts are inferred.
        string? grantType = null, appKey = null, secret = null;
        try
        {
            using JsonDocument doc = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted).ConfigureAwait(false);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                grantType = Get(doc.RootElement, "grant_type");
                appKey = Get(doc.RootElement, "appkey");
                secret = Get(doc.RootElement, "secretkey");
            }
        }
        catch (JsonException)
        {
            await GatewayErrorAsync(context, "EGW00101", "유효하지 않은 요청입니다.", appKey).ConfigureAwait(false);
            return;
        }

        if (grantType != "client_credentials")
        {
            await GatewayErrorAsync(context, "EGW00101", "유효하지 않은 요청입니다.", appKey).ConfigureAwait(false);
            return;
        }

        if (string.IsNullOrEmpty(appKey))
        {
            await GatewayErrorAsync(context, "EGW00102", "AppKey는 필수입니다.", appKey).ConfigureAwait(false);
            return;
        }

        SimulatorCredential? cred = Options.Credentials.FirstOrDefault(c => c.AppKey == appKey);
        if (cred is null)
        {
            await GatewayErrorAsync(context, "EGW00103", "유효하지 않은 AppKey입니다.", appKey).ConfigureAwait(false);
            return;
        }

        if (string.IsNullOrEmpty(secret))
        {
            await GatewayErrorAsync(context, "EGW00104", "AppSecret은 필수입니다.", appKey).ConfigureAwait(false);
            return;
        }

        if (secret != cred.AppSecret)
        {
            await GatewayErrorAsync(context, "EGW00105", "유효하지 않은 AppSecret입니다.", appKey).ConfigureAwait(false);
            return;
        }

        if (!TryTakeApprovalSlot(appKey))
        {
            // Notes §1.1: 접속키 발급 초당 1건; no error string is documented (code/text inferred).
            await GatewayErrorAsync(context, "EGW00201", "초당 거래건수를 초과하였습니다.", appKey).ConfigureAwait(false);
            return;
        }

        string key = Guid.NewGuid().ToString(); // 36 characters, UUID-shaped like real keys (notes §1.1)
        _approvalKeys[key] = new ApprovalRecord(appKey, Time.GetUtcNow(), false);
        Interlocked.Increment(ref _approvalsIssued);
        Log.ApprovalIssued(Logger, Redact.Key(key), Redact.Key(appKey));
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json; charset=UTF-8";
        await context.Response.WriteAsync("{\"approval_key\":\"" + key + "\"}", context.RequestAborted).ConfigureAwait(false);

        static string? Get(JsonElement e, string name) =>
            e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    }

    private bool TryTakeApprovalSlot(string appKey) => TryTakeSlot(_approvalTimes, appKey, Options.ApprovalRateLimitPerSecond);

    /// <summary>A one-second sliding window per app key: true and counted when fewer than <paramref name="limit"/> calls fell in the last second (0: no limit).</summary>
    private bool TryTakeSlot(Dictionary<string, Queue<DateTimeOffset>> windows, string appKey, int limit)
    {
        if (limit <= 0)
        {
            return true;
        }

        DateTimeOffset now = Time.GetUtcNow();
        lock (windows)
        {
            if (!windows.TryGetValue(appKey, out Queue<DateTimeOffset>? q))
            {
                q = new Queue<DateTimeOffset>();
                windows[appKey] = q;
            }

            while (q.Count > 0 && now - q.Peek() >= TimeSpan.FromSeconds(1))
            {
                q.Dequeue();
            }

            if (q.Count >= limit)
            {
                return false;
            }

            q.Enqueue(now);
            return true;
        }
    }

    private async Task GatewayErrorAsync(HttpContext context, string code, string description, string? appKey)
    {
        Log.ApprovalRefused(Logger, code, Redact.Key(appKey));
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        context.Response.ContentType = "application/json; charset=UTF-8";
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("error_description", description);
            w.WriteString("error_code", code);
            w.WriteEndObject();
        }

        await context.Response.Body.WriteAsync(ms.ToArray(), context.RequestAborted).ConfigureAwait(false);
    }
}
