using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;

namespace KisFeed.TestKit;

/// <summary>A subscribe or unsubscribe request as the server reads it.</summary>
public sealed record KisRequest(string ApprovalKey, string TrType, string TrId, string TrKey)
{
    public bool IsSubscribe => TrType == "1";

    /// <summary>Reads the request JSON (protocol notes §3), independently of the client's own writer.</summary>
    public static KisRequest Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        JsonElement header = doc.RootElement.GetProperty("header");
        JsonElement input = doc.RootElement.GetProperty("body").GetProperty("input");
        return new KisRequest(header.GetProperty("approval_key").GetString()!, header.GetProperty("tr_type").GetString()!,
            input.GetProperty("tr_id").GetString()!, input.GetProperty("tr_key").GetString()!);
    }
}

/// <summary>
/// The server side of a session test, written from the protocol notes (not from the client's code): answers each
/// request with what <see cref="Answer"/> returns (SUBSCRIBE SUCCESS by default) and keeps every request seen.
/// </summary>
public sealed class KisScript
{
    public ConcurrentQueue<KisRequest> Requests { get; } = new();

    /// <summary>The reply to a request; null sends nothing (a lost reply).</summary>
    public Func<KisRequest, string?> Answer { get; set; } = r => r.IsSubscribe ? Json.Subscribed(r.TrId, r.TrKey) : Json.Unsubscribed(r.TrId, r.TrKey);

    /// <summary>Answers requests on <paramref name="server"/> until the client goes away.</summary>
    public async Task ServeAsync(InMemoryServerEnd server, CancellationToken ct)
    {
        while (await server.ReadAsync(ct) is { } text)
        {
            if (text.Contains("\"PINGPONG\"", StringComparison.Ordinal))
            {
                Pongs.Enqueue(text);
                continue;
            }

            KisRequest request = KisRequest.Parse(text);
            Requests.Enqueue(request);
            if (Answer(request) is { } reply)
            {
                server.Send(reply);
            }
        }
    }

    /// <summary>PINGPONG echoes the client sent back.</summary>
    public ConcurrentQueue<string> Pongs { get; } = new();

    /// <summary>KIS's JSON replies, as captured in the protocol notes (§4).</summary>
    public static class Json
    {
        public static string Subscribed(string trId, string trKey, string iv = "0123456789abcdef", string key = "0123456789abcdef0123456789abcdef") =>
            "{\"header\":{\"tr_id\":\"" + trId + "\",\"tr_key\":\"" + trKey + "\",\"encrypt\":\"N\"},\"body\":{\"rt_cd\":\"0\",\"msg_cd\":\"OPSP0000\",\"msg1\":\"SUBSCRIBE SUCCESS\",\"output\":{\"iv\":\"" + iv + "\",\"key\":\"" + key + "\"}}}";

        public static string Unsubscribed(string trId, string trKey) =>
            $$$"""{"header":{"tr_id":"{{{trId}}}","tr_key":"{{{trKey}}}","encrypt":"N"},"body":{"rt_cd":"0","msg_cd":"OPSP0001","msg1":"UNSUBSCRIBE SUCCESS"}}""";

        public static string Error(string? trId, string? trKey, string rtCd, string msgCd, string msg1) => trId is null
            ? $$$"""{"body":{"rt_cd":"{{{rtCd}}}","msg_cd":"{{{msgCd}}}","msg1":"{{{msg1}}}"}}"""
            : $$$"""{"header":{"tr_id":"{{{trId}}}","tr_key":"{{{trKey}}}","encrypt":"N"},"body":{"rt_cd":"{{{rtCd}}}","msg_cd":"{{{msgCd}}}","msg1":"{{{msg1}}}"}}""";

        public static string PingPong(string datetime = "20261201093000") =>
            $$$"""{"header":{"tr_id":"PINGPONG","datetime":"{{{datetime}}}"}}""";
    }

    /// <summary>A program-trading data frame with one record per line of 11 fields (protocol notes §6–7).</summary>
    public static string Frame(string trId, params string[] records) =>
        $"0|{trId}|{records.Length:D3}|{string.Join('^', records)}";

    /// <summary>One record's 11 fields: code, HHMMSS, then nine numbers.</summary>
    public static string Record(string code, string time, long n) =>
        $"{code}^{time}^{n}^{n * 70_000}^{n + 1}^{(n + 1) * 70_000}^1^70000^{n % 7}^{n % 5}^{(n % 5) - (n % 7)}";
}

/// <summary>Answers <c>POST /oauth2/Approval</c> with a new key each time (key-1, key-2, …) and counts the requests.</summary>
public sealed class FakeApprovalHandler : HttpMessageHandler
{
    private int _issued; // Interlocked

    public int Issued => Volatile.Read(ref _issued);

    /// <summary>When set, the next requests are refused with this error code and HTTP status.</summary>
    public (HttpStatusCode Status, string Code)? Refuse { get; set; }

    public static string KeyNumber(int n) => $"00000000-0000-4000-8000-{n:D12}";

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (Refuse is { } refusal)
        {
            Refuse = null;
            return Task.FromResult(new HttpResponseMessage(refusal.Status)
            {
                Content = new StringContent($$"""{"error_code":"{{refusal.Code}}","error_description":"refused"}""", Encoding.UTF8, "application/json"),
            });
        }

        int n = Interlocked.Increment(ref _issued);
        return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StringContent($$"""{"approval_key":"{{KeyNumber(n)}}"}""", Encoding.UTF8, "application/json"),
        });
    }
}

/// <summary>Passes requests on and keeps every <c>approval_key</c> the server issued (to check none is logged).</summary>
public sealed class ApprovalKeyRecorder() : DelegatingHandler(new HttpClientHandler())
{
    public ConcurrentQueue<string> Keys { get; } = new();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response = await base.SendAsync(request, cancellationToken);
        if (request.RequestUri?.AbsolutePath.EndsWith("/oauth2/Approval", StringComparison.Ordinal) == true && response.IsSuccessStatusCode)
        {
            string text = await response.Content.ReadAsStringAsync(cancellationToken);
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.TryGetProperty("approval_key", out JsonElement key) && key.GetString() is { } value)
            {
                Keys.Enqueue(value);
            }

            response.Content = new StringContent(text, Encoding.UTF8, "application/json");
        }

        return response;
    }
}
