using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace KisFeed.Simulator;

/// <summary>One control reply: code, text, rt_cd and header shape. Written with <see cref="Utf8JsonWriter"/>.</summary>
internal readonly record struct ControlReply(string RtCd, string MsgCd, string Msg1, ReplyHeader Header)
{
    // Codes and texts: notes §4.2 table; texts of captured frames (§4.3) win where they differ from the table.
    public static ControlReply SubscribeSuccess => new("0", "OPSP0000", "SUBSCRIBE SUCCESS", ReplyHeader.Echo);
    public static ControlReply UnsubscribeSuccess => new("0", "OPSP0001", "UNSUBSCRIBE SUCCESS", ReplyHeader.Echo);
    public static ControlReply AlreadySubscribed => new("1", "OPSP0002", "ALREADY IN SUBSCRIBE", ReplyHeader.Echo);

    // Captured text has no space before '(' (notes §4.3). Captured without a header, but the official sample's
    // system_resp reads header.tr_id/tr_key/encrypt of every reply, so the header is on by default (ErrorReplyShape).
    public static ControlReply UnsubscribeNotFound => new("1", "OPSP0003", "UNSUBSCRIBE ERROR(not found!)", ReplyHeader.Echo);
    public static ControlReply MaxSubscribeOver => new("1", "OPSP0008", "MAX SUBSCRIBE OVER", ReplyHeader.Echo);

    // Captured: {"body":{"rt_cd":"1","msg_cd":"OPSP0011","msg1":"invalid approval : <key>"}} and, from another client,
    // the same code with the requested tr_id/tr_key in the header (notes §4.3): the header echoes the request.
    public static ControlReply InvalidApproval(string? key) =>
        new("1", "OPSP0011", "invalid approval : " + (string.IsNullOrEmpty(key) ? "NOT FOUND" : key), ReplyHeader.Echo);

    public static ControlReply InvalidTrId => new("1", "OPSP8991", "SUBSCRIBE ERROR : invalid tr_id", ReplyHeader.Echo);
    public static ControlReply InvalidTrKey => new("1", "OPSP8992", "SUBSCRIBE ERROR : invalid tr_key", ReplyHeader.Echo);

    // Session-level: rt_cd "9" and the "(null)" header (captured, notes §4.3).
    public static ControlReply AlreadyInUse => new("9", "OPSP8996", "ALREADY IN USE appkey", ReplyHeader.Null);

    // JSON parsing errors: rt_cd "1" and a header echoing what the request named ("(null)" where it named nothing) are
    // inferred (no capture found).
    public static ControlReply InvalidTrType => new("1", "OPSP8997", "JSON PARSING ERROR : invalid tr_type", ReplyHeader.Echo);
    public static ControlReply InvalidCustType => new("1", "OPSP8998", "JSON PARSING ERROR : invalid custtype", ReplyHeader.Echo);
    public static ControlReply TrKeyNotFound => new("1", "OPSP9990", "JSON PARSING ERROR : tr_key not found", ReplyHeader.Echo);
    public static ControlReply InputNotFound => new("1", "OPSP9991", "JSON PARSING ERROR : input not found", ReplyHeader.Echo);
    public static ControlReply BodyNotFound => new("1", "OPSP9992", "JSON PARSING ERROR : body not found", ReplyHeader.Echo);
    public static ControlReply CustTypeNotFound => new("1", "OPSP9997", "JSON PARSING ERROR : custtype not found", ReplyHeader.Echo);
    public static ControlReply HeaderNotFound => new("1", "OPSP9998", "JSON PARSING ERROR : header not found", ReplyHeader.Echo);
    public static ControlReply InvalidJson => new("1", "OPSP9999", "JSON PARSING ERROR : invalid json format", ReplyHeader.Echo);

    /// <summary>Whether this reply reports an error (<c>rt_cd</c> other than <c>"0"</c>).</summary>
    public bool IsError => RtCd != "0";

    /// <summary>
    /// Serialises the reply. <paramref name="output"/> = (iv, key) for SUBSCRIBE SUCCESS (notes §4.1).
    /// <paramref name="shape"/> = <see cref="ErrorReplyShape.BodyOnly"/> drops the header of error replies only.
    /// </summary>
    public byte[] ToUtf8(string? trId, string? trKey, (string Iv, string Key)? output = null, ErrorReplyShape shape = ErrorReplyShape.WithHeader)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            if (!(IsError && shape == ErrorReplyShape.BodyOnly))
            {
                // All three fields, always: the official system_resp reads header["tr_id"], ["tr_key"] and ["encrypt"].
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
