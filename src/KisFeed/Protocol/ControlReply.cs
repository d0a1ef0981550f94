using System.Text.Json;

namespace KisFeed.Protocol;

/// <summary>
/// A JSON control message from KIS: a subscribe/unsubscribe reply, an error, or the PINGPONG heartbeat.
/// Every member is optional on the wire; <c>header</c> may be missing and <c>header.tr_id</c> may be <c>"(null)"</c>.
/// </summary>
internal sealed record ControlReply(
    string? TrId,
    string? TrKey,
    string? Encrypt,
    string? RtCd,
    string? MsgCd,
    string? Msg1,
    string? Iv,
    string? Key)
{
    public const string PingPongTrId = "PINGPONG";

    /// <summary>True for the heartbeat (<c>header.tr_id == "PINGPONG"</c>).</summary>
    public bool IsPingPong => TrId == PingPongTrId;

    /// <summary>True when <c>rt_cd</c> is <c>"0"</c> (KIS's only success value).</summary>
    public bool IsSuccess => RtCd == "0";

    /// <summary>True when the header names a real TR (not missing, empty or <c>"(null)"</c>).</summary>
    public bool HasTrId => !string.IsNullOrEmpty(TrId) && TrId != "(null)";

    /// <summary>Parses a control message; returns null when it is not a JSON object.</summary>
    public static ControlReply? TryParse(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            string? trId = null, trKey = null, encrypt = null, rtCd = null, msgCd = null, msg1 = null, iv = null, key = null;
            // Track the path by depth: 1 = root, 2 = header/body, 3 = body.output.
            string? section = null;
            string? subsection = null;
            int depth = 1;
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        depth--;
                        if (depth == 1)
                        {
                            section = null;
                        }
                        else if (depth == 2)
                        {
                            subsection = null;
                        }

                        break;
                    case JsonTokenType.StartArray or JsonTokenType.StartObject:
                        depth++; // an array, or an object inside an array: nothing we read lives there
                        break;
                    case JsonTokenType.PropertyName:
                        string name = reader.GetString()!;
                        if (!reader.Read())
                        {
                            return null;
                        }

                        if (reader.TokenType == JsonTokenType.StartObject)
                        {
                            depth++;
                            if (depth == 2)
                            {
                                section = name;
                            }
                            else if (depth == 3)
                            {
                                subsection = name;
                            }

                            break;
                        }

                        if (reader.TokenType == JsonTokenType.StartArray)
                        {
                            depth++;
                            break;
                        }

                        string? value = reader.TokenType switch
                        {
                            JsonTokenType.String => reader.GetString(),
                            JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False => System.Text.Encoding.UTF8.GetString(reader.ValueSpan),
                            _ => null,
                        };
                        if (depth == 2 && section == "header")
                        {
                            switch (name)
                            {
                                case "tr_id": trId = value; break;
                                case "tr_key": trKey = value; break;
                                case "encrypt": encrypt = value; break;
                            }
                        }
                        else if (depth == 2 && section == "body")
                        {
                            switch (name)
                            {
                                case "rt_cd": rtCd = value; break;
                                case "msg_cd": msgCd = value; break;
                                case "msg1": msg1 = value; break;
                            }
                        }
                        else if (depth == 3 && section == "body" && subsection == "output")
                        {
                            switch (name)
                            {
                                case "iv": iv = value; break;
                                case "key": key = value; break;
                            }
                        }

                        break;
                }
            }

            return new ControlReply(trId, trKey, encrypt, rtCd, msgCd, msg1, iv, key);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a string with invalid UTF-8 (GetString cannot transcode it); found by the fuzzer.
            return null;
        }
    }
}
