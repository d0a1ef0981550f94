using System.Globalization;

namespace KisFeed.Simulator;

/// <summary>Publishing: the records one tick of the simulator sends.</summary>
internal sealed partial class MarketFeed
{
    /// <summary>How far back a tick sends the natural updates it missed (a stalled or late timer does not flood).</summary>
    public static readonly TimeSpan MaxCatchUp = TimeSpan.FromSeconds(1);

    private readonly Dictionary<(int, Venue), SeriesCursor> _cursors = [];
    private readonly HashSet<int> _known = [];
    private DateTimeOffset? _lastTick;
    private int _stampSecond = -1;
    private string _stamp = string.Empty;

    /// <summary>Stocks a forced update also moves (every stock seen, subscribed or asked for over REST): the market goes on.</summary>
    public void Touch(string code)
    {
        int ordinal = Universe.OrdinalOf(code);
        if (ordinal >= 0)
        {
            lock (_cursors)
            {
                _known.Add(ordinal);
            }
        }
    }

    /// <summary>
    /// The records of one tick at <paramref name="now"/>, keyed by (venue, code), in send order: the natural updates
    /// whose instants fell since the previous tick (at most <see cref="MaxCatchUp"/> back), then <paramref name="forced"/>
    /// updates per open venue of every stock seen so far (KRX and NXT alternating). Every KRX or NXT update of a stock
    /// with a unified subscription also makes a unified record (KRX + NXT at that instant). Not thread-safe: the
    /// simulator's tick lock serialises calls.
    /// </summary>
    public Dictionary<(Venue Venue, string Code), List<string[]>> Tick(DateTimeOffset now, IReadOnlySet<(Venue Venue, string Code)> wanted, int? forced)
    {
        var result = new Dictionary<(Venue, string), List<string[]>>();
        DateTimeOffset from = _lastTick is { } last && last <= now ? (last < now - MaxCatchUp ? now - MaxCatchUp : last) : now;
        _lastTick = now;
        (DateOnly date, int second, _) = Split(now);
        DateTimeOffset dayStart = SecondStart(date, 0);
        if (from < dayStart)
        {
            from = dayStart; // a new KST day: its cumulative values start from zero
        }

        var codes = new SortedSet<string>(StringComparer.Ordinal);
        foreach ((_, string code) in wanted)
        {
            if (Universe.Contains(code))
            {
                codes.Add(code);
                Touch(code);
            }
        }

        if (forced is > 0)
        {
            lock (_cursors)
            {
                foreach (int ordinal in _known)
                {
                    codes.Add(Universe.Stocks[ordinal].Code);
                }
            }
        }

        string time = KoreaTime.ToKst(now).ToString("HHmmss", CultureInfo.InvariantCulture);
        DaySchedule schedule = Schedule(date);
        var events = new List<(long Ticks, Venue Venue, int Second, int K, int Count)>();
        foreach (string code in codes)
        {
            SimulatedStock stock = Universe.Stocks[Universe.OrdinalOf(code)];
            bool krx = wanted.Contains((Venue.Krx, code)), nxt = wanted.Contains((Venue.Nxt, code)), uni = wanted.Contains((Venue.Unified, code));
            SeriesCursor ck = Cursor(stock, Venue.Krx), cn = Cursor(stock, Venue.Nxt);
            if (krx || nxt || uni)
            {
                events.Clear();
                if (Plan.Rate > 0 && from < now)
                {
                    (_, int fromSecond, _) = Split(from);
                    for (int t = fromSecond; t <= second; t++)
                    {
                        if (krx || uni)
                        {
                            AddNatural(events, stock, Venue.Krx, date, t, schedule, from, now);
                        }

                        if (nxt || uni)
                        {
                            AddNatural(events, stock, Venue.Nxt, date, t, schedule, from, now);
                        }
                    }

                    events.Sort(static (a, b) => a.Ticks != b.Ticks ? a.Ticks.CompareTo(b.Ticks) : a.Venue.CompareTo(b.Venue));
                }

                foreach ((long ticks, Venue v, int t, int k, int count) in events)
                {
                    SeriesCursor c = v == Venue.Krx ? ck : cn;
                    c.MoveTo(date, t);
                    ProgramFields state = c.Natural(k, count);
                    string stamp = Stamp(t);
                    Emit(result, code, v, state, stamp, v == Venue.Krx ? krx : nxt, uni, v == Venue.Krx ? cn : ck, date, t);
                }
            }

            if (forced is > 0)
            {
                MarkSeen(stock, Venue.Unified, now); // both venues, before a cursor takes the second's starting state
            }

            for (int i = 0; i < (forced ?? 0); i++)
            {
                foreach (Venue v in (Venue[])[Venue.Krx, Venue.Nxt])
                {
                    if (!schedule.IsOpen(v, second))
                    {
                        continue;
                    }

                    SeriesCursor c = v == Venue.Krx ? ck : cn;
                    c.MoveTo(date, second);
                    ProgramFields state = c.Force();
                    Emit(result, code, v, state, time, v == Venue.Krx ? krx : nxt, uni, v == Venue.Krx ? cn : ck, date, second);
                }
            }
        }

        return result;
    }

    /// <summary>HHmmss of a second of the day (cached: every record of a second carries the same string).</summary>
    private string Stamp(int second)
    {
        if (second != _stampSecond)
        {
            _stampSecond = second;
            _stamp = string.Create(CultureInfo.InvariantCulture, $"{second / 3600:D2}{second / 60 % 60:D2}{second % 60:D2}");
        }

        return _stamp;
    }

    private void AddNatural(List<(long, Venue, int, int, int)> events, SimulatedStock stock, Venue venue, DateOnly date, int t, DaySchedule schedule, DateTimeOffset from, DateTimeOffset now)
    {
        if (!schedule.IsOpen(venue, t))
        {
            return;
        }

        ulong series = StepPlan.SeriesKey(stock, venue);
        int count = Plan.Steps(series, date, t);
        if (count == 0)
        {
            return;
        }

        Span<double> offsets = count <= 256 ? stackalloc double[count] : new double[count];
        Plan.Offsets(series, date, t, offsets);
        long start = SecondStart(date, t).UtcTicks, fromTicks = from.UtcTicks, nowTicks = now.UtcTicks;
        for (int k = 0; k < count; k++)
        {
            long at = start + (long)(offsets[k] * TimeSpan.TicksPerSecond);
            if (at > fromTicks && at <= nowTicks)
            {
                events.Add((at, venue, t, k + 1, count));
            }
        }
    }

    private static void Emit(Dictionary<(Venue, string), List<string[]>> result, string code, Venue venue, in ProgramFields state, string time, bool venueWanted, bool unifiedWanted, SeriesCursor other, DateOnly date, int second)
    {
        if (venueWanted)
        {
            Add(result, (venue, code), Records.Stock(code, time, state));
        }

        if (unifiedWanted)
        {
            other.MoveTo(date, second);
            Add(result, (Venue.Unified, code), Records.Stock(code, time, state + other.Current));
        }
    }

    private static void Add(Dictionary<(Venue, string), List<string[]>> d, (Venue, string) key, string[] record)
    {
        if (!d.TryGetValue(key, out List<string[]>? list))
        {
            list = [];
            d[key] = list;
        }

        list.Add(record);
    }

    private SeriesCursor Cursor(SimulatedStock stock, Venue venue)
    {
        (int, Venue) key = (Universe.OrdinalOf(stock.Code), venue);
        lock (_cursors)
        {
            if (!_cursors.TryGetValue(key, out SeriesCursor? c))
            {
                c = new SeriesCursor(this, stock, venue);
                _cursors[key] = c;
            }

            return c;
        }
    }
}
