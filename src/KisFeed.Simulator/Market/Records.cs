using System.Globalization;

namespace KisFeed.Simulator;

/// <summary>
/// Data records as the server sends them (notes §7.1): the 11 program-trading fields of a stock, in order, as
/// invariant-culture integers (a leading '-', no '+', no decimals).
/// </summary>
internal static class Records
{
    /// <summary><c>MKSC_SHRN_ISCD, STCK_CNTG_HOUR, SELN_CNQN, SELN_TR_PBMN, SHNU_CNQN, SHNU_TR_PBMN, NTBY_CNQN, NTBY_TR_PBMN, SELN_RSQN, SHNU_RSQN, WHOL_NTBY_QTY</c>.</summary>
    public static string[] Stock(string code, string time, in ProgramFields s) =>
    [
        code,
        time,
        N(s.SellQty),
        N(s.SellValue),
        N(s.BuyQty),
        N(s.BuyValue),
        N(s.BuyQty - s.SellQty),
        N(s.BuyValue - s.SellValue),
        N(s.AskResidual),
        N(s.BidResidual),
        N(s.BidResidual - s.AskResidual),
    ];

    public static string N(long v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>A percentage with two decimals (<c>12.34</c>, <c>-0.05</c>); 0 when the base is 0.</summary>
    public static string Rate(long part, long whole) =>
        (whole == 0 ? 0 : Math.Round(part * 100.0 / whole, 2, MidpointRounding.AwayFromZero)).ToString("0.00", CultureInfo.InvariantCulture);
}
