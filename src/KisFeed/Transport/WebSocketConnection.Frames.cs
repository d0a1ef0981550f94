using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace KisFeed.Transport;

// Frames: the RFC 6455 header parser and the mask, pure functions of bytes.
internal sealed partial class WebSocketConnection
{
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
