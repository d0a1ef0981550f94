using System.Net.WebSockets;
using System.Text;

using KisFeed.Transport;

namespace KisFeed.IntegrationTests.Transport;

/// <summary><see cref="WebSocketConnection"/> against a real Kestrel server over loopback TCP.</summary>
public class WebSocketConnectionLoopbackTests
{
    /// <summary>The test's token with a deadline, so a broken exchange fails instead of hanging.</summary>
    private static CancellationTokenSource Deadline()
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(20));
        return cts;
    }

    [Fact]
    public async Task EchoesTextThroughAspNetCoreWebSockets()
    {
        using CancellationTokenSource cts = Deadline();
        await using LoopbackWebSocketServer server = await LoopbackWebSocketServer.StartAsync(cts.Token);
        await using WebSocketConnection ws = await WebSocketConnection.ConnectAsync(server.Endpoint("/echo"), WebSocketConnectionOptions.Default, cts.Token);

        byte[] big = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("005930^092237^1413444^", 5000))); // > 64 KiB: 64-bit length
        foreach (byte[] payload in new[] { LoopbackWebSocketServer.KisSample, Encoding.UTF8.GetBytes("{\"header\":{\"tr_id\":\"PINGPONG\"}} 통합"), big })
        {
            await ws.SendTextAsync(payload, cts.Token);
            WebSocketMessage echo = await ws.ReceiveAsync(cts.Token);
            Assert.Equal(WebSocketMessageKind.Text, echo.Kind);
            Assert.Equal(payload, echo.Payload.ToArray());
        }

        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", cts.Token);

        Assert.Equal(1000, await server.ClientCloseStatus.Task.WaitAsync(cts.Token));
        Assert.False(ws.IsOpen);
        Assert.Equal(3, ws.MessagesReceived);
    }

    [Fact]
    public async Task InvalidUtf8TextFrameIsDeliveredAndTheConnectionStaysOpen()
    {
        using CancellationTokenSource cts = Deadline();
        await using LoopbackWebSocketServer server = await LoopbackWebSocketServer.StartAsync(cts.Token);
        await using WebSocketConnection ws = await WebSocketConnection.ConnectAsync(server.Endpoint("/raw-bad-utf8"), WebSocketConnectionOptions.Default, cts.Token);

        WebSocketMessage bad = await ws.ReceiveAsync(cts.Token);
        Assert.Equal(WebSocketMessageKind.Text, bad.Kind);
        Assert.Equal(LoopbackWebSocketServer.BadUtf8, bad.Payload.ToArray());
        Assert.Equal(0xFF, bad.Payload.Span[^1]);

        WebSocketMessage good = await ws.ReceiveAsync(cts.Token);
        Assert.Equal(LoopbackWebSocketServer.Good, good.Payload.ToArray());
        Assert.True(ws.IsOpen);

        // Still usable in both directions: the raw server echoes our text back.
        await ws.SendTextAsync(good.Payload.ToArray(), cts.Token);
        Assert.Equal(LoopbackWebSocketServer.Good, (await ws.ReceiveAsync(cts.Token)).Payload.ToArray());

        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
        Assert.Equal(1000, await server.ClientCloseStatus.Task.WaitAsync(cts.Token));
    }

    /// <summary>
    /// Why the transport exists: .NET's own client, even with keep-alive off, fails the whole connection on the same
    /// bytes (kis-protocol.md section 13). If this test ever fails, ClientWebSocket stopped validating UTF-8.
    /// </summary>
    [Fact]
    public async Task ClientWebSocketAbortsOnTheSameBytes()
    {
        using CancellationTokenSource cts = Deadline();
        await using LoopbackWebSocketServer server = await LoopbackWebSocketServer.StartAsync(cts.Token);
        using var client = new ClientWebSocket();
        client.Options.KeepAliveInterval = TimeSpan.Zero;
        await client.ConnectAsync(server.Endpoint("/raw-bad-utf8"), cts.Token);

        byte[] buffer = new byte[4096];
        await Assert.ThrowsAsync<WebSocketException>(async () => await client.ReceiveAsync(buffer.AsMemory(), cts.Token));

        Assert.Equal(WebSocketState.Aborted, client.State);
        await server.ClientCloseStatus.Task.WaitAsync(cts.Token); // the server saw the session end
    }

    [Fact]
    public async Task Non101AnswerFromARealServerIsReported()
    {
        using CancellationTokenSource cts = Deadline();
        await using LoopbackWebSocketServer server = await LoopbackWebSocketServer.StartAsync(cts.Token);
        Uri uri = server.Endpoint("/no-such-endpoint");

        var ex = await Assert.ThrowsAsync<WebSocketHandshakeException>(() => WebSocketConnection.ConnectAsync(uri, WebSocketConnectionOptions.Default, cts.Token));

        Assert.Equal(404, ex.StatusCode);
        Assert.Contains(uri.ToString(), ex.Message, StringComparison.Ordinal);
        Assert.Contains("404", ex.Message, StringComparison.Ordinal);
    }
}
