namespace KisFeed.Simulator;

/// <summary>
/// How trading is spread over one day on one venue: a weight per second (zero while the venue is closed) from the
/// session shape (busy at the open and the close, quiet in the after-market), a market-wide activity draw per minute and
/// a draw per second. <see cref="Cum"/>[p] is the weight of the first p seconds of the KST day; every stock's flow
/// follows it within a block of <see cref="BlockSeconds"/>, with its own activity per block on top.
/// </summary>
internal sealed class DayProfile
{
    public const int DaySeconds = 86_400;
    public const int BlockSeconds = 1_200;
    public const int Blocks = DaySeconds / BlockSeconds;

    private DayProfile(double[] cum, bool keepSeconds)
    {
        BlockCum = new double[Blocks + 1];
        for (int b = 0; b <= Blocks; b++)
        {
            BlockCum[b] = cum[b * BlockSeconds];
        }

        Cum = keepSeconds ? cum : null;
    }

    /// <summary>Cumulative weight per second, length 86,401; null for a profile kept at block level only (past days).</summary>
    public double[]? Cum { get; }

    /// <summary><see cref="Cum"/> at block boundaries; length <see cref="Blocks"/> + 1.</summary>
    public double[] BlockCum { get; }

    public double Total => BlockCum[Blocks];

    public static DayProfile Build(int seed, Venue venue, DaySchedule schedule, bool keepSeconds)
    {
        DateOnly date = schedule.Date;
        MarketHours hours = schedule.Hours;
        var cum = new double[DaySeconds + 1];
        ulong key = Mix.Hash((ulong)seed, 0x50524F46UL, (ulong)venue, (ulong)date.DayNumber, (ulong)hours);
        double minuteWeight = 0;
        int minute = -1;
        double sum = 0;
        for (int s = 0; s < DaySeconds; s++)
        {
            if (s / 60 != minute)
            {
                minute = s / 60;
                minuteWeight = Shape(venue, date, hours, s) * Math.Exp(0.3 * Mix.FastNormal(Mix.Hash(key, (ulong)minute, 1)));
            }

            if (minuteWeight > 0 && schedule.IsOpen(venue, s))
            {
                sum += minuteWeight * (0.5 + Mix.Unit(Mix.Hash(key, (ulong)s, 2)));
            }

            cum[s + 1] = sum;
        }

        return new DayProfile(cum, keepSeconds);
    }

    /// <summary>The session shape at second <paramref name="s"/> of the day (before the open check).</summary>
    private static double Shape(Venue venue, DateOnly date, MarketHours hours, int s)
    {
        if (hours == MarketHours.AlwaysOpen)
        {
            return 1;
        }

        if (!(venue == Venue.Nxt ? KrxCalendar.IsNxtTradingDay(date) : KrxCalendar.IsTradingDay(date)))
        {
            return 0;
        }

        double m = s / 60.0;
        if (venue == Venue.Krx)
        {
            if (m is >= 540 and < 930)
            {
                double k = m - 540; // minutes into the main session (390 long)
                return 1 + (2.2 * Math.Exp(-k / 25)) + (1.6 * Math.Exp(-(389 - k) / 12));
            }

            return m is >= 960 and < 1200 ? 0.06 : 0;
        }

        if (m is >= 480 and < 530)
        {
            return 0.5 + Math.Exp(-(m - 480) / 10); // NXT pre-market, busiest at 08:00
        }

        if (m is >= 540 and < 920)
        {
            double k = m - 540;
            return 1 + (2.2 * Math.Exp(-k / 25)) + (1.6 * Math.Exp(-(379 - k) / 12));
        }

        return m is >= 940 and < 1200 ? 0.05 + (0.25 * Math.Exp(-(m - 940) / 60)) : 0;
    }
}
