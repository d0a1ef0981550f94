namespace KisFeed.Simulator;

/// <summary>
/// The program trading of a set of stocks (an index's members, a market) on one venue at one instant, in shares and
/// KRW: arbitrage (the basket trades) and non-arbitrage (everything else the stocks' program trading holds), each sell
/// and buy, and the stocks' accumulated volume and value. The sums are exact: non-arbitrage = Σ program − Σ arbitrage.
/// </summary>
internal readonly record struct IndexTotals(
    long ArbSellQty,
    long ArbSellValue,
    long ArbBuyQty,
    long ArbBuyValue,
    long NabtSellQty,
    long NabtSellValue,
    long NabtBuyQty,
    long NabtBuyValue,
    long MarketVolume,
    long MarketValue)
{
    public static IndexTotals Sum(IEnumerable<ProgramFields> states)
    {
        long asq = 0, asv = 0, abq = 0, abv = 0, nsq = 0, nsv = 0, nbq = 0, nbv = 0, mv = 0, mval = 0;
        foreach (ProgramFields s in states)
        {
            asq += s.ArbSellQty;
            asv += s.ArbSellValue;
            abq += s.ArbBuyQty;
            abv += s.ArbBuyValue;
            nsq += s.SellQty - s.ArbSellQty;
            nsv += s.SellValue - s.ArbSellValue;
            nbq += s.BuyQty - s.ArbBuyQty;
            nbv += s.BuyValue - s.ArbBuyValue;
            mv += s.MarketVolume;
            mval += s.MarketValue;
        }

        return new IndexTotals(asq, asv, abq, abv, nsq, nsv, nbq, nbv, mv, mval);
    }

    /// <summary>
    /// The totals in the units of KIS's market statistics [inferred for H0UPPGM0 from the REST examples]: volumes in
    /// thousands of shares (천주), values in millions of KRW (백만원), each rounded down; split into customer (위탁)
    /// and own-account (자기) parts by the day's shares <paramref name="ownArb"/> and <paramref name="ownNabt"/>.
    /// </summary>
    public MarketUnits InUnits(double ownArb, double ownNabt) => new(
        Split(ArbSellQty / 1000, ownArb), Split(ArbSellValue / 1_000_000, ownArb), Split(ArbBuyQty / 1000, ownArb), Split(ArbBuyValue / 1_000_000, ownArb),
        Split(NabtSellQty / 1000, ownNabt), Split(NabtSellValue / 1_000_000, ownNabt), Split(NabtBuyQty / 1000, ownNabt), Split(NabtBuyValue / 1_000_000, ownNabt),
        MarketVolume / 1000, MarketValue / 1_000_000);

    private static (long Customer, long Own) Split(long total, double own)
    {
        long o = (long)Math.Floor(total * own);
        return (total - o, o);
    }
}
