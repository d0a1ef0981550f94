namespace KisFeed.Simulator;

/// <summary>
/// <see cref="IndexTotals"/> in 천주 / 백만원, each part split customer (위탁, entm) / own account (자기, onsl); every
/// derived figure (sums, nets, rates) is computed from these integers, so the served fields add up exactly.
/// </summary>
internal readonly record struct MarketUnits(
    (long Customer, long Own) ArbSellQty,
    (long Customer, long Own) ArbSellValue,
    (long Customer, long Own) ArbBuyQty,
    (long Customer, long Own) ArbBuyValue,
    (long Customer, long Own) NabtSellQty,
    (long Customer, long Own) NabtSellValue,
    (long Customer, long Own) NabtBuyQty,
    (long Customer, long Own) NabtBuyValue,
    long MarketVolume,
    long MarketValue)
{
    public static long T((long Customer, long Own) p) => p.Customer + p.Own;

    public long ArbSellQ => T(ArbSellQty);

    public long ArbSellV => T(ArbSellValue);

    public long ArbBuyQ => T(ArbBuyQty);

    public long ArbBuyV => T(ArbBuyValue);

    public long NabtSellQ => T(NabtSellQty);

    public long NabtSellV => T(NabtSellValue);

    public long NabtBuyQ => T(NabtBuyQty);

    public long NabtBuyV => T(NabtBuyValue);

    public long SellQ => ArbSellQ + NabtSellQ;

    public long SellV => ArbSellV + NabtSellV;

    public long BuyQ => ArbBuyQ + NabtBuyQ;

    public long BuyV => ArbBuyV + NabtBuyV;

    /// <summary>
    /// The 88 fields of <c>H0UPPGM0</c> in the official sample's order (koreainvestment/open-trading-api
    /// <c>examples_llm/domestic_stock/index_program_trade/index_program_trade.py</c>): index code, time, the eight
    /// volume and eight value parts, the arbitrage, non-arbitrage, customer and own-account sums with their shares of the
    /// market (%), the totals, the eight nets, and the market's accumulated volume and value.
    /// </summary>
    public string[] FrameFields(string code, string time)
    {
        long mq = MarketVolume, mv = MarketValue;
        var f = new List<string>(88) { code, time };
        foreach ((long c, long o) in (ReadOnlySpan<(long, long)>)[ArbSellQty, ArbBuyQty, NabtSellQty, NabtBuyQty])
        {
            f.Add(Records.N(c));
            f.Add(Records.N(o));
        }

        foreach ((long c, long o) in (ReadOnlySpan<(long, long)>)[ArbSellValue, ArbBuyValue, NabtSellValue, NabtBuyValue])
        {
            f.Add(Records.N(c));
            f.Add(Records.N(o));
        }

        // 차익 / 비차익 sums: sell, buy, net, each volume (with rate) then value (with rate).
        Sums(f, ArbSellQ, ArbSellV, ArbBuyQ, ArbBuyV, mq, mv);
        Sums(f, NabtSellQ, NabtSellV, NabtBuyQ, NabtBuyV, mq, mv);

        // 위탁 / 자기 totals over both kinds.
        Sums(f, ArbSellQty.Customer + NabtSellQty.Customer, ArbSellValue.Customer + NabtSellValue.Customer, ArbBuyQty.Customer + NabtBuyQty.Customer, ArbBuyValue.Customer + NabtBuyValue.Customer, mq, mv);
        Sums(f, ArbSellQty.Own + NabtSellQty.Own, ArbSellValue.Own + NabtSellValue.Own, ArbBuyQty.Own + NabtBuyQty.Own, ArbBuyValue.Own + NabtBuyValue.Own, mq, mv);

        // Whole: total sell, total buy, net.
        Sums(f, SellQ, SellV, BuyQ, BuyV, mq, mv);

        // The eight nets: arbitrage customer, arbitrage own, non-arbitrage customer, non-arbitrage own (volume, value).
        f.Add(Records.N(ArbBuyQty.Customer - ArbSellQty.Customer));
        f.Add(Records.N(ArbBuyValue.Customer - ArbSellValue.Customer));
        f.Add(Records.N(ArbBuyQty.Own - ArbSellQty.Own));
        f.Add(Records.N(ArbBuyValue.Own - ArbSellValue.Own));
        f.Add(Records.N(NabtBuyQty.Customer - NabtSellQty.Customer));
        f.Add(Records.N(NabtBuyValue.Customer - NabtSellValue.Customer));
        f.Add(Records.N(NabtBuyQty.Own - NabtSellQty.Own));
        f.Add(Records.N(NabtBuyValue.Own - NabtSellValue.Own));
        f.Add(Records.N(mq));
        f.Add(Records.N(mv));
        return [.. f];

        static void Sums(List<string> f, long sq, long sv, long bq, long bv, long mq, long mv)
        {
            foreach ((long q, long v) in (ReadOnlySpan<(long, long)>)[(sq, sv), (bq, bv), (bq - sq, bv - sv)])
            {
                f.Add(Records.N(q));
                f.Add(Records.Rate(q, mq));
                f.Add(Records.N(v));
                f.Add(Records.Rate(v, mv));
            }
        }
    }
}
