using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;

namespace KisFeed.Transport;

// Closing: the close handshake both ways, failing the connection on a protocol error, abort and disposal.
internal sealed partial class WebSocketConnection
{
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
}
