using System.Net.Http.Json;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

using KisFeed.Simulator;

namespace KisFeed.IntegrationTests.Simulator;

/// <summary>
/// Test-side helpers that speak the KIS protocol with plain BCL types (HttpClient, ClientWebSocket, JsonDocument),
/// independent of the KisFeed client library, so the simulator is checked against the protocol notes, not our client.
/// </summary>
internal static class SimTestKit
{
    public static SimulatorOptions Quiet => SimulatorOptions.Default with
    {
        UpdatesPerSecond = 0,
        ApprovalRateLimitPerSecond = 0,
        PingInterval = TimeSpan.FromDays(20),
    };

    /// <summary>A token that ends the test after <paramref name="seconds"/> (and with the test run).</summary>
    public static CancellationTokenSource Deadline(double seconds = 10)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(seconds));
        return cts;
    }

    public static async Task<HttpResponseMessage> PostApprovalAsync(KisSimulator sim, object body, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = sim.RestBaseUri };
        return await http.PostAsJsonAsync("/oauth2/Approval", body, ct);
    }

    public static async Task<string> ApprovalKeyAsync(KisSimulator sim, CancellationToken ct, SimulatorCredential? cred = null)
    {
        cred ??= SimulatorCredential.Demo;
        using HttpResponseMessage res = await PostApprovalAsync(
            sim, new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["appkey"] = cred.AppKey, ["secretkey"] = cred.AppSecret }, ct);
        Assert.Equal(System.Net.HttpStatusCode.OK, res.StatusCode);
        using JsonDocument doc = JsonDocument.Parse(await res.Content.ReadAsStringAsync(ct));
        return doc.RootElement.GetProperty("approval_key").GetString()!;
    }

    public static string SubscribeJson(string approvalKey, string trId, string trKey, string trType = "1", string custType = "P") =>
        "{\"header\":{\"approval_key\":\"" + approvalKey + "\",\"custtype\":\"" + custType + "\",\"tr_type\":\"" + trType
        + "\",\"content-type\":\"utf-8\"},\"body\":{\"input\":{\"tr_id\":\"" + trId + "\",\"tr_key\":\"" + trKey + "\"}}}";

    /// <summary>Waits for a condition with a deadline (the shared helper in KisFeed.TestKit).</summary>
    public static Task WaitUntilAsync(Func<bool> condition, CancellationToken ct, string what) => KisFeed.TestKit.Wait.UntilAsync(condition, ct, what);
}

/// <summary>A bare ClientWebSocket with KeepAliveInterval = 0 (notes §5, §13) and text helpers.</summary>
internal sealed class RawKisSocket : IAsyncDisposable
{
    private readonly ClientWebSocket _ws = new();

    private RawKisSocket()
    {
        _ws.Options.KeepAliveInterval = TimeSpan.Zero;
    }

    public ClientWebSocket Socket => _ws;

    public static async Task<RawKisSocket> ConnectAsync(KisSimulator sim, CancellationToken ct, string path = "/tryitout")
    {
        var s = new RawKisSocket();
        await s._ws.ConnectAsync(new Uri(sim.WebSocketUri, path), ct);
        return s;
    }

    public Task SendAsync(string text, CancellationToken ct) =>
        _ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, ct);

    /// <summary>Next whole message as text, or <see langword="null"/> when the server closed.</summary>
    public async Task<string?> ReceiveAsync(CancellationToken ct)
    {
        byte[] buffer = new byte[64 * 1024];
        using var ms = new MemoryStream();
        while (true)
        {
            WebSocketReceiveResult r = await _ws.ReceiveAsync(buffer, ct);
            if (r.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            ms.Write(buffer, 0, r.Count);
            if (r.EndOfMessage)
            {
                return Encoding.UTF8.GetString(ms.ToArray());
            }
        }
    }

    /// <summary>Next message that is not a data frame (control reply or PINGPONG).</summary>
    public async Task<JsonDocument> ReceiveJsonAsync(CancellationToken ct)
    {
        while (true)
        {
            string? text = await ReceiveAsync(ct) ?? throw new InvalidOperationException("socket closed");
            if (text.Length > 0 && text[0] is '0' or '1')
            {
                continue;
            }

            JsonDocument doc = JsonDocument.Parse(text);
            if (doc.RootElement.TryGetProperty("header", out JsonElement h) && h.TryGetProperty("tr_id", out JsonElement id) && id.GetString() == "PINGPONG")
            {
                doc.Dispose();
                continue;
            }

            return doc;
        }
    }

    /// <summary>Sends a request and returns the next JSON reply.</summary>
    public async Task<JsonDocument> RequestAsync(string json, CancellationToken ct)
    {
        await SendAsync(json, ct);
        return await ReceiveJsonAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        _ws.Abort();
        _ws.Dispose();
        await Task.CompletedTask;
    }
}

/// <summary>Data frame parsed by the test itself (notes §6): <c>0|TR|NNN|f^f^...</c>, 11 fields per record.</summary>
internal sealed record TestFrame(string TrId, int Count, string[][] Records)
{
    public static TestFrame Parse(string text)
    {
        string[] parts = text.Split('|', 4);
        Assert.Equal(4, parts.Length);
        Assert.Equal("0", parts[0]);
        Assert.Equal(3, parts[2].Length);
        int count = int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture);
        string[] fields = parts[3].Split('^');
        Assert.Equal(count * 11, fields.Length);
        return new TestFrame(parts[1], count, [.. fields.Chunk(11)]);
    }
}
/// <summary>
/// A hand-rolled RFC 6455 client over TCP, for what ClientWebSocket cannot do: receive invalid UTF-8 in a text frame
/// (notes §13) and send PING/PONG control frames carrying a payload (notes §5 echo variants).
/// </summary>
internal sealed class TcpWebSocket : IDisposable
{
    private readonly TcpClient _tcp = new();
    private NetworkStream _stream = null!;

    public static async Task<TcpWebSocket> ConnectAsync(KisSimulator sim, CancellationToken ct)
    {
        var s = new TcpWebSocket();
        await s._tcp.ConnectAsync(sim.WebSocketUri.Host, sim.WebSocketUri.Port, ct);
        s._stream = s._tcp.GetStream();
        string upgrade = $"GET /tryitout HTTP/1.1\r\nHost: {sim.WebSocketUri.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        await s._stream.WriteAsync(Encoding.ASCII.GetBytes(upgrade), ct);
        var head = new StringBuilder();
        byte[] one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            await s._stream.ReadExactlyAsync(one, ct);
            head.Append((char)one[0]);
        }

        string h = head.ToString();
        Assert.StartsWith("HTTP/1.1 101", h, StringComparison.Ordinal);
        // RFC 6455 §1.3 example: this key must be answered with this accept value.
        Assert.Contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", h, StringComparison.OrdinalIgnoreCase);
        return s;
    }

    /// <summary>Sends one masked frame (FIN set).</summary>
    public async Task SendFrameAsync(byte opcode, byte[] payload, CancellationToken ct)
    {
        Assert.True(payload.Length <= 125);
        byte[] mask = [0x11, 0x22, 0x33, 0x44];
        byte[] frame = new byte[6 + payload.Length];
        frame[0] = (byte)(0x80 | opcode);
        frame[1] = (byte)(0x80 | payload.Length);
        mask.CopyTo(frame, 2);
        for (int i = 0; i < payload.Length; i++)
        {
            frame[6 + i] = (byte)(payload[i] ^ mask[i & 3]);
        }

        await _stream.WriteAsync(frame, ct);
    }

    /// <summary>Reads one unmasked server frame: (first header byte, payload).</summary>
    public async Task<(byte Head, byte[] Payload)> ReadFrameAsync(CancellationToken ct)
    {
        byte[] h = new byte[2];
        await _stream.ReadExactlyAsync(h, ct);
        Assert.Equal(0, h[1] & 0x80); // server frames are not masked
        long len = h[1] & 0x7F;
        if (len == 126)
        {
            byte[] ext = new byte[2];
            await _stream.ReadExactlyAsync(ext, ct);
            len = (ext[0] << 8) | ext[1];
        }
        else if (len == 127)
        {
            byte[] ext = new byte[8];
            await _stream.ReadExactlyAsync(ext, ct);
            len = (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(ext);
        }

        byte[] payload = new byte[len];
        await _stream.ReadExactlyAsync(payload, ct);
        return (h[0], payload);
    }

    /// <summary>True once the server closed the TCP connection (read returns 0 or fails).</summary>
    public async Task<bool> IsClosedByServerAsync(CancellationToken ct)
    {
        byte[] buffer = new byte[4096];
        try
        {
            while (await _stream.ReadAsync(buffer, ct) > 0)
            {
            }
        }
        catch (IOException)
        {
        }

        return true;
    }

    public void Dispose() => _tcp.Dispose();
}
