namespace KisFeed.Simulator;

/// <summary>
/// A whole trading day from the simulator's market model, on virtual time and without a socket: the records a client
/// subscribed to every venue of <c>codes</c> from 08:00 to 20:00 KST would have received, in time order, following
/// the venues' session hours (<see cref="MarketHours.Real"/>). The values come from the same model as the live
/// simulator's: cumulative, consistent between KRX, NXT and unified, near each large cap's price level; equal seeds,
/// dates, codes and sizes give equal days. For trying a recorded day (replay, the board, exports) and for the
/// day-curve benchmark at a size no live run reaches quickly.
/// </summary>
public static class SimulatedDay
{
    /// <summary>The first second of the simulated day (NXT's pre-market opens at 08:00 KST).</summary>
    public static readonly TimeOnly Start = new(8, 0);

    /// <summary>The end of the simulated day (both after-markets close at 20:00 KST).</summary>
    public static readonly TimeOnly End = new(20, 0);

    /// <summary>The codes of the simulator's large caps (<c>data/large-caps.csv</c>), in code order.</summary>
    public static IReadOnlyList<string> LargeCapCodes { get; } = [.. LargeCaps.All.Keys.Order(StringComparer.Ordinal)];

    /// <summary>
    /// Generates about <paramref name="records"/> records (exactly that many unless the day ends first) spread over the
    /// session hours of <paramref name="date"/>.
    /// </summary>
    /// <param name="date">A weekday (the simulator's venues are closed at weekends).</param>
    /// <param name="codes">Six-digit stock codes; the large caps of <c>data/large-caps.csv</c> trade near their level.</param>
    /// <param name="records">How many records to make, across the three venues.</param>
    /// <param name="seed">The market model's seed (the simulator's default unless given).</param>
    /// <exception cref="ArgumentException">The date is a Saturday or Sunday, no code is given, or a code is not six characters.</exception>
    public static IEnumerable<SimulatedRecord> Generate(DateOnly date, IReadOnlyList<string> codes, long records, int? seed = null)
    {
        ArgumentNullException.ThrowIfNull(codes);
        ArgumentOutOfRangeException.ThrowIfLessThan(records, 1);
        if (date.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday)
        {
            throw new ArgumentException($"{date:yyyy-MM-dd} is a {date.DayOfWeek}: the venues are closed. Pick a weekday.", nameof(date));
        }

        if (codes.Count == 0 || codes.Any(c => c is null || c.Trim().Length != 6))
        {
            throw new ArgumentException("Give one or more six-character stock codes, e.g. 005930.", nameof(codes));
        }

        return GenerateCore(date, [.. codes.Select(c => c.Trim()).Distinct(StringComparer.Ordinal)], records, seed ?? SimulatorOptions.Default.Seed);
    }

    private static IEnumerable<SimulatedRecord> GenerateCore(DateOnly date, string[] codes, long records, int seed)
    {
        var kst = TimeSpan.FromHours(9);
        DateTimeOffset first = new(date.ToDateTime(Start), kst);
        int seconds = (int)(End - Start).TotalSeconds;

        // Each update of KRX or NXT makes two records (the venue's and the unified one), so spread the updates evenly
        // over the seconds in which each venue is open.
        long openVenueSeconds = 0;
        for (int s = 0; s < seconds; s++)
        {
            DateTimeOffset at = first.AddSeconds(s);
            openVenueSeconds += (KoreaTime.IsOpen(MarketHours.Real, Venue.Krx, at) ? 1 : 0) + (KoreaTime.IsOpen(MarketHours.Real, Venue.Nxt, at) ? 1 : 0);
        }

        double perVenueSecond = records / (2.0 * codes.Length * openVenueSeconds);
        var wanted = new HashSet<(Venue, string)>(codes.SelectMany(c => new[] { (Venue.Krx, c), (Venue.Nxt, c), (Venue.Unified, c) }));

        // History kept for REST is not needed here: a retention of one second keeps the model's memory flat.
        var model = new MarketModel(seed, MarketHours.Real, TimeSpan.FromSeconds(1));
        long made = 0;
        for (int s = 0; s < seconds && made < records; s++)
        {
            DateTimeOffset at = first.AddSeconds(s);
            foreach (KeyValuePair<(Venue Venue, string Code), List<string[]>> series in model.Tick(at, wanted, perVenueSecond, null))
            {
                string trId = series.Key.Venue switch { Venue.Krx => TrIds.Krx, Venue.Nxt => TrIds.Nxt, _ => TrIds.Unified };
                foreach (string[] fields in series.Value)
                {
                    if (made == records)
                    {
                        yield break;
                    }

                    made++;
                    yield return new SimulatedRecord(trId, at, fields);
                }
            }
        }
    }
}
