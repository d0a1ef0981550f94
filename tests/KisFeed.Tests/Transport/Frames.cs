using System.Buffers.Binary;
using System.Text;

namespace KisFeed.Tests.Transport;

/// <summary>
/// Test-side RFC 6455 framing, written independently of the transport so the tests check it against the RFC rather
/// than against itself.
/// </summary>
internal static class Frames
{
    public const byte Continuation = 0x0;
    public const byte Text = 0x1;
    public const byte Binary = 0x2;
    public const byte Close = 0x8;
    public const byte Ping = 0x9;
    public const byte Pong = 0xA;

    public const string KisSample = "0|H0STPGM0|001|005930^092237^1413444^109159646900^1189408^91931710200^-224036^-17227936700^65033^15475^-49558";

    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>A server frame: unmasked unless <paramref name="mask"/> is given.</summary>
    public static byte[] Server(byte opcode, ReadOnlySpan<byte> payload, bool fin = true, byte rsv = 0, byte[]? mask = null)
    {
        var frame = new List<byte> { (byte)((fin ? 0x80 : 0) | rsv | opcode) };
        byte maskBit = mask is null ? (byte)0 : (byte)0x80;
        if (payload.Length < 126)
        {
            frame.Add((byte)(maskBit | payload.Length));
        }
        else if (payload.Length <= 0xFFFF)
        {
            frame.Add((byte)(maskBit | 126));
            frame.Add((byte)(payload.Length >> 8));
            frame.Add((byte)payload.Length);
        }
        else
        {
            frame.Add((byte)(maskBit | 127));
            for (int shift = 56; shift >= 0; shift -= 8)
            {
                frame.Add((byte)((long)payload.Length >> shift));
            }
        }

        if (mask is null)
        {
            frame.AddRange(payload.ToArray());
        }
        else
        {
            frame.AddRange(mask);
            for (int i = 0; i < payload.Length; i++)
            {
                frame.Add((byte)(payload[i] ^ mask[i % 4]));
            }
        }

        return [.. frame];
    }

    public static byte[] ServerText(string text) => Server(Text, Utf8(text));

    public static byte[] ServerClose(ushort status, string reason = "")
    {
        byte[] payload = new byte[2 + Encoding.UTF8.GetByteCount(reason)];
        BinaryPrimitives.WriteUInt16BigEndian(payload, status);
        Encoding.UTF8.GetBytes(reason, payload.AsSpan(2));
        return Server(Close, payload);
    }

    public static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    /// <summary>Splits <paramref name="payload"/> at <paramref name="cuts"/> into a first frame and continuation frames.</summary>
    public static byte[] Fragmented(byte opcode, byte[] payload, IReadOnlyList<int> cuts)
    {
        var parts = new List<byte[]>();
        int start = 0;
        int[] ends = [.. cuts, payload.Length];
        for (int i = 0; i < ends.Length; i++)
        {
            bool last = i == ends.Length - 1;
            parts.Add(Server(i == 0 ? opcode : Continuation, payload.AsSpan(start, ends[i] - start), fin: last));
            start = ends[i];
        }

        return Concat([.. parts]);
    }

    /// <summary>A frame a client wrote, already unmasked.</summary>
    public sealed record ClientFrame(bool Fin, byte Opcode, bool Masked, byte[] MaskKey, byte[] Payload, int LengthBytes);

    /// <summary>Parses every client frame in <paramref name="data"/>; asserts the bytes end on a frame boundary.</summary>
    public static List<ClientFrame> ParseClient(ReadOnlySpan<byte> data)
    {
        var frames = new List<ClientFrame>();
        while (!data.IsEmpty)
        {
            bool fin = (data[0] & 0x80) != 0;
            byte opcode = (byte)(data[0] & 0x0F);
            bool masked = (data[1] & 0x80) != 0;
            long length = data[1] & 0x7F;
            int pos = 2;
            int lengthBytes = 0;
            if (length == 126)
            {
                length = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
                pos = 4;
                lengthBytes = 2;
            }
            else if (length == 127)
            {
                length = (long)BinaryPrimitives.ReadUInt64BigEndian(data[2..]);
                pos = 10;
                lengthBytes = 8;
            }

            byte[] key = masked ? data.Slice(pos, 4).ToArray() : [];
            pos += masked ? 4 : 0;
            byte[] payload = data.Slice(pos, (int)length).ToArray();
            for (int i = 0; i < payload.Length && masked; i++)
            {
                payload[i] ^= key[i % 4];
            }

            frames.Add(new ClientFrame(fin, opcode, masked, key, payload, lengthBytes));
            data = data[(pos + (int)length)..];
        }

        return frames;
    }
}
