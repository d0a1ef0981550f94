using System.Buffers;
using System.Text.Json;

namespace KisFeed.Protocol;

/// <summary>Writes the documented subscribe (<c>tr_type</c> "1") and unsubscribe ("2") messages.</summary>
internal static class SubscribeRequest
{
    public const string Subscribe = "1";
    public const string Unsubscribe = "2";

    /// <summary>
    /// <c>{"header":{"approval_key":..,"custtype":"P","tr_type":"1","content-type":"utf-8"},"body":{"input":{"tr_id":..,"tr_key":..}}}</c>
    /// </summary>
    public static byte[] Build(string approvalKey, char custType, string trType, string trId, string trKey)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartObject("header");
            w.WriteString("approval_key", approvalKey);
            w.WriteString("custtype", custType.ToString());
            w.WriteString("tr_type", trType);
            w.WriteString("content-type", "utf-8");
            w.WriteEndObject();
            w.WriteStartObject("body");
            w.WriteStartObject("input");
            w.WriteString("tr_id", trId);
            w.WriteString("tr_key", trKey);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
