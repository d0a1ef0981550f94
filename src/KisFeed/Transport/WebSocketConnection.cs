using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;

namespace KisFeed.Transport;

/// <summary>
/// A small RFC 6455 client WebSocket over any <see cref="Stream"/>, written for the KIS real-time feed.
/// </summary>
/// <remarks>
/// <para>Differences from <see cref="ClientWebSocket"/>, on purpose:</para>
/// <list type="bullet">
/// <item>Text messages are never validated as UTF-8 (KIS has sent frames ending in <c>0xFF</c>; failing the
/// connection for that drops the session and can lock the app key).</item>
/// <item>It never sends Ping or Pong frames on its own; it only answers a server Ping with a Pong. The KIS
/// <c>PINGPONG</c> heartbeat is a text message that the session layer echoes.</item>
/// <item>Messages are read in place from one pooled receive buffer. A message that arrived in a single frame is
/// returned as a slice of that buffer; fragments are joined by moving them down inside the same buffer.</item>
/// </list>
/// <para>One reader (<see cref="ReceiveAsync"/>) at a time; sends are thread-safe.</para>
/// <para>One class in parts by job, as StackExchange.Redis splits <c>PhysicalConnection</c>: this file holds the state
/// (the pooled buffer's offsets, the close flags) and the connect and handshake; <c>.Receive</c> reads frames into the
/// buffer and joins fragments; <c>.Send</c> builds masked frames; <c>.Close</c> is the close handshake, failing the
/// connection and disposal; <c>.Frames</c> the header parser and the mask.</para>
/// </remarks>
internal sealed partial class WebSocketConnection : IKisConnection
{
    /// <summary>Longest frame header: 2 bytes + 8-byte length + 4-byte mask key.</summary>
    private const int MaxFrameHeaderSize = 14;

    private const int MaxControlPayload = 125;

    /// <summary>When less than this is free at the end of the receive buffer, consumed bytes are reclaimed before reading.</summary>
    private const int MinReadSpace = 1024;

    private const byte OpContinuation = 0x0;
    private const byte OpText = 0x1;
    private const byte OpBinary = 0x2;
    private const byte OpClose = 0x8;
    private const byte OpPing = 0x9;
    private const byte OpPong = 0xA;

    private readonly Stream _stream;
    private readonly Socket? _socket;
    private readonly WebSocketConnectionOptions _options;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly TaskCompletionSource _peerCloseReceived = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Receive buffer layout: [_messageStart, _messageStart + _messageLength) is the message being assembled (or the
    // one last returned); [_dataStart, _dataEnd) are received bytes not parsed yet. The message always lies below _dataStart.
    private byte[] _buffer;
    private int _dataStart;
    private int _dataEnd;
    private int _messageStart;
    private int _messageLength;
    private bool _inFragmentedMessage;
    private WebSocketMessageKind _fragmentedKind;
    private bool _releaseMessageOnNextReceive;

    private byte[]? _sendBuffer;

    private int _receiving;
    private volatile bool _closeSent;
    private volatile bool _closeReceived;
    private volatile bool _aborted;
    private volatile bool _streamClosed;
    private volatile bool _closingDrain;
    private int _disposed;

    private long _bytesReceived;
    private long _messagesReceived;
    private long _maskedFramesReceived;

    /// <summary>Wraps a stream on which the WebSocket upgrade has already happened (used by tests and custom transports).</summary>
    internal WebSocketConnection(Stream stream, WebSocketConnectionOptions options)
        : this(stream, null, options, ArrayPool<byte>.Shared.Rent(Math.Max(options.InitialReceiveBufferSize, 256)), 0, 0)
    {
    }

    /// <summary>Takes ownership of <paramref name="buffer"/> (rented), which may already hold the first frame bytes.</summary>
    private WebSocketConnection(Stream stream, Socket? socket, WebSocketConnectionOptions options, byte[] buffer, int leftoverOffset, int leftoverCount)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(options);
        _stream = stream;
        _socket = socket;
        _options = options;
        _buffer = buffer;
        _dataStart = leftoverOffset;
        _dataEnd = leftoverOffset + leftoverCount;
        _bytesReceived = leftoverCount;
    }

    /// <summary><see langword="true"/> until a Close frame was sent or received, or the connection was aborted or shut.</summary>
    public bool IsOpen => !_closeSent && !_closeReceived && !_aborted && !_streamClosed;

    /// <summary>Bytes read from the stream after the handshake (frame headers included).</summary>
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    /// <summary>Text and binary messages returned by <see cref="ReceiveAsync"/>.</summary>
    public long MessagesReceived => Interlocked.Read(ref _messagesReceived);

    /// <summary>Frames from the server that carried a mask (RFC 6455 forbids it; they are unmasked and accepted).</summary>
    public long MaskedFramesReceived => Interlocked.Read(ref _maskedFramesReceived);

    /// <summary>
    /// Opens a TCP connection (and TLS for <c>wss://</c>) to <paramref name="uri"/> and performs the WebSocket handshake.
    /// Each of TCP connect, TLS and the handshake must finish within <see cref="WebSocketConnectionOptions.ConnectTimeout"/>.
    /// </summary>
    /// <exception cref="WebSocketConnectException">The TCP/TLS connection failed or timed out.</exception>
    /// <exception cref="WebSocketHandshakeException">The server refused the upgrade.</exception>
    public static async Task<WebSocketConnection> ConnectAsync(Uri uri, WebSocketConnectionOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(uri);
        ArgumentNullException.ThrowIfNull(options);
        bool secure = uri.Scheme switch
        {
            "ws" => false,
            "wss" => true,
            _ => throw new ArgumentException($"Unsupported scheme in '{uri}': use ws:// or wss://.", nameof(uri)),
        };
        int port = uri.IsDefaultPort || uri.Port < 0 ? (secure ? 443 : 80) : uri.Port;

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        try
        {
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(options.ConnectTimeout);
                try
                {
                    EndPoint endPoint = IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out IPAddress? address)
                        ? new IPEndPoint(address, port)
                        : new DnsEndPoint(uri.IdnHost, port);
                    await socket.ConnectAsync(endPoint, timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new WebSocketConnectException(
                        $"Timed out after {options.ConnectTimeout.TotalSeconds:0.#} s connecting to {uri}. Check the host and port, that the server is up, and that no firewall or proxy drops the connection.", ex);
                }
                catch (SocketException ex)
                {
                    throw new WebSocketConnectException(
                        $"Could not connect to {uri}: {ex.SocketErrorCode} ({ex.Message}). Check the host and port, that the server is running and that the network allows the connection.", ex);
                }

                stream = new NetworkStream(socket, ownsSocket: true);
                if (secure)
                {
                    var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                    stream = ssl;
                    try
                    {
                        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = uri.IdnHost }, timeout.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
                    {
                        throw new WebSocketConnectException($"Timed out after {options.ConnectTimeout.TotalSeconds:0.#} s in the TLS handshake with {uri}. Check that the port speaks TLS (wss://) and not plain ws://.", ex);
                    }
                    catch (System.Security.Authentication.AuthenticationException ex)
                    {
                        throw new WebSocketConnectException($"TLS handshake with {uri} failed: {ex.Message}. Check the certificate and that the port speaks TLS (KIS real-time uses plain ws://).", ex);
                    }
                }
            }

            WebSocketConnection connection = await HandshakeAsync(stream, socket, uri, options, cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }

            socket.Dispose();
            throw;
        }
    }

    /// <summary>Performs the client handshake over an already connected stream (any transport) and wraps it.</summary>
    /// <exception cref="WebSocketHandshakeException">The server refused the upgrade, or did not answer within the connect timeout.</exception>
    public static Task<WebSocketConnection> ClientHandshakeAsync(Stream stream, Uri uri, WebSocketConnectionOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(uri);
        ArgumentNullException.ThrowIfNull(options);
        return HandshakeAsync(stream, null, uri, options, cancellationToken);
    }

    private static async Task<WebSocketConnection> HandshakeAsync(Stream stream, Socket? socket, Uri uri, WebSocketConnectionOptions options, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        try
        {
            (byte[] buffer, int offset, int count) = await WebSocketHandshake.PerformAsync(stream, uri, options, timeout.Token).ConfigureAwait(false);
            return new WebSocketConnection(stream, socket, options, buffer, offset, count);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new WebSocketHandshakeException($"WebSocket handshake with {uri} timed out after {options.ConnectTimeout.TotalSeconds:0.#} s: the server accepted TCP but sent no complete HTTP answer. Check the path and that the port serves WebSocket.", ex);
        }
    }
}
