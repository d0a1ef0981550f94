using System.Buffers.Binary;
using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KisFeed.IntegrationTests.Transport;

/// <summary>
/// A tiny in-process Kestrel server on 127.0.0.1 with an ephemeral port:
/// <c>/echo</c> echoes with ASP.NET Core's own WebSocket implementation;
/// <c>/raw-bad-utf8</c> upgrades by hand and writes raw frames: a text frame ending in 0xFF, then a valid one, then
/// echoes client text frames until the client closes.
/// </summary>
internal sealed class LoopbackWebSocketServer : IAsyncDisposable
{
    public static readonly byte[] KisSample = Encoding.ASCII.GetBytes(
        "0|H0STPGM0|001|005930^092237^1413444^109159646900^1189408^91931710200^-224036^-17227936700^65033^15475^-49558");

    /// <summary>The first raw message: the KIS sample followed by the byte 0xFF (invalid UTF-8).</summary>
    public static readonly byte[] BadUtf8 = [.. KisSample, 0xFF];

    /// <summary>The second raw message: valid text.</summary>
    public static readonly byte[] Good = Encoding.ASCII.GetBytes("{\"header\":{\"tr_id\":\"PINGPONG\",\"datetime\":\"20261124090000\"}}");

    private readonly WebApplication _app;

    private LoopbackWebSocketServer(WebApplication app, Uri baseUri)
    {
        _app = app;
        BaseUri = baseUri;
    }

    public Uri BaseUri { get; }

    /// <summary>Completes with the status code of the client's Close frame as seen by a raw or echo handler.</summary>
    public TaskCompletionSource<int?> ClientCloseStatus { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Uri Endpoint(string path) => new(BaseUri, path);

    public static async Task<LoopbackWebSocketServer> StartAsync(CancellationToken cancellationToken)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        WebApplication app = builder.Build();
        LoopbackWebSocketServer? server = null;
        app.UseWebSockets();
        app.Map("/echo", (RequestDelegate)(context => server!.EchoAsync(context)));
        app.Map("/raw-bad-utf8", (RequestDelegate)(context => server!.RawBadUtf8Async(context)));
        await app.StartAsync(cancellationToken);

        string address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        var http = new Uri(address);
        server = new LoopbackWebSocketServer(app, new UriBuilder(http) { Scheme = "ws" }.Uri);
        return server;
    }

    private async Task EchoAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        using WebSocket ws = await context.WebSockets.AcceptWebSocketAsync();
        byte[] buffer = new byte[1 << 20];
        while (true)
        {
            int filled = 0;
            WebSocketReceiveResult result;
            do
            {
                result = await ws.ReceiveAsync(new ArraySegment<byte>(buffer, filled, buffer.Length - filled), context.RequestAborted);
                filled += result.Count;
            }
            while (!result.EndOfMessage);

            if (result.MessageType == WebSocketMessageType.Close)
            {
                ClientCloseStatus.TrySetResult((int?)result.CloseStatus);
                await ws.CloseOutputAsync(result.CloseStatus ?? WebSocketCloseStatus.NormalClosure, null, context.RequestAborted);
                return;
            }

            await ws.SendAsync(buffer.AsMemory(0, filled), result.MessageType, endOfMessage: true, context.RequestAborted);
        }
    }

    private async Task RawBadUtf8Async(HttpContext context)
    {
        IHttpUpgradeFeature? upgrade = context.Features.Get<IHttpUpgradeFeature>();
        if (upgrade is not { IsUpgradableRequest: true })
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        string key = context.Request.Headers["Sec-WebSocket-Key"].ToString();
        context.Response.Headers.Connection = "Upgrade";
        context.Response.Headers.Upgrade = "websocket";
        context.Response.Headers["Sec-WebSocket-Accept"] = Convert.ToBase64String(
            SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
        await using Stream stream = await upgrade.UpgradeAsync();

        try
        {
            await WriteFrameAsync(stream, 0x1, BadUtf8, context.RequestAborted);
            await WriteFrameAsync(stream, 0x1, Good, context.RequestAborted);
            while (await ReadClientFrameAsync(stream, context.RequestAborted) is { } frame)
            {
                if (frame.Opcode == 0x8)
                {
                    ClientCloseStatus.TrySetResult(frame.Payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(frame.Payload) : null);
                    await WriteFrameAsync(stream, 0x8, frame.Payload.Length >= 2 ? frame.Payload[..2] : [], context.RequestAborted);
                    return;
                }

                if (frame.Opcode == 0x1)
                {
                    await WriteFrameAsync(stream, 0x1, frame.Payload, context.RequestAborted);
                }
            }

            ClientCloseStatus.TrySetResult(null); // EOF without a close frame
        }
        catch (IOException)
        {
            ClientCloseStatus.TrySetResult(null); // the client aborted the TCP connection
        }
    }

    /// <summary>Writes one unmasked FIN frame (server to client), byte by byte as RFC 6455 lays it out.</summary>
    private static async Task WriteFrameAsync(Stream stream, byte opcode, byte[] payload, CancellationToken cancellationToken)
    {
        byte[] header = payload.Length < 126
            ? [(byte)(0x80 | opcode), (byte)payload.Length]
            : [(byte)(0x80 | opcode), 126, (byte)(payload.Length >> 8), (byte)payload.Length];
        await stream.WriteAsync((byte[])[.. header, .. payload], cancellationToken);
        await stream.FlushAsync(cancellationToken);
    }

    /// <summary>Reads one masked client frame (lengths up to 16 bits), unmasked; null at EOF.</summary>
    private static async Task<(byte Opcode, byte[] Payload)?> ReadClientFrameAsync(Stream stream, CancellationToken cancellationToken)
    {
        byte[] head = new byte[2];
        if (!await ReadExactlyOrEofAsync(stream, head, cancellationToken))
        {
            return null;
        }

        int length = head[1] & 0x7F;
        if (length == 126)
        {
            byte[] ext = new byte[2];
            await stream.ReadExactlyAsync(ext, cancellationToken);
            length = BinaryPrimitives.ReadUInt16BigEndian(ext);
        }
        else if (length == 127)
        {
            throw new NotSupportedException("The test server reads frames up to 64 KiB only.");
        }

        byte[] mask = new byte[4];
        if ((head[1] & 0x80) == 0)
        {
            throw new InvalidDataException("Client frames must be masked (RFC 6455 5.3).");
        }

        await stream.ReadExactlyAsync(mask, cancellationToken);
        byte[] payload = new byte[length];
        await stream.ReadExactlyAsync(payload, cancellationToken);
        for (int i = 0; i < payload.Length; i++)
        {
            payload[i] ^= mask[i % 4];
        }

        return ((byte)(head[0] & 0x0F), payload);
    }

    private static async Task<bool> ReadExactlyOrEofAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        int read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
        return read == buffer.Length;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
