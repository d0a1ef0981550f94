namespace KisFeed.Simulator;

/// <summary>
/// A whole trading day from the simulator's market, on virtual time and without a socket: the records a client
/// subscribed to every venue of <c>codes</c> from 08:00 to 20:00 KST would have received, in time order, following the
/// venues' session hours (<see cref="MarketHours.Real"/>). The values are the live simulator's: the same function of
/// (seed, stock, venue, date, second), cumulative, unified = KRX + NXT, prices on the tick grid near each stock's level;
/// equal seeds, dates, codes and sizes give equal days. For trying a recorded day (replay, the board, exports) and for
/// the day-curve benchmark at a size no live run reaches quickly.
/// </summary>
public static class SimulatedDay
{
    /// <summary>The first second of the simulated day (NXT's pre-market opens at 08:00 KST).</summary>
    public static readonly TimeOnly Start = new(8, 0);

    /// <summary>The end of the simulated day (both after-markets close at 20:00 KST).</summary>
    public static readonly TimeOnly End = new(20, 0);

    /// <summary>The codes of the simulator's large caps (<c>data/large-caps.csv</c>, real names), in code order.</summary>
    public static IReadOnlyList<string> LargeCapCodes { get; } = [.. LargeCaps.All.Keys.Order(StringComparer.Ordinal)];

    /// <summary>
    /// <paramref name="count"/> codes of the default universe, each with a name: the large caps first (real names, most
    /// traded first), then generated stocks (most traded first; names start with <see cref="SimulatorUniverse.GeneratedNamePrefix"/>).
    /// </summary>
    public static IReadOnlyList<string> DefaultCodes(int count) =>
    [
        .. SimulatorUniverse.Default.Stocks
            .OrderBy(s => s.Generated).ThenByDescending(s => s.TypicalTradedValue).ThenBy(s => s.Code, StringComparer.Ordinal)
            .Take(Math.Max(0, count)).Select(s => s.Code),
    ];

    /// <summary>The name of a code of the default universe, or null.</summary>
    public static string? NameOf(string code) => SimulatorUniverse.Default.TryGet(code, out SimulatedStock s) ? s.Name : null;

    /// <summary>The last KRX trading day at or before <paramref name="date"/> (no weekend, no KRX holiday).</summary>
    public static DateOnly LatestTradingDay(DateOnly date) => KrxCalendar.LatestTradingDay(date);

    /// <summary>Whether KRX trades on <paramref name="date"/> (a weekday that is not a KRX holiday of <c>data/krx-holidays.csv</c>).</summary>
    public static bool IsTradingDay(DateOnly date) => KrxCalendar.IsTradingDay(date);

    /// <summary>
    /// Generates about <paramref name="records"/> records (exactly that many unless the day ends first) spread over the
    /// session hours of <paramref name="date"/>.
    /// </summary>
    /// <param name="date">A KRX trading day.</param>
    /// <param name="codes">Codes of the simulator's universe (<see cref="SimulatorUniverse.Default"/>).</param>
    /// <param name="records">How many records to make, across the three venues.</param>
    /// <param name="seed">The market model's seed (the simulator's default unless given).</param>
    /// <exception cref="ArgumentException">The date is not a KRX trading day, no code is given, or a code is not listed.</exception>
    public static IEnumerable<SimulatedRecord> Generate(DateOnly date, IReadOnlyList<string> codes, long records, int? seed = null)
    {
        ArgumentNullException.ThrowIfNull(codes);
        ArgumentOutOfRangeException.ThrowIfLessThan(records, 1);
        if (!KrxCalendar.IsTradingDay(date))
        {
            string why = date.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday
                ? $"a {date.DayOfWeek}"
                : $"a KRX holiday ({KrxCalendar.Holidays[date]})";
            throw new ArgumentException($"{date:yyyy-MM-dd} is {why}: the venues are closed. Pick a trading day, e.g. {KrxCalendar.PreviousTradingDay(date):yyyy-MM-dd}.", nameof(date));
        }

        if (codes.Count == 0 || codes.Any(c => c is null || c.Trim().Length != 6))
        {
            throw new ArgumentException("Give one or more six-character stock codes, e.g. 005930.", nameof(codes));
        }

        string[] unknown = [.. codes.Select(c => c.Trim()).Where(c => !SimulatorUniverse.Default.Contains(c))];
        if (unknown.Length > 0)
        {
            throw new ArgumentException($"Not in the simulator's universe: {string.Join(", ", unknown.Take(5))}{(unknown.Length > 5 ? ", …" : string.Empty)}. Use listed codes (e.g. the large caps of data/large-caps.csv).", nameof(codes));
        }

        return GenerateCore(date, [.. codes.Select(c => c.Trim()).Distinct(StringComparer.Ordinal)], records, seed ?? SimulatorOptions.Default.Seed);
    }

    /// <summary>
    /// The price of each of <paramref name="codes"/> through <paramref name="date"/> (08:00–20:00 KST), as the
    /// simulator's <c>inquire-price</c> answers it: the first price, then one entry per change, sampled every
    /// <paramref name="everySeconds"/> seconds (the price path of the WebSocket and REST values, on the tick grid).
    /// </summary>
    /// <exception cref="ArgumentException">The date is not a KRX trading day, or a code is not listed (as <see cref="Generate"/>).</exception>
    public static IEnumerable<SimulatedPrice> Prices(DateOnly date, IReadOnlyList<string> codes, int? seed = null, int everySeconds = 10)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(everySeconds, 1);
        _ = Generate(date, codes, 1, seed); // the same checks, eagerly (Generate checks before it yields)
        var model = new MarketModel(seed ?? SimulatorOptions.Default.Seed, MarketHours.Real, SimulatorUniverse.Default);
        return PricesCore(model, date, [.. codes.Select(c => c.Trim()).Distinct(StringComparer.Ordinal)], everySeconds);
    }

    private static IEnumerable<SimulatedPrice> PricesCore(MarketModel model, DateOnly date, string[] codes, int everySeconds)
    {
        int from = (int)Start.ToTimeSpan().TotalSeconds, to = (int)End.ToTimeSpan().TotalSeconds;
        foreach (string code in codes)
        {
            SimulatedStock stock = model.Stock(code);
            long previousClose = model.PreviousClose(stock, date), last = -1;
            for (int s = from; s < to; s += everySeconds)
            {
                long price = model.PriceAfter(stock, date, s, MarketHours.Real);
                if (price != last)
                {
                    last = price;
                    yield return new SimulatedPrice(code, MarketFeed.SecondStart(date, s), price, previousClose);
                }
            }
        }
    }

    private static IEnumerable<SimulatedRecord> GenerateCore(DateOnly date, string[] codes, long records, int seed)
    {
        int from = (int)Start.ToTimeSpan().TotalSeconds, to = (int)End.ToTimeSpan().TotalSeconds;
        var schedule = new DaySchedule(date, MarketHours.Real);

        // Each update of KRX or NXT makes two records (the venue's and the unified one): spread the updates evenly over
        // the seconds in which each venue is open.
        long openVenueSeconds = 0;
        for (int s = from; s < to; s++)
        {
            openVenueSeconds += (schedule.IsOpen(Venue.Krx, s) ? 1 : 0) + (schedule.IsOpen(Venue.Nxt, s) ? 1 : 0);
        }

        double rate = records / (2.0 * codes.Length * Math.Max(1, openVenueSeconds));
        var feed = new MarketFeed(new MarketModel(seed, MarketHours.Real, SimulatorUniverse.Default), new StepPlan(seed, rate));
        var wanted = new HashSet<(Venue, string)>(codes.SelectMany(c => new[] { (Venue.Krx, c), (Venue.Nxt, c), (Venue.Unified, c) }));
        long made = 0;
        feed.Tick(MarketFeed.SecondStart(date, from), wanted, null);
        for (int s = from; s < to && made < records; s++)
        {
            DateTimeOffset at = MarketFeed.SecondStart(date, s);
            foreach (KeyValuePair<(Venue Venue, string Code), List<string[]>> series in feed.Tick(at.AddSeconds(1).AddTicks(-1), wanted, null))
            {
                string trId = TrIds.Of(series.Key.Venue);
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
