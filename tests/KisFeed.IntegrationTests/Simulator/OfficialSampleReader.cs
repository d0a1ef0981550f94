using System.Text.Json;

namespace KisFeed.IntegrationTests.Simulator;

/// <summary>
/// What the official KIS Python sample (koreainvestment/open-trading-api, <c>examples_llm/kis_auth.py</c>) gets out of a
/// JSON reply in its <c>system_resp(data)</c>, written here in C# from the behaviour described in the protocol notes
/// (§4.1, §5): it reads <c>rdic["header"]["tr_id"]</c> first, then (unless PINGPONG) <c>header["tr_key"]</c> and
/// <c>header["encrypt"]</c>; with a body, <c>body["rt_cd"] == "0"</c>, <c>body["msg1"]</c>, and iv/key from
/// <c>body["output"]</c> when present; "UNSUB" at the start of msg1 marks an unsubscribe reply. A missing key is a
/// Python <c>KeyError</c>: here <see cref="KeyNotFoundException"/>, which is what makes the sample reconnect and give up.
/// </summary>
internal sealed record SystemResp(bool IsOk, string TrId, string? TrKey, bool IsUnSub, bool IsPingPong, string? TrMsg, string? Iv, string? EKey, string? Encrypt)
{
    public static SystemResp Read(string data)
    {
        using JsonDocument doc = JsonDocument.Parse(data);
        JsonElement rdic = doc.RootElement;
        JsonElement header = rdic.GetProperty("header");
        string trId = header.GetProperty("tr_id").GetString()!;
        string? trKey = null, encrypt = null;
        if (trId != "PINGPONG")
        {
            trKey = header.GetProperty("tr_key").GetString();
            encrypt = header.GetProperty("encrypt").GetString();
        }

        bool isOk = false, isUnSub = false, isPingPong = false;
        string? msg = null, iv = null, key = null;
        if (rdic.TryGetProperty("body", out JsonElement body) && body.ValueKind != JsonValueKind.Null)
        {
            isOk = body.GetProperty("rt_cd").GetString() == "0";
            msg = body.GetProperty("msg1").GetString()!;
            if (body.TryGetProperty("output", out JsonElement output))
            {
                iv = output.GetProperty("iv").GetString();
                key = output.GetProperty("key").GetString();
            }

            isUnSub = msg.StartsWith("UNSUB", StringComparison.Ordinal);
        }
        else
        {
            isPingPong = trId == "PINGPONG";
        }

        return new SystemResp(isOk, trId, trKey, isUnSub, isPingPong, msg, iv, key, encrypt);
    }
}
