using System.Text;

namespace KisFeed.Simulator;

/// <summary>
/// Malformed frames of the kinds KIS users report (notes §4.3, §6, §10), to send with
/// <see cref="KisSimulator.SendRawAsync"/>. Written by hand here, not with the client's code.
/// The first three of <see cref="Tolerable"/> are odd but legal and must be delivered; every one of <see cref="Broken"/>
/// must be rejected (counted and logged) without ending the stream.
/// </summary>
public static class MalformedFrames
{
    private const string Fields = "100000^1200^84000000^1500^105000000^300^21000000^5000^7000^2000";

    /// <summary>A valid 11-field record of <paramref name="code"/> (values consistent with the simulator's invariants).</summary>
    public static string Record(string code) => code + "^" + Fields;

    /// <summary>Frames that must be rejected: name → bytes.</summary>
    public static IReadOnlyList<(string Name, byte[] Bytes)> Broken(string code = "005930") =>
    [
        ("invalid UTF-8", [.. Encoding.ASCII.GetBytes("0|H0STPGM0|001|" + code + "^1000"), 0xFF, 0xFE, .. Encoding.ASCII.GetBytes("^1^2^3^4^5^6^7^8^9")]),
        ("truncated frame", Encoding.ASCII.GetBytes("0|H0STPGM0|00")),
        ("truncated record", Encoding.ASCII.GetBytes("0|H0STPGM0|001|" + code + "^100000^1200^84")),
        ("count does not match", Encoding.ASCII.GetBytes("0|H0STPGM0|003|" + Record(code) + "^" + Record(code))),
        ("too few fields", Encoding.ASCII.GetBytes("0|H0STPGM0|001|" + code + "^100000^1200")),
        ("unknown TR id", Encoding.ASCII.GetBytes("0|H0ZZPGM0|001|" + Record(code))),
        ("JSON reply with no header", Encoding.ASCII.GetBytes("{\"body\":{\"rt_cd\":\"9\",\"msg_cd\":\"OPSP9999\",\"msg1\":\"JSON PARSING ERROR : invalid json format\"}}")),
        ("invalid UTF-8 inside a JSON string", [.. Encoding.ASCII.GetBytes("{\"header\":{\"tr_id\":\"(null)\"},\"body\":{\"rt_cd\":\"9\",\"msg_cd\":\"OPSP"), 0xFE, .. Encoding.ASCII.GetBytes("\",\"msg1\":\"x\"}}")]),
        ("not JSON", Encoding.ASCII.GetBytes("{\"header\":")),
        ("garbage", [0x00, 0x01, 0x02, 0xC3, 0x28]),
        ("empty", []),
    ];

    /// <summary>Frames that are odd but legal (notes §6): extra fields, <c>(null)</c> values, a trailing <c>^</c>.</summary>
    public static IReadOnlyList<(string Name, byte[] Bytes)> Tolerable(string code = "005930") =>
    [
        ("extra fields", Encoding.ASCII.GetBytes("0|H0STPGM0|001|" + Record(code) + "^X^Y")),
        ("(null) values", Encoding.ASCII.GetBytes("0|H0STPGM0|001|" + code + "^100000^(null)^84000000^1500^105000000^300^21000000^5000^7000^2000")),
        ("trailing caret", Encoding.ASCII.GetBytes("0|H0STPGM0|001|" + Record(code) + "^")),
    ];
}
