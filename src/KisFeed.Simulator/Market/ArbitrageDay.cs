namespace KisFeed.Simulator;

/// <summary>
/// Index arbitrage (차익거래) of one market on one day, on KRX: basket trades of the market's basket (the 200 largest
/// KOSPI stocks, the 150 largest KOSDAQ stocks), each unit holding every member in proportion to its weight (its typical
/// traded value) for about 1 billion KRW in all. The day trades a number of units on each side (about 1.5 % of the
/// KOSPI's traded value, 0.2 % of the KOSDAQ's, often one-sided), spread over the day like the market's flow in blocks
/// of its own activity. A member's arbitrage volume at any second is the units so far times its shares per unit, so the
/// market's arbitrage total is exactly the sum over the members.
/// </summary>
internal sealed class ArbitrageDay
{
    /// <summary>KRW of one basket unit at the members' levels.</summary>
    public const double UnitValue = 1e9;

    private readonly DayProfile _profile;
    private readonly long[] _total = new long[2];
    private readonly double[][] _cum = [new double[DayProfile.Blocks + 1], new double[DayProfile.Blocks + 1]];

    public ArbitrageDay(int seed, StockMarket market, DateOnly date, DayProfile krxProfile, double marketTradedValue)
    {
        _profile = krxProfile;
        ulong key = Mix.Hash((ulong)seed, 0x41524249UL, (ulong)market, (ulong)date.DayNumber);
        double share = market == StockMarket.Kospi ? 0.015 : 0.002;
        double perSide = share * marketTradedValue * Math.Exp(0.4 * Mix.FastNormal(Mix.Hash(key, 1)));
        double bias = Math.Clamp(0.5 * Mix.FastNormal(Mix.Hash(key, 2)), -0.8, 0.8);
        bool trades = krxProfile.Total > 0;
        _total[0] = trades ? (long)Math.Round(perSide * (1 - bias) / UnitValue) : 0; // sell
        _total[1] = trades ? (long)Math.Round(perSide * (1 + bias) / UnitValue) : 0; // buy
        for (int side = 0; side < 2; side++)
        {
            double c = 0;
            for (int b = 0; b < DayProfile.Blocks; b++)
            {
                _cum[side][b] = c;
                double w = krxProfile.BlockCum[b + 1] - krxProfile.BlockCum[b];
                c += w * Math.Exp(0.8 * Mix.FastNormal(Mix.Hash(key, 3 + (ulong)side, (ulong)b)));
            }

            _cum[side][DayProfile.Blocks] = c;
        }
    }

    /// <summary>Units traded on <paramref name="side"/> (0 sell, 1 buy) after <paramref name="elapsed"/> seconds of the day.</summary>
    public long Units(int side, int elapsed) => StockDay.Cumulative(_total[side], _cum[side], _profile, elapsed);

    /// <summary>Units at the start of block <paramref name="b"/>.</summary>
    public long UnitsAtBlock(int side, int b) => StockDay.AtBlock(_total[side], _cum[side], b);
}
