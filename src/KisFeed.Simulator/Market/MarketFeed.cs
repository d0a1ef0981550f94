namespace KisFeed.Simulator;

/// <summary>
/// What the simulator publishes of its <see cref="MarketModel"/>: the model gives the state at the end of every second;
/// the <see cref="StepPlan"/> says when a (stock, venue) sends an update within a second; the state an update carries,
/// a REST row shows or the truth API returns is the state after the last update at or before that instant
/// (<see cref="VisibleEnd"/>, <see cref="VisibleAt"/>). All of it is a function of time and the options, except the
/// updates a test forces with <see cref="KisSimulator.PublishNow(int)"/>, which are logged per second
/// (<see cref="ForcedLog"/>) so that REST and the truth API agree with what was sent.
/// </summary>
internal sealed partial class MarketFeed
{
    private readonly Lock _forcedGate = new();
    private readonly Dictionary<(int, Venue), ForcedLog> _forced = [];
    private readonly Dictionary<(int, Venue), (int Day, int Second)> _horizon = [];
    private volatile bool _anyForced;

    public MarketFeed(MarketModel model, StepPlan plan)
    {
        Model = model;
        Plan = plan;
    }

    public MarketModel Model { get; }

    public StepPlan Plan { get; }

    public SimulatorUniverse Universe => Model.Universe;

    /// <summary>(KST date, second of the day, fraction of the second) of an instant.</summary>
    public static (DateOnly Date, int Second, double Fraction) Split(DateTimeOffset at)
    {
        DateTimeOffset kst = KoreaTime.ToKst(at);
        long ticks = kst.TimeOfDay.Ticks;
        return (DateOnly.FromDateTime(kst.DateTime), (int)(ticks / TimeSpan.TicksPerSecond), ticks % TimeSpan.TicksPerSecond / (double)TimeSpan.TicksPerSecond);
    }

    /// <summary>The instant second <paramref name="second"/> of <paramref name="date"/> starts (KST).</summary>
    public static DateTimeOffset SecondStart(DateOnly date, int second) =>
        new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), KoreaTime.Offset).AddSeconds(second);

    public DaySchedule Schedule(DateOnly date) => Model.Schedule(date, Model.Hours);

    /// <summary>The model's state after <paramref name="second"/> (the end of that second), today's hours.</summary>
    public ProgramFields Truth(SimulatedStock stock, Venue venue, DateOnly date, int second) => Model.After(stock, venue, date, second, Model.Hours);

    /// <summary>The state after the last update at or before the end of <paramref name="second"/>.</summary>
    public ProgramFields VisibleEnd(SimulatedStock stock, Venue venue, DateOnly date, int second)
    {
        if (venue == Venue.Unified)
        {
            return VisibleEnd(stock, Venue.Krx, date, second) + VisibleEnd(stock, Venue.Nxt, date, second);
        }

        if (second < 0 || Plan.Rate >= 1)
        {
            // Every open second ends on an update carrying its final state; while closed nothing changes.
            return Truth(stock, venue, date, second);
        }

        int natural = LastNaturalRow(stock, venue, date, second);
        int forced = LastForced(stock, venue, date, second);
        if (natural < 0 && forced < 0)
        {
            return Truth(stock, venue, date, -1);
        }

        if (Plan.Rate > 0 && natural >= forced)
        {
            return Truth(stock, venue, date, natural); // a natural update lands on its second's end state
        }

        int last = Math.Max(natural, forced);
        return ProgramFields.Interpolate(Base(stock, venue, date, last), Truth(stock, venue, date, last), ForcedAt(stock, venue, date, last));
    }

    /// <summary>
    /// The state second <paramref name="second"/>'s updates start from: the last update before it; for a quiet REST
    /// row's second (a market publishing only on demand) the market as the second began, which is what that row shows
    /// until a forced update moves it on.
    /// </summary>
    public ProgramFields Base(SimulatedStock stock, Venue venue, DateOnly date, int second) =>
        IsQuietRow(stock, venue, date, second) ? Truth(stock, venue, date, second - 1) : VisibleEnd(stock, venue, date, second - 1);

    /// <summary>The state at instant <paramref name="at"/>: the updates of its second up to it count.</summary>
    public ProgramFields VisibleAt(SimulatedStock stock, Venue venue, DateTimeOffset at)
    {
        if (venue == Venue.Unified)
        {
            return VisibleAt(stock, Venue.Krx, at) + VisibleAt(stock, Venue.Nxt, at);
        }

        (DateOnly date, int second, double fraction) = Split(at);
        double w = FractionAt(stock, venue, date, second, fraction);
        if (w <= 0 && !IsQuietRow(stock, venue, date, second))
        {
            return VisibleEnd(stock, venue, date, second - 1);
        }

        return ProgramFields.Interpolate(Base(stock, venue, date, second), Truth(stock, venue, date, second), w);
    }

    /// <summary>
    /// Whether <paramref name="second"/> is a quiet REST row: the market publishes only on demand, so until (venue,
    /// stock) is first subscribed to or driven that day its REST history shows the market every 10 s while open; from
    /// then on only the seconds it was driven (a quiet row the WebSocket never sent would stand between two records
    /// that were, or in the second a seed cuts at).
    /// </summary>
    public bool IsQuietRow(SimulatedStock stock, Venue venue, DateOnly date, int second) =>
        Plan.IsQuietRow(second) && second >= 0 && Schedule(date).IsOpen(venue, second) && second < Horizon(stock, venue, date);

    /// <summary>Notes that (venue, stock) was subscribed to or driven at <paramref name="at"/> (the first time a day counts).</summary>
    public void MarkSeen(SimulatedStock stock, Venue venue, DateTimeOffset at)
    {
        if (Plan.Rate > 0)
        {
            return;
        }

        (DateOnly date, int second, _) = Split(at);
        foreach (Venue v in venue == Venue.Unified ? (Venue[])[Venue.Krx, Venue.Nxt] : [venue])
        {
            lock (_forcedGate)
            {
                (int, Venue) key = (Universe.OrdinalOf(stock.Code), v);
                if (!_horizon.TryGetValue(key, out (int Day, int Second) h) || h.Day != date.DayNumber)
                {
                    _horizon[key] = (date.DayNumber, second);
                }
            }
        }
    }

    private int Horizon(SimulatedStock stock, Venue venue, DateOnly date)
    {
        lock (_forcedGate)
        {
            return _horizon.TryGetValue((Universe.OrdinalOf(stock.Code), venue), out (int Day, int Second) h) && h.Day == date.DayNumber ? h.Second : int.MaxValue;
        }
    }

    /// <summary>How far second <paramref name="second"/>'s updates up to <paramref name="fraction"/> of it went (0 = none yet, 1 = all).</summary>
    public double FractionAt(SimulatedStock stock, Venue venue, DateOnly date, int second, double fraction)
    {
        if (!Schedule(date).IsOpen(venue, second))
        {
            return 0;
        }

        double w = ForcedAt(stock, venue, date, second);
        ulong series = StepPlan.SeriesKey(stock, venue);
        int steps = Plan.Steps(series, date, second);
        if (steps > 0)
        {
            Span<double> offsets = steps <= 256 ? stackalloc double[steps] : new double[steps];
            Plan.Offsets(series, date, second, offsets);
            int k = 0;
            while (k < steps && offsets[k] <= fraction)
            {
                k++;
            }

            w = Math.Max(w, k / (double)steps);
        }

        return w;
    }

    /// <summary>Marks that a forced update took (stock, venue) to <paramref name="w"/> of second <paramref name="second"/>.</summary>
    public void MarkForced(SimulatedStock stock, Venue venue, DateOnly date, int second, double w)
    {
        lock (_forcedGate)
        {
            (int, Venue) key = (Universe.OrdinalOf(stock.Code), venue);
            if (!_forced.TryGetValue(key, out ForcedLog? log))
            {
                log = new ForcedLog();
                _forced[key] = log;
            }

            log.Mark(date.DayNumber, second, w);
            _anyForced = true;
        }
    }

    public double ForcedAt(SimulatedStock stock, Venue venue, DateOnly date, int second)
    {
        if (!_anyForced)
        {
            return 0; // nothing was ever forced: no lock on the hot path
        }

        lock (_forcedGate)
        {
            return _forced.TryGetValue((Universe.OrdinalOf(stock.Code), venue), out ForcedLog? log) ? log.At(date.DayNumber, second) : 0;
        }
    }

    private int LastForced(SimulatedStock stock, Venue venue, DateOnly date, int second)
    {
        lock (_forcedGate)
        {
            return _forced.TryGetValue((Universe.OrdinalOf(stock.Code), venue), out ForcedLog? log) ? log.LastAtOrBefore(date.DayNumber, second) : -1;
        }
    }

    private HashSet<int> ForcedSeconds(SimulatedStock stock, Venue venue, DateOnly date)
    {
        lock (_forcedGate)
        {
            return _forced.TryGetValue((Universe.OrdinalOf(stock.Code), venue), out ForcedLog? log) ? [.. log.SecondsOf(date.DayNumber)] : [];
        }
    }

    /// <summary>The last second at or before <paramref name="second"/> whose natural updates (or quiet REST row) end on its final state, or -1.</summary>
    private int LastNaturalRow(SimulatedStock stock, Venue venue, DateOnly date, int second)
    {
        DaySchedule schedule = Schedule(date);
        if (Plan.Rate <= 0)
        {
            int limit = Horizon(stock, venue, date);
            for (int t = Math.Min(second, limit - 1); t >= 0; t--)
            {
                if (t % StepPlan.QuietRowSeconds != 0)
                {
                    t -= (t % StepPlan.QuietRowSeconds) - 1;
                    continue;
                }

                if (schedule.IsOpen(venue, t))
                {
                    return t;
                }
            }

            return -1;
        }

        ulong series = StepPlan.SeriesKey(stock, venue);
        for (int t = second; t >= 0; t--)
        {
            if (schedule.IsOpen(venue, t) && Plan.Steps(series, date, t) > 0)
            {
                return t;
            }
        }

        return -1;
    }
}
