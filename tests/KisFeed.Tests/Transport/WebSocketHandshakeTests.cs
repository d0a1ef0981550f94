using System.Security.Cryptography;
using System.Text;

using KisFeed.Transport;

using static KisFeed.Tests.Transport.Frames;

namespace KisFeed.Tests.Transport;

public class WebSocketHandshakeTests
{
    private static readonly Uri Uri = new("ws://ops.example.test:21000/tryitout/H0STPGM0");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void AcceptKeyMatchesTheRfc6455Sample() =>
        // RFC 6455 section 1.3. (The brief quoted "...zhZuo+xo0s="; the RFC and an independent SHA-1 both give "...zhZRbK+xOo=".)
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketHandshake.ComputeAcceptKey("dGhlIHNhbXBsZSBub25jZQ=="));

    [Fact]
    public void KeysAreRandom16ByteBase64()
    {
        string a = WebSocketHandshake.CreateKey();
        Assert.Equal(16, Convert.FromBase64String(a).Length);
        Assert.NotEqual(a, WebSocketHandshake.CreateKey());
    }

    /// <summary>Reads the client's request on the fake server and returns its lines.</summary>
    private static async Task<string[]> ReadRequestAsync(Stream server)
    {
        var bytes = new List<byte>();
        byte[] one = new byte[1];
        while (bytes.Count < 4 || !(bytes[^4] == '\r' && bytes[^3] == '\n' && bytes[^2] == '\r' && bytes[^1] == '\n'))
        {
            Assert.Equal(1, await server.ReadAsync(one, Ct));
            bytes.Add(one[0]);
        }

        return Encoding.ASCII.GetString([.. bytes]).Split("\r\n");
    }

    private static string Header(string[] lines, string name) =>
        lines.Single(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))[(name.Length + 1)..].Trim();

    /// <summary>Independent accept computation (not the production helper).</summary>
    private static string Accept(string key) =>
        Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));

    private static async Task<WebSocketConnection> HandshakeWith(Func<string[], byte[]> respond, WebSocketConnectionOptions? options = null)
    {
        var (client, server) = DuplexStream.CreatePair();
        Task serverTask = Task.Run(async () =>
        {
            string[] request = await ReadRequestAsync(server);
            await server.WriteAsync(respond(request), Ct);
            await server.FlushAsync(Ct);
        }, Ct);
        try
        {
            return await WebSocketConnection.ClientHandshakeAsync(client, Uri, options ?? WebSocketConnectionOptions.Default, Ct);
        }
        finally
        {
            await serverTask;
        }
    }

    [Fact]
    public async Task HandshakeSendsAProperUpgradeAndKeepsBytesThatFollowTheResponse()
    {
        string[]? seen = null;
        var options = WebSocketConnectionOptions.Default with { RequestHeaders = [new("X-Trace", "abc")] };
        await using WebSocketConnection ws = await HandshakeWith(request =>
        {
            seen = request;
            string response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n"
                + $"Sec-WebSocket-Accept: {Accept(Header(request, "Sec-WebSocket-Key"))}\r\n\r\n";
            // The first frames travel in the same segment as the 101 answer.
            return Concat(Encoding.ASCII.GetBytes(response), ServerText(KisSample), ServerText("second"));
        }, options);

        Assert.NotNull(seen);
        Assert.Equal("GET /tryitout/H0STPGM0 HTTP/1.1", seen[0]);
        Assert.Equal("ops.example.test:21000", Header(seen, "Host"));
        Assert.Equal("websocket", Header(seen, "Upgrade"));
        Assert.Equal("Upgrade", Header(seen, "Connection"));
        Assert.Equal("13", Header(seen, "Sec-WebSocket-Version"));
        Assert.Equal(16, Convert.FromBase64String(Header(seen, "Sec-WebSocket-Key")).Length);
        Assert.Equal("KisFeed", Header(seen, "User-Agent"));
        Assert.Equal("abc", Header(seen, "X-Trace"));

        Assert.Equal(Utf8(KisSample), (await ws.ReceiveAsync(Ct)).Payload.ToArray());
        Assert.Equal(Utf8("second"), (await ws.ReceiveAsync(Ct)).Payload.ToArray());
        ws.Abort();
    }

    [Fact]
    public async Task WrongAcceptKeyFailsClearly()
    {
        var ex = await Assert.ThrowsAsync<WebSocketHandshakeException>(() => HandshakeWith(_ => Encoding.ASCII.GetBytes(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZuo+xo0s=\r\n\r\n")));

        Assert.Contains("Sec-WebSocket-Accept", ex.Message, StringComparison.Ordinal);
        Assert.Contains(Uri.ToString(), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Non101AnswerNamesUriStatusAndBody()
    {
        string body = "{\"rt_cd\":\"1\",\"msg1\":\"invalid approval key\"}" + new string('.', 400);
        var ex = await Assert.ThrowsAsync<WebSocketHandshakeException>(() => HandshakeWith(_ => Encoding.UTF8.GetBytes(
            $"HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n{body}")));

        Assert.Equal(403, ex.StatusCode);
        Assert.Contains(Uri.ToString(), ex.Message, StringComparison.Ordinal);
        Assert.Contains("HTTP/1.1 403 Forbidden", ex.Message, StringComparison.Ordinal);
        Assert.Contains("invalid approval key", ex.Message, StringComparison.Ordinal);
        Assert.True(ex.Message.Length < 600, "the body preview is capped");
    }

    [Fact]
    public async Task ServerHangingUpDuringHandshakeFailsClearly()
    {
        var (client, server) = DuplexStream.CreatePair();
        Task serverTask = Task.Run(async () =>
        {
            await ReadRequestAsync(server);
            await server.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 101 Swi"), Ct);
            await server.DisposeAsync();
        }, Ct);

        var ex = await Assert.ThrowsAsync<WebSocketHandshakeException>(() => WebSocketConnection.ClientHandshakeAsync(client, Uri, WebSocketConnectionOptions.Default, Ct));
        await serverTask;

        Assert.Contains("closed the connection", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SilentServerTimesOutWithinConnectTimeout()
    {
        var (client, server) = DuplexStream.CreatePair();
        var options = WebSocketConnectionOptions.Default with { ConnectTimeout = TimeSpan.FromMilliseconds(100) };

        var ex = await Assert.ThrowsAsync<WebSocketHandshakeException>(() => WebSocketConnection.ClientHandshakeAsync(client, Uri, options, Ct));

        Assert.Contains("timed out", ex.Message, StringComparison.Ordinal);
        await server.DisposeAsync();
    }

    [Fact]
    public void HeaderInjectionIsRejected()
    {
        var options = WebSocketConnectionOptions.Default with { RequestHeaders = [new("X-Bad", "a\r\nEvil: 1")] };
        Assert.Throws<ArgumentException>(() => WebSocketHandshake.BuildRequest(Uri, WebSocketHandshake.CreateKey(), options));
    }

    [Fact]
    public async Task RefusedTcpConnectionNamesTheUri()
    {
        // Bind a port, then release it, so that nothing listens there.
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var uri = new Uri($"ws://127.0.0.1:{port}/");

        var ex = await Assert.ThrowsAsync<WebSocketConnectException>(() => WebSocketConnection.ConnectAsync(uri, WebSocketConnectionOptions.Default, Ct));

        Assert.Contains(uri.ToString(), ex.Message, StringComparison.Ordinal);
        Assert.Contains("Check", ex.Message, StringComparison.Ordinal);
    }
}
