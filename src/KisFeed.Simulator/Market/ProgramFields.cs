namespace KisFeed.Simulator;

/// <summary>
/// The state of one (stock, venue) at one instant: cumulative program volumes and values (arbitrage included, and
/// broken out), the resting-order fields, the stock's accumulated volume and value, and its price.
/// </summary>
internal readonly record struct ProgramFields(
    long SellQty,
    long SellValue,
    long BuyQty,
    long BuyValue,
    long AskResidual,
    long BidResidual,
    long MarketVolume,
    long MarketValue,
    long ArbSellQty,
    long ArbSellValue,
    long ArbBuyQty,
    long ArbBuyValue,
    long Price)
{
    public static readonly ProgramFields Zero = default;

    public long NetQty => BuyQty - SellQty;

    public long NetValue => BuyValue - SellValue;

    /// <summary>KRX + NXT, field by field (the unified venue); the price is the stock's, shared.</summary>
    public static ProgramFields operator +(ProgramFields a, ProgramFields b) => new(
        a.SellQty + b.SellQty, a.SellValue + b.SellValue, a.BuyQty + b.BuyQty, a.BuyValue + b.BuyValue,
        a.AskResidual + b.AskResidual, a.BidResidual + b.BidResidual, a.MarketVolume + b.MarketVolume, a.MarketValue + b.MarketValue,
        a.ArbSellQty + b.ArbSellQty, a.ArbSellValue + b.ArbSellValue, a.ArbBuyQty + b.ArbBuyQty, a.ArbBuyValue + b.ArbBuyValue,
        Math.Max(a.Price, b.Price));

    /// <summary>
    /// The state a fraction <paramref name="w"/> of the way from <paramref name="start"/> to <paramref name="end"/>: the
    /// intermediate updates within one second. Cumulative fields round down (w = 1 gives exactly <paramref name="end"/>),
    /// so they never decrease.
    /// </summary>
    public static ProgramFields Interpolate(in ProgramFields start, in ProgramFields end, double w)
    {
        if (w >= 1)
        {
            return end;
        }

        if (w <= 0)
        {
            return start with { Price = end.Price };
        }

        return new ProgramFields(
            Step(start.SellQty, end.SellQty, w), Step(start.SellValue, end.SellValue, w), Step(start.BuyQty, end.BuyQty, w), Step(start.BuyValue, end.BuyValue, w),
            start.AskResidual + (long)Math.Round((end.AskResidual - start.AskResidual) * w), start.BidResidual + (long)Math.Round((end.BidResidual - start.BidResidual) * w),
            Step(start.MarketVolume, end.MarketVolume, w), Step(start.MarketValue, end.MarketValue, w),
            Step(start.ArbSellQty, end.ArbSellQty, w), Step(start.ArbSellValue, end.ArbSellValue, w), Step(start.ArbBuyQty, end.ArbBuyQty, w), Step(start.ArbBuyValue, end.ArbBuyValue, w),
            end.Price);

        static long Step(long a, long b, double w) => b <= a ? b : a + (long)Math.Floor((b - a) * w);
    }
}
