using System.Buffers.Binary;

namespace KisFeed.Protocol;

/// <summary>The parts of a real-time data frame <c>&lt;0|1&gt;|&lt;TR&gt;|&lt;NNN&gt;|&lt;payload&gt;</c>, as slices of the frame.</summary>
internal readonly ref struct DataFrame
{
    public DataFrame(bool encrypted, ReadOnlySpan<byte> trId, int count, ReadOnlySpan<byte> payload)
    {
        Encrypted = encrypted;
        TrId = trId;
        Count = count;
        Payload = payload;
    }

    /// <summary>True for <c>1|</c> frames (AES-256-CBC, base64).</summary>
    public bool Encrypted { get; }

    public ReadOnlySpan<byte> TrId { get; }

    /// <summary>The record count from the header (<c>NNN</c>).</summary>
    public int Count { get; }

    /// <summary>Everything after the third <c>|</c>; it may itself contain <c>|</c>.</summary>
    public ReadOnlySpan<byte> Payload { get; }

    /// <summary>Words for a header error from <see cref="TryRead"/>.</summary>
    public static string Describe(FrameError error) => error == FrameError.BadCount
        ? "the record count is not a positive number"
        : "not of the form 0|TR|NNN|payload";

    /// <summary>Splits a frame into its header parts. Only the first three <c>|</c> separate; the payload is left whole.</summary>
    public static FrameError TryRead(ReadOnlySpan<byte> frame, out DataFrame result)
    {
        if (TryReadUsual(frame, out result))
        {
            return FrameError.None;
        }

        result = default;
        if (frame.Length < 2 || frame[0] is not ((byte)'0' or (byte)'1') || frame[1] != (byte)'|')
        {
            return FrameError.BadHeader;
        }

        ReadOnlySpan<byte> rest = frame[2..];
        int bar = rest.IndexOf((byte)'|');
        if (bar <= 0 || bar > 16)
        {
            return FrameError.BadHeader;
        }

        ReadOnlySpan<byte> trId = rest[..bar];
        rest = rest[(bar + 1)..];
        bar = rest.IndexOf((byte)'|');
        if (bar < 0)
        {
            return FrameError.BadHeader;
        }

        ReadOnlySpan<byte> countText = rest[..bar];
        if (countText.IsEmpty || countText.Length > 6)
        {
            return FrameError.BadCount;
        }

        int count = 0;
        foreach (byte b in countText)
        {
            uint digit = (uint)(b - '0');
            if (digit > 9)
            {
                return FrameError.BadCount;
            }

            count = (count * 10) + (int)digit;
        }

        if (count == 0)
        {
            return FrameError.BadCount;
        }

        result = new DataFrame(frame[0] == (byte)'1', trId, count, rest[(bar + 1)..]);
        return FrameError.None;
    }

    /// <summary>
    /// The shape of every KIS data frame seen, <c>0|XXXXXXXX|NNN|</c> (an 8-character TR id, a 3-digit count), checked
    /// in place without searching for the bars. False for anything else, which <see cref="TryRead"/> then splits in full.
    /// </summary>
    private static bool TryReadUsual(ReadOnlySpan<byte> frame, out DataFrame result)
    {
        result = default;
        if (frame.Length <= 15 || frame[1] != (byte)'|' || frame[10] != (byte)'|' || frame[14] != (byte)'|' || frame[0] is not ((byte)'0' or (byte)'1'))
        {
            return false;
        }

        // No '|' among the eight TR id bytes (a zero byte after XOR with '|' in every lane), so frame[10] is the second bar.
        ulong x = BinaryPrimitives.ReadUInt64LittleEndian(frame[2..]) ^ 0x7C7C7C7C7C7C7C7CUL;
        if (((x - 0x0101010101010101UL) & ~x & 0x8080808080808080UL) != 0)
        {
            return false;
        }

        uint c2 = (uint)(frame[11] - '0'), c1 = (uint)(frame[12] - '0'), c0 = (uint)(frame[13] - '0');
        if (c2 > 9 || c1 > 9 || c0 > 9 || (c2 | c1 | c0) == 0)
        {
            return false; // not digits, or a count of 0 (reported by the full path)
        }

        result = new DataFrame(frame[0] == (byte)'1', frame.Slice(2, 8), (int)((c2 * 100) + (c1 * 10) + c0), frame[15..]);
        return true;
    }
}
