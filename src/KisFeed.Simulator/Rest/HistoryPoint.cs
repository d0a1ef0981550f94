namespace KisFeed.Simulator;

/// <summary>The state of one (venue, code) at the end of one second: what a REST history row shows.</summary>
/// <param name="Second">The second (its start, KST offset).</param>
/// <param name="Price">The stock price then (KRW).</param>
/// <param name="SellQty">Cumulative program sell volume.</param>
/// <param name="SellValue">Cumulative program sell value (KRW).</param>
/// <param name="BuyQty">Cumulative program buy volume.</param>
/// <param name="BuyValue">Cumulative program buy value (KRW).</param>
/// <param name="MarketVolume">Accumulated traded volume of the stock (all trading, not only programs).</param>
internal readonly record struct HistoryPoint(DateTimeOffset Second, long Price, long SellQty, long SellValue, long BuyQty, long BuyValue, long MarketVolume)
{
    public static HistoryPoint Of(DateTimeOffset second, in ProgramFields s) =>
        new(second, s.Price, s.SellQty, s.SellValue, s.BuyQty, s.BuyValue, s.MarketVolume);
}
