using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace KisFeed.Simulator;

/// <summary>How a control reply carries its header (notes §4.3: real replies vary).</summary>
internal enum ReplyHeader
{
    /// <summary><c>{"tr_id":"&lt;req&gt;","tr_key":"&lt;req&gt;","encrypt":"N"}</c> (notes §4.1).</summary>
    Echo,

    /// <summary><c>{"tr_id":"(null)","tr_key":"","encrypt":"N"}</c> (captured OPSP8996, notes §4.3).</summary>
    Null,

    /// <summary>No header at all, body only (captured OPSP0011 / OPSP0003 / OPSP8996, notes §4.3).</summary>
    None,
}

/// <summary>One control reply: code, text, rt_cd and header shape. Written with <see cref="Utf8JsonWriter"/>.</summary>
internal readonly record struct ControlReply(string RtCd, string MsgCd, string Msg1, ReplyHeader Header)
{
    // Codes and texts: notes §4.2 table; texts of captured frames (§4.3) win where they differ from the table.
    public static ControlReply SubscribeSuccess => new("0", "OPSP0000", "SUBSCRIBE SUCCESS", ReplyHeader.Echo);
    public static ControlReply UnsubscribeSuccess => new("0", "OPSP0001", "UNSUBSCRIBE SUCCESS", ReplyHeader.Echo);
    public static ControlReply AlreadySubscribed => new("1", "OPSP0002", "ALREADY IN SUBSCRIBE", ReplyHeader.Echo);

    // Captured text has no space before '(' (notes §4.3); captured without header.
    public static ControlReply UnsubscribeNotFound => new("1", "OPSP0003", "UNSUBSCRIBE ERROR(not found!)", ReplyHeader.None);
    public static ControlReply MaxSubscribeOver => new("1", "OPSP0008", "MAX SUBSCRIBE OVER", ReplyHeader.Echo);

    // Captured: {"body":{"rt_cd":"1","msg_cd":"OPSP0011","msg1":"invalid approval : <key>"}} (notes §4.3).
    public static ControlReply InvalidApproval(string? key) =>
        new("1", "OPSP0011", "invalid approval : " + (string.IsNullOrEmpty(key) ? "NOT FOUND" : key), ReplyHeader.None);

    public static ControlReply InvalidTrId => new("1", "OPSP8991", "SUBSCRIBE ERROR : invalid tr_id", ReplyHeader.Echo);
    public static ControlReply InvalidTrKey => new("1", "OPSP8992", "SUBSCRIBE ERROR : invalid tr_key", ReplyHeader.Echo);

    // Session-level: rt_cd "9" and the "(null)" header (captured, notes §4.3).
    public static ControlReply AlreadyInUse => new("9", "OPSP8996", "ALREADY IN USE appkey", ReplyHeader.Null);

    // JSON parsing errors: rt_cd "1" and a "(null)" header are inferred (no capture found).
    public static ControlReply InvalidTrType => new("1", "OPSP8997", "JSON PARSING ERROR : invalid tr_type", ReplyHeader.Null);
    public static ControlReply InvalidCustType => new("1", "OPSP8998", "JSON PARSING ERROR : invalid custtype", ReplyHeader.Null);
    public static ControlReply TrKeyNotFound => new("1", "OPSP9990", "JSON PARSING ERROR : tr_key not found", ReplyHeader.Null);
    public static ControlReply InputNotFound => new("1", "OPSP9991", "JSON PARSING ERROR : input not found", ReplyHeader.Null);
    public static ControlReply BodyNotFound => new("1", "OPSP9992", "JSON PARSING ERROR : body not found", ReplyHeader.Null);
    public static ControlReply CustTypeNotFound => new("1", "OPSP9997", "JSON PARSING ERROR : custtype not found", ReplyHeader.Null);
    public static ControlReply HeaderNotFound => new("1", "OPSP9998", "JSON PARSING ERROR : header not found", ReplyHeader.Null);
    public static ControlReply InvalidJson => new("1", "OPSP9999", "JSON PARSING ERROR : invalid json format", ReplyHeader.Null);

    /// <summary>Serialises the reply. <paramref name="output"/> = (iv, key) for SUBSCRIBE SUCCESS (notes §4.1).</summary>
    public byte[] ToUtf8(string? trId, string? trKey, (string Iv, string Key)? output = null)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            if (Header != ReplyHeader.None)
            {
                w.WriteStartObject("header");
                w.WriteString("tr_id", Header == ReplyHeader.Echo ? trId ?? "(null)" : "(null)");
                w.WriteString("tr_key", Header == ReplyHeader.Echo ? trKey ?? string.Empty : string.Empty);
                w.WriteString("encrypt", "N");
                w.WriteEndObject();
            }

            w.WriteStartObject("body");
            w.WriteString("rt_cd", RtCd);
            w.WriteString("msg_cd", MsgCd);
            w.WriteString("msg1", Msg1);
            if (output is { } o)
            {
                w.WriteStartObject("output");
                w.WriteString("iv", o.Iv);
                w.WriteString("key", o.Key);
                w.WriteEndObject();
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary><c>{"header":{"tr_id":"PINGPONG","datetime":"YYYYMMDDHHMMSS"}}</c> in KST (notes §5).</summary>
    public static byte[] PingPong(DateTimeOffset now) =>
        System.Text.Encoding.UTF8.GetBytes(
            "{\"header\":{\"tr_id\":\"PINGPONG\",\"datetime\":\""
            + KoreaTime.ToKst(now).ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + "\"}}");
}
