using System.Buffers;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;

namespace KisFeed.Transport;

// Receiving: frames read into the one pooled buffer, control frames answered, fragments joined in place, limits checked.
internal sealed partial class WebSocketConnection
{
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
}
