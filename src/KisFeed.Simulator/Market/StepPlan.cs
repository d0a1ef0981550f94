namespace KisFeed.Simulator;

/// <summary>
/// When a (stock, venue) publishes within each second: the simulator's update rate turned into a deterministic
/// schedule, so two processes send the same records for the same second.
/// <list type="bullet">
/// <item>At 1 update a second or more, every open second has 1 + Poisson(rate − 1) updates at hashed instants; the
/// last one carries the second's final state, so a second's end state is always visible and a REST row exists for every
/// open second.</item>
/// <item>Below 1 a second, updates come at evenly spaced seconds (every 1/rate s, with a per-series phase).</item>
/// <item>At 0 (updates only on demand, <see cref="KisSimulator.PublishNow(int)"/>) nothing is published by itself;
/// the REST history still shows the market every 10 s, as a market nobody is subscribed to goes on.</item>
/// </list>
/// Intermediate updates of a second move a fraction k/K of the way from the previous second's state to this one's.
/// </summary>
internal sealed class StepPlan(int seed, double rate)
{
    /// <summary>Seconds between the REST rows of a market that publishes only on demand.</summary>
    public const int QuietRowSeconds = 10;

    public double Rate => rate;

    /// <summary>The series key of a stock on a venue.</summary>
    public static ulong SeriesKey(SimulatedStock stock, Venue venue) => Mix.Hash(Mix.Key(stock.Code), (ulong)venue + 1);

    /// <summary>Natural updates of the series in second <paramref name="second"/> of <paramref name="date"/> (the venue being open).</summary>
    public int Steps(ulong series, DateOnly date, int second)
    {
        if (rate >= 1)
        {
            return 1 + Mix.Poisson(rate - 1, Mix.Hash((ulong)seed, series, (ulong)date.DayNumber, (ulong)second));
        }

        if (rate <= 0)
        {
            return 0;
        }

        double phase = Mix.Unit(Mix.Hash((ulong)seed, series, 0x5048UL));
        return Math.Floor((second + phase) * rate) > Math.Floor((second - 1 + phase) * rate) ? 1 : 0;
    }

    /// <summary>The instants (fractions of the second, ascending) of the updates of a second, one per element of <paramref name="into"/>.</summary>
    public void Offsets(ulong series, DateOnly date, int second, Span<double> into)
    {
        ulong key = Mix.Hash((ulong)seed, series, (ulong)date.DayNumber, (ulong)second, 0x4F4646UL);
        for (int k = 0; k < into.Length; k++)
        {
            into[k] = Mix.Unit(Mix.Hash(key, (ulong)k));
        }

        into.Sort();
    }

    /// <summary>Whether a market publishing only on demand shows a REST row at <paramref name="second"/>.</summary>
    public bool IsQuietRow(int second) => rate <= 0 && second % QuietRowSeconds == 0;
}
