using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

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
/// <para>Why one file of this size: it is one algorithm, the RFC 6455 client state machine (connect and handshake,
/// frame parsing into one pooled buffer, fragment joining, masking, the close handshake), whose parts share the
/// buffer offsets and close flags; split, each part would need the others' private state.</para>
/// </remarks>
internal sealed class WebSocketConnection : IKisConnection
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

    /// <summary>
    /// Reads the next text, binary or close message. Answers Pings, ignores Pongs, joins fragments. The returned payload
    /// is valid until the next call. After a Close message is returned, further calls throw.
    /// </summary>
    /// <exception cref="WebSocketProtocolException">The peer broke the protocol; a Close (1002/1009) was sent and the connection shut.</exception>
    /// <exception cref="WebSocketConnectionClosedException">The stream ended without a Close frame.</exception>
    /// <exception cref="InvalidOperationException">Another receive is in progress, or the connection is closed.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<WebSocketMessage> ReceiveAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_closingDrain)
        {
            throw new InvalidOperationException("The WebSocket connection is closing (CloseAsync is reading the peer's close); no more messages are delivered.");
        }

        if (Interlocked.CompareExchange(ref _receiving, 1, 0) != 0)
        {
            throw new InvalidOperationException("ReceiveAsync is already in progress: a WebSocketConnection has a single reader.");
        }

        try
        {
            return await ReceiveCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _receiving, 0);
        }
    }

    private async ValueTask<WebSocketMessage> ReceiveCoreAsync(CancellationToken cancellationToken)
    {
        if (_closeReceived)
        {
            throw new InvalidOperationException("The peer's Close frame was already received; no more messages will arrive.");
        }

        if (_aborted || _streamClosed)
        {
            throw new InvalidOperationException("The WebSocket connection was aborted or shut down.");
        }

        if (_releaseMessageOnNextReceive)
        {
            _releaseMessageOnNextReceive = false;
            _messageStart = 0;
            _messageLength = 0;
            if (_dataStart == _dataEnd)
            {
                _dataStart = _dataEnd = 0;
            }
        }

        while (true)
        {
            if (!TryReadHeader(_buffer.AsSpan(_dataStart, _dataEnd - _dataStart), out FrameHeader header))
            {
                await FillAsync(MaxFrameHeaderSize, cancellationToken).ConfigureAwait(false);
                continue;
            }

            (WebSocketCloseStatus status, string reason)? violation = Validate(header);
            if (violation is { } v)
            {
                await FailAsync(v.status, v.reason).ConfigureAwait(false);
            }

            int payloadLength = (int)header.PayloadLength;
            int frameLength = header.HeaderLength + payloadLength;
            if (_dataEnd - _dataStart < frameLength)
            {
                await FillAsync(frameLength, cancellationToken).ConfigureAwait(false);
                continue;
            }

            int payloadOffset = _dataStart + header.HeaderLength;
            if (header.Masked)
            {
                ApplyMask(_buffer.AsSpan(payloadOffset, payloadLength), _buffer.AsSpan(payloadOffset - 4, 4));
                Interlocked.Increment(ref _maskedFramesReceived);
            }

            _dataStart += frameLength;

            switch (header.Opcode)
            {
                case OpText or OpBinary:
                    _messageStart = payloadOffset;
                    _messageLength = payloadLength;
                    WebSocketMessageKind kind = header.Opcode == OpText ? WebSocketMessageKind.Text : WebSocketMessageKind.Binary;
                    if (header.Fin)
                    {
                        return CompleteMessage(kind);
                    }

                    _inFragmentedMessage = true;
                    _fragmentedKind = kind;
                    break;

                case OpContinuation:
                    int destination = _messageStart + _messageLength;
                    if (destination != payloadOffset)
                    {
                        // Join in place: move this fragment down to the end of the message so far (memmove semantics).
                        _buffer.AsSpan(payloadOffset, payloadLength).CopyTo(_buffer.AsSpan(destination));
                    }

                    _messageLength += payloadLength;
                    if (header.Fin)
                    {
                        _inFragmentedMessage = false;
                        return CompleteMessage(_fragmentedKind);
                    }

                    break;

                case OpPing:
                    await SendControlAsync(OpPong, payloadOffset, payloadLength, cancellationToken).ConfigureAwait(false);
                    break;

                case OpPong:
                    break;

                default: // OpClose; other opcodes were rejected by Validate.
                    return await HandleCloseAsync(payloadOffset, payloadLength, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private WebSocketMessage CompleteMessage(WebSocketMessageKind kind)
    {
        _releaseMessageOnNextReceive = true;
        Interlocked.Increment(ref _messagesReceived);
        return new WebSocketMessage(kind, new ReadOnlyMemory<byte>(_buffer, _messageStart, _messageLength));
    }

    private (WebSocketCloseStatus, string)? Validate(in FrameHeader header)
    {
        if (header.Rsv != 0)
        {
            return (WebSocketCloseStatus.ProtocolError, $"Received a frame with RSV bits 0x{header.Rsv:X2} set, but no extension was negotiated.");
        }

        switch (header.Opcode)
        {
            case OpClose or OpPing or OpPong:
                if (!header.Fin)
                {
                    return (WebSocketCloseStatus.ProtocolError, $"Received a fragmented control frame (opcode 0x{header.Opcode:X}).");
                }

                if (header.PayloadLength > MaxControlPayload)
                {
                    return (WebSocketCloseStatus.ProtocolError, $"Received a control frame (opcode 0x{header.Opcode:X}) with a {header.PayloadLength}-byte payload; the limit is 125.");
                }

                return null;

            case OpText or OpBinary:
                if (_inFragmentedMessage)
                {
                    return (WebSocketCloseStatus.ProtocolError, "Received a new data frame while a fragmented message was still open (expected a continuation frame).");
                }

                return header.PayloadLength > (ulong)_options.MaxMessageSize
                    ? (WebSocketCloseStatus.MessageTooBig, $"Received a {header.PayloadLength}-byte message; the limit (MaxMessageSize) is {_options.MaxMessageSize} bytes.")
                    : null;

            case OpContinuation:
                if (!_inFragmentedMessage)
                {
                    return (WebSocketCloseStatus.ProtocolError, "Received a continuation frame with no fragmented message open.");
                }

                return header.PayloadLength > (ulong)(_options.MaxMessageSize - _messageLength)
                    ? (WebSocketCloseStatus.MessageTooBig, $"A fragmented message grew to more than {_options.MaxMessageSize} bytes (MaxMessageSize).")
                    : null;

            default:
                return (WebSocketCloseStatus.ProtocolError, $"Received a frame with unknown opcode 0x{header.Opcode:X}.");
        }
    }

    /// <summary>Fails the connection (RFC 6455 7.1.7): sends Close with <paramref name="status"/> once, shuts the stream, throws.</summary>
    private async ValueTask FailAsync(WebSocketCloseStatus status, string reason)
    {
        using (var timeout = new CancellationTokenSource(_options.CloseTimeout))
        {
            try
            {
                await SendCloseFrameIfNotSentAsync(status, null, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
            {
                // Best effort: the connection is being failed anyway.
            }
        }

        ShutdownStream();
        throw new WebSocketProtocolException(status, $"{reason} The connection was closed with {(int)status} ({status}).");
    }

    private async ValueTask<WebSocketMessage> HandleCloseAsync(int payloadOffset, int payloadLength, CancellationToken cancellationToken)
    {
        if (payloadLength == 1)
        {
            await FailAsync(WebSocketCloseStatus.ProtocolError, "Received a Close frame with a 1-byte payload (a status code needs 2).").ConfigureAwait(false);
        }

        WebSocketCloseStatus? status = null;
        string? description = null;
        if (payloadLength >= 2)
        {
            status = (WebSocketCloseStatus)BinaryPrimitives.ReadUInt16BigEndian(_buffer.AsSpan(payloadOffset, 2));
            if (payloadLength > 2)
            {
                description = Encoding.UTF8.GetString(_buffer, payloadOffset + 2, payloadLength - 2);
            }
        }

        _closeReceived = true;
        _inFragmentedMessage = false;
        _messageStart = payloadOffset;
        _messageLength = payloadLength;
        _releaseMessageOnNextReceive = true;

        // Answer once, echoing the status code (RFC 6455 5.5.1), unless we started the close ourselves.
        try
        {
            await SendCloseFrameIfNotSentAsync(status ?? WebSocketCloseStatus.Empty, null, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The peer may already have shut the TCP connection; the close message is still delivered.
        }

        _peerCloseReceived.TrySetResult();
        return new WebSocketMessage(WebSocketMessageKind.Close, new ReadOnlyMemory<byte>(_buffer, payloadOffset, payloadLength), status, description);
    }

    /// <summary>Makes room for <paramref name="needed"/> bytes from the current frame start, then reads once.</summary>
    private async ValueTask FillAsync(int needed, CancellationToken cancellationToken)
    {
        EnsureSpace(needed);
        int read;
        try
        {
            read = await _stream.ReadAsync(_buffer.AsMemory(_dataEnd), cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex) when (!_aborted && !_streamClosed)
        {
            throw new WebSocketConnectionClosedException(
                $"The WebSocket connection was lost without a close frame ({ex.Message}) after {BytesReceived} bytes and {MessagesReceived} messages.", ex);
        }

        if (read == 0)
        {
            _streamClosed = true;
            throw new WebSocketConnectionClosedException(
                $"The connection was closed by the peer without a close frame after {BytesReceived} bytes and {MessagesReceived} messages"
                + (_dataEnd > _dataStart ? $" ({_dataEnd - _dataStart} bytes of an incomplete frame pending)." : "."));
        }

        _dataEnd += read;
        Interlocked.Add(ref _bytesReceived, read);
    }

    /// <summary>
    /// Ensures the buffer can hold <paramref name="needed"/> bytes starting at <see cref="_dataStart"/>: reclaims consumed
    /// space by moving the open message and the unparsed bytes to the front, and grows (re-rents) the buffer if still too small.
    /// </summary>
    private void EnsureSpace(int needed)
    {
        int keep = _inFragmentedMessage ? _messageLength : 0;
        int keepStart = _inFragmentedMessage ? _messageStart : _dataStart;
        int dataLength = _dataEnd - _dataStart;
        int reclaimable = _dataStart - keep;
        bool fits = _dataStart + needed <= _buffer.Length;
        if (fits && (_buffer.Length - _dataEnd >= MinReadSpace || reclaimable == 0))
        {
            return;
        }

        int required = keep + Math.Max(needed, dataLength + 1);
        byte[] target = _buffer;
        if (required > _buffer.Length)
        {
            int size = (int)Math.Min(Math.Max((long)_buffer.Length * 2, required), Array.MaxLength);
            target = ArrayPool<byte>.Shared.Rent(size);
        }

        if (keep > 0 && (keepStart != 0 || !ReferenceEquals(target, _buffer)))
        {
            _buffer.AsSpan(keepStart, keep).CopyTo(target);
        }

        _buffer.AsSpan(_dataStart, dataLength).CopyTo(target.AsSpan(keep));
        if (!ReferenceEquals(target, _buffer))
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = target;
        }

        _messageStart = 0;
        _dataStart = keep;
        _dataEnd = keep + dataLength;
    }

    /// <summary>Sends one text message as a single masked FIN frame. Thread-safe; sends are serialized.</summary>
    /// <exception cref="InvalidOperationException">A Close frame was already sent or the connection is gone.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendTextAsync(ReadOnlyMemory<byte> utf8, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_closeSent || _aborted || _streamClosed)
            {
                throw new InvalidOperationException("Cannot send: the WebSocket connection is closing or closed.");
            }

            await WriteFrameLockedAsync(OpText, utf8.Span, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async ValueTask SendControlAsync(byte opcode, int payloadOffset, int payloadLength, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_closeSent || _aborted || _streamClosed)
            {
                return; // After our Close nothing else may be sent (RFC 6455 5.5.1).
            }

            await WriteFrameLockedAsync(opcode, _buffer.AsSpan(payloadOffset, payloadLength), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async ValueTask SendCloseFrameIfNotSentAsync(WebSocketCloseStatus status, string? description, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_closeSent || _aborted || _streamClosed)
            {
                return;
            }

            _closeSent = true;
            await WriteFrameLockedAsync(OpClose, BuildClosePayload(status, description, stackalloc byte[MaxControlPayload]), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private static ReadOnlySpan<byte> BuildClosePayload(WebSocketCloseStatus status, string? description, Span<byte> destination)
    {
        // 1005 (no status), 1006 (abnormal) and 1015 (TLS) are reserved for reporting and must not be sent.
        if (status is WebSocketCloseStatus.Empty or (WebSocketCloseStatus)1006 or (WebSocketCloseStatus)1015)
        {
            return [];
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)status);
        int length = 2;
        if (!string.IsNullOrEmpty(description))
        {
            // Truncate to the control-frame limit without splitting a character.
            ReadOnlySpan<char> chars = description;
            while (Encoding.UTF8.GetByteCount(chars) > MaxControlPayload - 2)
            {
                chars = chars[..^1];
            }

            length += Encoding.UTF8.GetBytes(chars, destination[2..]);
        }

        return destination[..length];
    }

    /// <summary>Builds a masked FIN frame in the pooled send buffer and writes it. Caller holds <see cref="_sendLock"/>.</summary>
    private ValueTask WriteFrameLockedAsync(byte opcode, ReadOnlySpan<byte> payload, CancellationToken cancellationToken)
    {
        int frameLength = MaxFrameHeaderSize + payload.Length;
        if (_sendBuffer is null || _sendBuffer.Length < frameLength)
        {
            byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Max(frameLength, 512));
            if (_sendBuffer is not null)
            {
                ArrayPool<byte>.Shared.Return(_sendBuffer);
            }

            _sendBuffer = bigger;
        }

        Span<byte> frame = _sendBuffer;
        frame[0] = (byte)(0x80 | opcode);
        int headerLength;
        if (payload.Length <= 125)
        {
            frame[1] = (byte)(0x80 | payload.Length);
            headerLength = 2;
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            frame[1] = 0x80 | 126;
            BinaryPrimitives.WriteUInt16BigEndian(frame[2..], (ushort)payload.Length);
            headerLength = 4;
        }
        else
        {
            frame[1] = 0x80 | 127;
            BinaryPrimitives.WriteUInt64BigEndian(frame[2..], (ulong)payload.Length);
            headerLength = 10;
        }

        Span<byte> maskKey = frame.Slice(headerLength, 4);
        RandomNumberGenerator.Fill(maskKey);
        headerLength += 4;
        Span<byte> body = frame.Slice(headerLength, payload.Length);
        payload.CopyTo(body);
        ApplyMask(body, maskKey);
        return WriteAndFlushAsync(_sendBuffer.AsMemory(0, headerLength + payload.Length), cancellationToken);
    }

    /// <summary>
    /// Writes a whole frame. A write cancelled midway may leave half a frame on the wire, after which the peer can no
    /// longer parse the stream, so a cancelled or failed write aborts the connection.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteAndFlushAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        try
        {
            await _stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            Abort();
            throw;
        }
    }

    /// <summary>
    /// Closes gracefully: sends Close (once), waits up to <see cref="WebSocketConnectionOptions.CloseTimeout"/> for the
    /// peer's Close (discarding data messages that still arrive), then shuts the stream. If another task is inside
    /// <see cref="ReceiveAsync"/>, that reader sees the peer's Close and this method only waits for it.
    /// </summary>
    public async ValueTask CloseAsync(WebSocketCloseStatus status, string? description, CancellationToken cancellationToken)
    {
        if (_aborted || _streamClosed)
        {
            return;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.CloseTimeout);
        try
        {
            await SendCloseFrameIfNotSentAsync(status, description, timeout.Token).ConfigureAwait(false);
            if (!_closeReceived)
            {
                if (Interlocked.CompareExchange(ref _receiving, 1, 0) == 0)
                {
                    _closingDrain = true;
                    try
                    {
                        while (!_closeReceived)
                        {
                            _ = await ReceiveCoreAsync(timeout.Token).ConfigureAwait(false);
                        }
                    }
                    finally
                    {
                        Volatile.Write(ref _receiving, 0);
                    }
                }
                else
                {
                    await _peerCloseReceived.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The peer did not answer within CloseTimeout; shut the stream anyway.
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or ObjectDisposedException)
        {
            // The peer went away or broke the protocol while closing; nothing more to do than shut the stream.
        }
        finally
        {
            ShutdownStream();
        }
    }

    /// <summary>Closes the socket at once without a close handshake. Pending reads and writes fail.</summary>
    public void Abort()
    {
        _aborted = true;
        ShutdownStream();
    }

    private void ShutdownStream()
    {
        _streamClosed = true;
        _peerCloseReceived.TrySetResult();
        try
        {
            _socket?.Dispose();
            _stream.Dispose();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
        {
            // Already gone.
        }
    }

    /// <summary>
    /// Closes gracefully if still open (bounded by <see cref="WebSocketConnectionOptions.CloseTimeout"/>), shuts the
    /// stream and returns the pooled buffers. Safe to call more than once.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (IsOpen)
        {
            await CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).ConfigureAwait(false);
        }

        ShutdownStream();

        // Return buffers only if nobody is using them; otherwise leave them to the GC (never hand out a live buffer).
        if (Interlocked.CompareExchange(ref _receiving, 1, 0) == 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
            _dataStart = _dataEnd = _messageStart = _messageLength = 0;
        }

        if (_sendLock.Wait(0))
        {
            if (_sendBuffer is not null)
            {
                ArrayPool<byte>.Shared.Return(_sendBuffer);
                _sendBuffer = null;
            }

            // The lock is kept: no send can start after disposal.
        }
    }

    /// <summary>XORs <paramref name="data"/> with the 4-byte <paramref name="key"/> (RFC 6455 5.3), 8 bytes at a time.</summary>
    internal static void ApplyMask(Span<byte> data, ReadOnlySpan<byte> key)
    {
        Span<byte> key8 = stackalloc byte[8];
        key[..4].CopyTo(key8);
        key[..4].CopyTo(key8[4..]);
        ulong mask = MemoryMarshal.Read<ulong>(key8);
        int i = 0;
        for (; i + 8 <= data.Length; i += 8)
        {
            Span<byte> chunk = data.Slice(i, 8);
            ulong value = MemoryMarshal.Read<ulong>(chunk) ^ mask;
            MemoryMarshal.Write(chunk, in value);
        }

        for (; i < data.Length; i++)
        {
            data[i] ^= key[i & 3];
        }
    }

    private static bool TryReadHeader(ReadOnlySpan<byte> data, out FrameHeader header)
    {
        header = default;
        if (data.Length < 2)
        {
            return false;
        }

        byte b0 = data[0];
        byte b1 = data[1];
        int headerLength = 2;
        ulong payloadLength = (ulong)(b1 & 0x7F);
        if (payloadLength == 126)
        {
            if (data.Length < 4)
            {
                return false;
            }

            payloadLength = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
            headerLength = 4;
        }
        else if (payloadLength == 127)
        {
            if (data.Length < 10)
            {
                return false;
            }

            payloadLength = BinaryPrimitives.ReadUInt64BigEndian(data[2..]);
            headerLength = 10;
        }

        bool masked = (b1 & 0x80) != 0;
        if (masked)
        {
            headerLength += 4;
            if (data.Length < headerLength)
            {
                return false;
            }
        }

        header = new FrameHeader((b0 & 0x80) != 0, (byte)(b0 & 0x70), (byte)(b0 & 0x0F), masked, payloadLength, headerLength);
        return true;
    }

    /// <summary>A parsed frame header. <see cref="HeaderLength"/> includes the mask key, which sits just before the payload.</summary>
    private readonly record struct FrameHeader(bool Fin, byte Rsv, byte Opcode, bool Masked, ulong PayloadLength, int HeaderLength);
}
