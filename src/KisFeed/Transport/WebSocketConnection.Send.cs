using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace KisFeed.Transport;

// Sending: one masked FIN frame per message, built in a pooled buffer, sends serialized by _sendLock.
internal sealed partial class WebSocketConnection
{
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
}
