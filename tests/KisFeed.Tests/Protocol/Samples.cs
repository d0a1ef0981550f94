using System.Text;

namespace KisFeed.Tests.Protocol;

/// <summary>Wire samples. The first is the only real frame published by KIS (H0STPGM0 example); the rest vary it.</summary>
internal static class Samples
{
    public const string Official = "0|H0STPGM0|001|005930^092237^1413444^109159646900^1189408^91931710200^-224036^-17227936700^65033^15475^-49558";

    public const string Nxt3 =
        "0|H0NXPGM0|003|005930^090001^10^770000^30^2310000^20^1540000^5^7^2" +
        "^000660^090001^1^180000^0^0^-1^-180000^0^3^3" +
        "^005930^090002^11^847000^31^2387000^20^1540000^6^7^1";

    public const string TrailingCaret = "0|H0UNPGM0|001|005930^092237^1^2^3^4^2^2^5^6^1^";

    public const string NullsAndEmpties = "0|H0NXPGM0|001|005930^092237^(null)^^3^4^^(null)^5^6^1";

    public const string ExtraFields = "0|H0NXPGM0|002|005930^092237^1^2^3^4^2^2^5^6^1^X^2^000660^092238^1^2^3^4^2^2^5^6^1^Y^3";

    public const string TooFew = "0|H0NXPGM0|001|005930^092237^1^2^3^4^2^2^5";

    public const string CountTooHigh = "0|H0NXPGM0|003|005930^092237^1^2^3^4^2^2^5^6^1^000660^092238^1^2^3^4^2^2^5^6^1";

    public const string CountTooLow = "0|H0NXPGM0|001|005930^092237^1^2^3^4^2^2^5^6^1^000660^092238^1^2^3^4^2^2^5^6^1";

    public static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    public static readonly DateTimeOffset ReceivedAt = new(2026, 11, 24, 0, 22, 37, TimeSpan.Zero); // 09:22:37 KST
}
