namespace KisFeed.Protocol;

/// <summary>
/// Reading the <c>^</c>-separated fields of a real-time data frame's payload (§7), shared by the stock and the index
/// parsers.
/// </summary>
internal static class CaretFields
{
    /// <summary>The next field of <paramref name="payload"/>, which moves past it (and its <c>^</c>).</summary>
    public static ReadOnlySpan<byte> Next(scoped ref ReadOnlySpan<byte> payload)
    {
        int caret = payload.IndexOf((byte)'^');
        ReadOnlySpan<byte> field;
        if (caret < 0)
        {
            field = payload;
            payload = default;
        }
        else
        {
            field = payload[..caret];
            payload = payload[(caret + 1)..];
        }

        return field;
    }

    /// <summary>The fields at <paramref name="fieldIndex"/> and after it (the code and time of a record starting there).</summary>
    public static void CodeAndTimeAt(ReadOnlySpan<byte> payload, int fieldIndex, out ReadOnlySpan<byte> code, out ReadOnlySpan<byte> time)
    {
        for (int i = 0; i < fieldIndex; i++)
        {
            _ = Next(ref payload);
        }

        code = Next(ref payload);
        time = Next(ref payload);
    }

    /// <summary>True when every byte is an ASCII digit (true for an empty span).</summary>
    public static bool IsDigits(ReadOnlySpan<byte> s)
    {
        foreach (byte b in s)
        {
            if ((uint)(b - '0') > 9)
            {
                return false;
            }
        }

        return true;
    }
}
