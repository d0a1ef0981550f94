namespace KisFeed.Simulator;

/// <summary>
/// The KRX price grid (호가가격단위, one table for KOSPI and KOSDAQ since 2023-01-25): below 2,000 KRW a tick is 1 KRW,
/// then 5 (to 5,000), 10 (to 20,000), 50 (to 50,000), 100 (to 200,000), 500 (to 500,000) and 1,000 KRW. Prices are
/// addressed by their position on the grid, so "one tick up" is index + 1 whatever the band.
/// </summary>
internal static class TickGrid
{
    // (first price of the band, tick size, number of prices in the band)
    private static readonly (long From, long Tick, long Count)[] Bands =
    [
        (1, 1, 1_999),
        (2_000, 5, 600),
        (5_000, 10, 1_500),
        (20_000, 50, 600),
        (50_000, 100, 1_500),
        (200_000, 500, 600),
        (500_000, 1_000, long.MaxValue / 4),
    ];

    /// <summary>The tick size at <paramref name="price"/>.</summary>
    public static long TickAt(long price) => price switch
    {
        < 2_000 => 1,
        < 5_000 => 5,
        < 20_000 => 10,
        < 50_000 => 50,
        < 200_000 => 100,
        < 500_000 => 500,
        _ => 1_000,
    };

    /// <summary>The nearest grid price to <paramref name="price"/> (at least 1).</summary>
    public static long Round(double price)
    {
        long tick = TickAt((long)Math.Max(1, price));
        return Math.Max(1, (long)Math.Round(price / tick) * tick);
    }

    /// <summary>The grid position of a grid price (0 = 1 KRW).</summary>
    public static long IndexOf(long price)
    {
        price = Round(price);
        long index = 0;
        for (int b = 0; b < Bands.Length; b++)
        {
            (long from, long tick, long count) = Bands[b];
            if (b == Bands.Length - 1 || price < from + (tick * count))
            {
                return index + ((price - from) / tick);
            }

            index += count;
        }

        return index;
    }

    /// <summary>The grid price at position <paramref name="index"/> (clamped at 1 KRW).</summary>
    public static long PriceAt(long index)
    {
        if (index <= 0)
        {
            return 1;
        }

        foreach ((long from, long tick, long count) in Bands)
        {
            if (index < count)
            {
                return from + (index * tick);
            }

            index -= count;
        }

        return long.MaxValue;
    }

    /// <summary>The highest grid price at or below <paramref name="price"/> (price limits round inward).</summary>
    public static long Floor(double price)
    {
        long tick = TickAt((long)Math.Max(1, price));
        return Math.Max(1, (long)Math.Floor(price / tick) * tick);
    }
}
