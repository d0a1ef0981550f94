namespace KisFeed.Protocol;

/// <summary>What a WebSocket text message from KIS is, judged by its first byte (the rule every KIS sample uses).</summary>
internal enum KisMessageKind
{
    /// <summary>An empty message.</summary>
    Empty,

    /// <summary>A real-time data frame: <c>0|TR|NNN|payload</c> (plain) or <c>1|TR|NNN|payload</c> (encrypted).</summary>
    Data,

    /// <summary>A JSON control message: a subscribe reply, an error, or PINGPONG.</summary>
    Json,

    /// <summary>Anything else.</summary>
    Unknown,
}

internal static class KisMessage
{
    public static KisMessageKind Classify(ReadOnlySpan<byte> message)
    {
        if (message.IsEmpty)
        {
            return KisMessageKind.Empty;
        }

        byte first = message[0];
        if (first is (byte)'0' or (byte)'1')
        {
            return KisMessageKind.Data;
        }

        int i = 0;
        while (i < message.Length && message[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or 0xEF or 0xBB or 0xBF)
        {
            i++; // whitespace or a UTF-8 byte-order mark
        }

        return i < message.Length && message[i] == (byte)'{' ? KisMessageKind.Json : KisMessageKind.Unknown;
    }
}
