using System.Globalization;
using System.Text.Json;

namespace KisFeed.Simulator;

/// <summary>A price against the previous close: change, its sign (1 상한, 2 상승, 3 보합, 4 하한, 5 하락) and change %.</summary>
internal static class PriceChange
{
    /// <summary>The upper price limit: +30 % of the previous close, rounded down to the grid.</summary>
    public static long Upper(long previousClose) => TickGrid.Floor(previousClose * 1.3);

    /// <summary>The lower price limit: −30 % of the previous close, rounded up to the grid.</summary>
    public static long Lower(long previousClose)
    {
        long floor = TickGrid.Floor(previousClose * 0.7);
        return floor < previousClose * 0.7 ? floor + TickGrid.TickAt(floor) : floor;
    }

    public static string Sign(long price, long previousClose) =>
        price >= Upper(previousClose) ? "1" : price <= Lower(previousClose) ? "4" : price > previousClose ? "2" : price < previousClose ? "5" : "3";

    public static string Percent(long price, long previousClose) =>
        (previousClose == 0 ? 0 : Math.Round((price - previousClose) * 100.0 / previousClose, 2, MidpointRounding.AwayFromZero)).ToString("0.00", CultureInfo.InvariantCulture);

    /// <summary>Writes <paramref name="name"/> = the price, then <c>prdy_vrss</c>, <c>prdy_vrss_sign</c>, <c>prdy_ctrt</c>.</summary>
    public static void Write(Utf8JsonWriter w, string name, long price, long previousClose)
    {
        w.WriteString(name, Records.N(price));
        w.WriteString("prdy_vrss", Records.N(price - previousClose));
        w.WriteString("prdy_vrss_sign", Sign(price, previousClose));
        w.WriteString("prdy_ctrt", Percent(price, previousClose));
    }

    public static void WriteOk(Utf8JsonWriter w)
    {
        w.WriteString("rt_cd", "0");
        w.WriteString("msg_cd", "MCA00000");
        w.WriteString("msg1", "정상처리 되었습니다.");
    }
}
