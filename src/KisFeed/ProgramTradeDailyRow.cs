namespace KisFeed;

/// <summary>One day of KIS's daily program-trading history (<c>program-trade-by-stock-daily</c>).</summary>
/// <param name="Venue">The market.</param>
/// <param name="Code">Stock code.</param>
/// <param name="Date">Trading date (<c>stck_bsop_date</c>).</param>
/// <param name="ClosePrice">Closing price, or the current price today (<c>stck_clpr</c>).</param>
/// <param name="Change">Change against the previous close (<c>prdy_vrss</c>).</param>
/// <param name="ChangeSign">Sign of the change (<c>prdy_vrss_sign</c>).</param>
/// <param name="ChangePercent">Change, % (<c>prdy_ctrt</c>).</param>
/// <param name="AccumulatedVolume">Traded volume of the day (<c>acml_vol</c>).</param>
/// <param name="SellVolume">Program sell volume of the day.</param>
/// <param name="SellValue">Program sell value of the day, KRW.</param>
/// <param name="BuyVolume">Program buy volume of the day.</param>
/// <param name="BuyValue">Program buy value of the day, KRW.</param>
/// <param name="NetBuyVolume">Program net buy volume of the day.</param>
/// <param name="NetBuyValue">Program net buy value of the day, KRW.</param>
public sealed record ProgramTradeDailyRow(
    Venue Venue,
    string Code,
    DateOnly Date,
    long ClosePrice,
    long Change,
    PriceChangeSign ChangeSign,
    decimal ChangePercent,
    long AccumulatedVolume,
    long SellVolume,
    long SellValue,
    long BuyVolume,
    long BuyValue,
    long NetBuyVolume,
    long NetBuyValue)
{
    /// <summary>
    /// The change of <see cref="NetBuyValue"/> against the previous trading day (<c>whol_ntby_tr_pbmn_icdc2</c>),
    /// computed from the two rows when the previous day is in the same reply: on some days KIS sends the day's net itself
    /// in that field (notes §14). For the oldest row of a reply, KIS's field, unless it equals the day's net (then null:
    /// the increase is not known).
    /// </summary>
    public long? NetBuyValueChange { get; init; }
}
