namespace KisFeed.Simulator;

/// <summary>
/// One stock on one venue for one KST day: everything its program-trading record and REST rows show, as a function of
/// the second. The day's totals come from the stock's typical traded value (a daily draw around it; NXT about 15 % of
/// KRX), its program share (larger for more traded stocks, 3–30 % a side) and a buy/sell bias. Each flow (program
/// sell, program buy, other trading) is spread over the day by the venue's <see cref="DayProfile"/>, with its own
/// activity draw per block of 20 minutes, so cumulative volume at any second is the day's total times a fraction that
/// only grows. Values add each block's volume at the price near the block's start (the price walk moves a few ticks
/// a block), so value ≈ volume × the price of the day's <see cref="PricePath"/>. A KRX member of an arbitrage basket adds
/// its share of the basket trades (<see cref="ArbitrageDay"/>) on both sides.
/// </summary>
internal sealed class StockDay
{
    private const int Blocks = DayProfile.Blocks;
    private const int BlockSeconds = DayProfile.BlockSeconds;

    private readonly DayProfile _profile;
    private readonly PricePath _path;
    private readonly ArbitrageDay? _arb;
    private readonly long _arbShares;
    private readonly long[] _total = new long[3];
    private readonly double[][] _cum = new double[3][];
    private readonly long[][] _valueAt = new long[3][];
    private readonly long[][] _arbValueAt = new long[2][];
    private readonly long[] _priceAt = new long[Blocks];
    private readonly ulong _residualKey;
    private readonly long _lot;

    public StockDay(int seed, SimulatedStock stock, Venue venue, DateOnly date, DayProfile profile, PricePath path, ArbitrageDay? arb, long arbShares)
    {
        _profile = profile;
        _path = path;
        _arb = arb;
        _arbShares = arb is null ? 0 : arbShares;
        ulong day = Mix.Hash((ulong)seed, 0x44415953UL, Mix.Key(stock.Code), (ulong)date.DayNumber);
        ulong key = Mix.Hash(day, (ulong)venue);
        double dayFactor = Math.Exp(0.3 * Mix.FastNormal(Mix.Hash(day, 1)));
        double venueShare = venue == Venue.Nxt ? 0.15 : 1.0;
        double volume = profile.Total > 0 ? stock.TypicalTradedValue * dayFactor * venueShare / Math.Max(1, stock.PriceLevel) : 0;
        double share = Math.Clamp(0.06 + (0.05 * Math.Log10(stock.TypicalTradedValue / 1e9)), 0.03, 0.30) * Math.Exp(0.15 * Mix.FastNormal(Mix.Hash(key, 2)));
        share = Math.Min(0.35, venue == Venue.Nxt ? share * 0.6 : share);
        double bias = Math.Clamp(0.25 * Mix.FastNormal(Mix.Hash(key, 3)), -0.7, 0.7);
        _total[0] = (long)Math.Floor(share * volume * (1 - bias));
        _total[1] = (long)Math.Floor(share * volume * (1 + bias));
        _total[2] = Math.Max(0, (long)Math.Floor(volume) - _total[0] - _total[1]);
        _lot = Math.Max(1, (long)(volume / 50_000));
        _residualKey = Mix.Hash(key, 4);

        for (int b = 0; b < Blocks; b++)
        {
            // The price as the price block holding this block's start began (at most 4¼ minutes earlier): a lookup.
            _priceAt[b] = path.PriceAtBlockStart(b * BlockSeconds / DaySchedule.PriceBlock);
        }

        for (int f = 0; f < 3; f++)
        {
            double[] c = _cum[f] = new double[Blocks + 1];
            double sum = 0;
            for (int b = 0; b < Blocks; b++)
            {
                c[b] = sum;
                sum += (profile.BlockCum[b + 1] - profile.BlockCum[b]) * Math.Exp(0.5 * Mix.FastNormal(Mix.Hash(key, 10 + (ulong)f, (ulong)b)));
            }

            c[Blocks] = sum;
            _valueAt[f] = ValuePrefix(b => AtBlock(_total[f], c, b), 1);
        }

        if (_arb is { } a)
        {
            _arbValueAt[0] = ValuePrefix(b => a.UnitsAtBlock(0, b), _arbShares);
            _arbValueAt[1] = ValuePrefix(b => a.UnitsAtBlock(1, b), _arbShares);
        }
    }

    /// <summary>The state after second <paramref name="second"/> of the day (-1: the day's start, 86,399: its end).</summary>
    public ProgramFields After(int second)
    {
        int p = Math.Clamp(second + 1, 0, DayProfile.DaySeconds);
        int b = p == 0 ? 0 : Math.Min(Blocks - 1, (p - 1) / BlockSeconds);
        long sq = Cumulative(_total[0], _cum[0], _profile, p), bq = Cumulative(_total[1], _cum[1], _profile, p), oq = Cumulative(_total[2], _cum[2], _profile, p);
        long sv = Value(0, sq, b), bv = Value(1, bq, b), ov = Value(2, oq, b);
        long asq = 0, asv = 0, abq = 0, abv = 0;
        if (_arb is { } a)
        {
            long su = a.Units(0, p), bu = a.Units(1, p);
            asq = su * _arbShares;
            abq = bu * _arbShares;
            asv = _arbValueAt[0][b] + ((su - a.UnitsAtBlock(0, b)) * _arbShares * _priceAt[b]);
            abv = _arbValueAt[1][b] + ((bu - a.UnitsAtBlock(1, b)) * _arbShares * _priceAt[b]);
        }

        (long ask, long bid) = Residuals(second);
        return new ProgramFields(
            sq + asq, sv + asv, bq + abq, bv + abv, ask, bid,
            sq + bq + oq + asq + abq, sv + bv + ov + asv + abv,
            asq, asv, abq, abv, _path.PriceAfter(second));
    }

    /// <summary>The state at the day's end.</summary>
    public ProgramFields EndOfDay => After(DayProfile.DaySeconds - 1);

    /// <summary>A cumulative quantity of day total <paramref name="total"/> after <paramref name="p"/> seconds.</summary>
    internal static long Cumulative(long total, double[] c, DayProfile profile, int p)
    {
        double z = c[Blocks];
        if (total <= 0 || z <= 0 || p <= 0)
        {
            return 0;
        }

        if (p >= DayProfile.DaySeconds)
        {
            return total;
        }

        int b = (p - 1) / BlockSeconds;
        if (p == (b + 1) * BlockSeconds)
        {
            return Math.Min(total, (long)Math.Floor(total * (c[b + 1] / z)));
        }

        double w = profile.BlockCum[b + 1] - profile.BlockCum[b];
        double[] cum = profile.Cum ?? throw new InvalidOperationException("This day is kept at block level only.");
        double phi = w <= 0 ? c[b] : c[b] + ((c[b + 1] - c[b]) * ((cum[p] - profile.BlockCum[b]) / w));
        return Math.Min(total, (long)Math.Floor(total * (phi / z)));
    }

    /// <summary>The cumulative quantity at the start of block <paramref name="b"/> (exactly what <see cref="Cumulative"/> gives there).</summary>
    internal static long AtBlock(long total, double[] c, int b)
    {
        double z = c[Blocks];
        if (total <= 0 || z <= 0 || b <= 0)
        {
            return 0;
        }

        return b >= Blocks ? total : Math.Min(total, (long)Math.Floor(total * (c[b] / z)));
    }

    private long Value(int f, long qty, int b) => _valueAt[f][b] + ((qty - AtBlock(_total[f], _cum[f], b)) * _priceAt[b]);

    private long[] ValuePrefix(Func<int, long> atBlock, long multiplier)
    {
        var v = new long[Blocks + 1];
        for (int b = 0; b < Blocks; b++)
        {
            v[b + 1] = v[b] + ((atBlock(b + 1) - atBlock(b)) * multiplier * _priceAt[b]);
        }

        return v;
    }

    private (long Ask, long Bid) Residuals(int second)
    {
        if (_total[2] + _total[0] + _total[1] == 0)
        {
            return (0, 0);
        }

        int s = Math.Clamp(second, 0, DayProfile.DaySeconds - 1);
        int k = s / 30;
        double f = (s % 30) / 30.0;
        return (Knot(0, k, f), Knot(1, k, f));

        long Knot(int side, int knot, double frac)
        {
            double a = 40 + (260 * Mix.Unit(Mix.Hash(_residualKey, (ulong)side, (ulong)knot)));
            double b = 40 + (260 * Mix.Unit(Mix.Hash(_residualKey, (ulong)side, (ulong)knot + 1)));
            return (long)Math.Round(_lot * (a + ((b - a) * frac)));
        }
    }
}
