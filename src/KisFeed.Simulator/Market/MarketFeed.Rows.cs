namespace KisFeed.Simulator;

/// <summary>The state history REST serves: which seconds have a row and what each row holds.</summary>
internal sealed partial class MarketFeed
{
    /// <summary>
    /// The rows of (venue, stock) after <paramref name="oldest"/> (from midnight when it is at or before it) up to <paramref name="now"/>, oldest first: within
    /// <paramref name="detail"/> of now a row for every second that ends on an update (every open second when the
    /// simulator publishes at least once a second); before that, one row per minute (its last such second). A market
    /// that publishes only on demand has a row every 10 s and one for every second a forced update touched. A row at
    /// second T carries the state after the last update of T, exactly what the last WebSocket record stamped T carried.
    /// The current second has a row once an update of it happened.
    /// </summary>
    public List<(int Second, ProgramFields State)> Rows(SimulatedStock stock, Venue venue, DateTimeOffset now, DateTimeOffset oldest, TimeSpan detail)
    {
        (DateOnly date, int nowSecond, double fraction) = Split(now);
        DateTimeOffset dayStart = SecondStart(date, 0);
        int first = oldest <= dayStart ? 0 : (int)Math.Floor((oldest - dayStart).TotalSeconds) + 1; // strictly after the window's edge
        int detailFrom = nowSecond - (int)Math.Ceiling(detail.TotalSeconds);
        Venue[] parts = venue == Venue.Unified ? [Venue.Krx, Venue.Nxt] : [venue];
        DaySchedule schedule = Schedule(date);
        HashSet<int>[] forced = [.. parts.Select(v => ForcedSeconds(stock, v, date))];
        var rows = new List<(int, ProgramFields)>();
        for (int t = Math.Max(0, first); t < nowSecond; t++)
        {
            bool row = false;
            for (int i = 0; i < parts.Length && !row; i++)
            {
                row = forced[i].Contains(t) || IsRow(stock, parts[i], date, t, detailFrom, schedule);
            }

            if (row)
            {
                rows.Add((t, VisibleEnd(stock, venue, date, t)));
            }
        }

        if (nowSecond >= first && parts.Any(v => FractionAt(stock, v, date, nowSecond, fraction) > 0 || IsQuietRow(stock, v, date, nowSecond)))
        {
            rows.Add((nowSecond, VisibleAt(stock, venue, now)));
        }

        return rows;
    }

    private bool IsRow(SimulatedStock stock, Venue venue, DateOnly date, int t, int detailFrom, DaySchedule schedule)
    {
        if (!schedule.IsOpen(venue, t))
        {
            return false;
        }

        if (Plan.Rate >= 1)
        {
            return t >= detailFrom || t % 60 == 59 || !schedule.IsOpen(venue, t + 1);
        }

        return Plan.Rate <= 0 ? IsQuietRow(stock, venue, date, t) : Plan.Steps(StepPlan.SeriesKey(stock, venue), date, t) > 0;
    }
}
