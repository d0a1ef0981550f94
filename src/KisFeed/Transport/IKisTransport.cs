using System.Net.WebSockets;

namespace KisFeed.Transport;

/// <summary>
/// One open connection to a KIS real-time server, as the session sees it: whole text messages in, text out. The
/// RFC 6455 client (<see cref="WebSocketConnection"/>) is the real one; tests use an in-memory duplex.
/// </summary>
internal interface IKisConnection : IAsyncDisposable
{
    /// <summary>True until either side closed or the connection was aborted.</summary>
    bool IsOpen { get; }

    /// <summary>
    /// The next whole message. Its payload is valid only until the next call. A Close message ends the stream; a
    /// broken connection throws <see cref="IOException"/>.
    /// </summary>
    ValueTask<WebSocketMessage> ReceiveAsync(CancellationToken cancellationToken);

    /// <summary>Sends one text message. Safe to call from several tasks; sends are serialised.</summary>
    ValueTask SendTextAsync(ReadOnlyMemory<byte> utf8, CancellationToken cancellationToken);

    /// <summary>Closes cleanly (a clean close keeps KIS from holding the app key).</summary>
    ValueTask CloseAsync(WebSocketCloseStatus status, string? description, CancellationToken cancellationToken);

    /// <summary>Drops the connection at once; pending receives and sends fail.</summary>
    void Abort();
}

/// <summary>
/// Opens connections (the transport seam, after nats.net's <c>INatsSocketConnectionFactory</c>). Set on
/// <see cref="KisOptions.Transport"/>; the default is <see cref="WebSocketTransport"/>.
/// </summary>
internal interface IKisTransport
{
    /// <summary>Connects to <paramref name="uri"/> within <paramref name="connectTimeout"/>.</summary>
    /// <exception cref="IOException">The connection or handshake failed; the message says why.</exception>
    Task<IKisConnection> ConnectAsync(Uri uri, TimeSpan connectTimeout, CancellationToken cancellationToken);
}

/// <summary>The real transport: TCP (TLS for <c>wss://</c>) and KisFeed's own RFC 6455 client.</summary>
internal sealed class WebSocketTransport : IKisTransport
{
    /// <summary>The one instance (it holds no state).</summary>
    public static WebSocketTransport Instance { get; } = new();

    private WebSocketTransport()
    {
    }

    /// <inheritdoc/>
    public async Task<IKisConnection> ConnectAsync(Uri uri, TimeSpan connectTimeout, CancellationToken cancellationToken)
    {
        var options = WebSocketConnectionOptions.Default with { ConnectTimeout = connectTimeout };
        return await WebSocketConnection.ConnectAsync(uri, options, cancellationToken).ConfigureAwait(false);
    }
}
