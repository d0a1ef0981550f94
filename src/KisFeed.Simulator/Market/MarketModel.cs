namespace KisFeed.Simulator;

/// <summary>
/// The simulator's market as a pure function of (seed, stock, venue, KST date, second): the state of any stock on any
/// venue at any second is computed directly from hashes of those coordinates (<see cref="StockDay"/>,
/// <see cref="PricePath"/>, <see cref="ArbitrageDay"/>), never evolved step by step, so every process with the same seed
/// serves the same values for the same second, whenever it started and whoever asked before. The unified venue is KRX +
/// NXT field by field. Past days always follow the real session hours (<see cref="MarketHours.Real"/>) and the KRX
/// calendar; today follows the configured hours.
/// <para>
/// The objects behind it are built on first use and cached (about 5 KB per stock and venue for today, 2.7 KB per stock
/// for its price path; about 30 MB when all ~2,600 stocks are asked for, e.g. by a ranking); a new day drops the last
/// one's detail. Thread-safe.
/// </para>
/// </summary>
internal sealed class MarketModel
{
    private const int MaxFullProfiles = 6;

    private readonly Lock _gate = new();
    private readonly Dictionary<(DateOnly, MarketHours), DaySchedule> _schedules = [];
    private readonly Dictionary<(Venue, DateOnly, MarketHours), DayProfile> _profiles = [];
    private readonly Dictionary<(Venue, DateOnly, MarketHours), DayProfile> _blockProfiles = [];
    private readonly Dictionary<(int, DateOnly, MarketHours), PricePath> _paths = [];
    private readonly Dictionary<(int, DateOnly, MarketHours), PricePath> _pastPaths = [];
    private readonly HashSet<DateOnly> _pastDates = [];
    private readonly Dictionary<(int, Venue, DateOnly, MarketHours), StockDay> _days = [];
    private readonly Dictionary<(int, Venue, DateOnly), ProgramFields> _ends = [];
    private readonly Dictionary<(int, DateOnly), long> _closes = [];
    private readonly Dictionary<(StockMarket, DateOnly, MarketHours, bool), ArbitrageDay> _arbitrage = [];
    private readonly Dictionary<int, long> _basketShares = [];
    private readonly Dictionary<StockMarket, double> _marketValue = [];
    private DateOnly _detailDay;

    public MarketModel(int seed, MarketHours hours, SimulatorUniverse universe)
    {
        Seed = seed;
        Hours = hours;
        Universe = universe;
        foreach (StockMarket m in (StockMarket[])[StockMarket.Kospi, StockMarket.Kosdaq])
        {
            _marketValue[m] = universe.Stocks.Where(s => s.Market == m).Sum(s => (double)s.TypicalTradedValue);
            IReadOnlyList<string> basket = universe.ArbitrageBasket[m];
            double weightSum = basket.Sum(c => Stock(c).TypicalTradedValue);
            foreach (string code in basket)
            {
                SimulatedStock s = Stock(code);
                _basketShares[universe.OrdinalOf(code)] = Math.Max(1, (long)Math.Round(s.TypicalTradedValue / weightSum * ArbitrageDay.UnitValue / s.PriceLevel));
            }
        }
    }

    public int Seed { get; }

    /// <summary>The hours today follows.</summary>
    public MarketHours Hours { get; }

    public SimulatorUniverse Universe { get; }

    public SimulatedStock Stock(string code) =>
        Universe.TryGet(code, out SimulatedStock s) ? s : throw new KeyNotFoundException($"{code} is not in the simulator's universe.");

    /// <summary>The hours that apply on <paramref name="date"/> seen from <paramref name="today"/>: today's configured hours, real hours before.</summary>
    public MarketHours HoursOn(DateOnly date, DateOnly today) => date >= today ? Hours : MarketHours.Real;

    public DaySchedule Schedule(DateOnly date, MarketHours hours)
    {
        lock (_gate)
        {
            if (!_schedules.TryGetValue((date, hours), out DaySchedule? s))
            {
                if (_schedules.Count > 64)
                {
                    _schedules.Clear();
                }

                s = new DaySchedule(date, hours);
                _schedules[(date, hours)] = s;
            }

            return s;
        }
    }

    /// <summary>The state of <paramref name="stock"/> on <paramref name="venue"/> after <paramref name="second"/> of <paramref name="date"/> (unified = KRX + NXT).</summary>
    public ProgramFields After(SimulatedStock stock, Venue venue, DateOnly date, int second, MarketHours hours)
    {
        if (venue == Venue.Unified)
        {
            return After(stock, Venue.Krx, date, second, hours) + After(stock, Venue.Nxt, date, second, hours);
        }

        return Day(stock, venue, date, hours).After(second);
    }

    /// <summary>The state at the end of a finished day (real hours), from block-level data only; cached.</summary>
    public ProgramFields EndOfDay(SimulatedStock stock, Venue venue, DateOnly date)
    {
        if (venue == Venue.Unified)
        {
            return EndOfDay(stock, Venue.Krx, date) + EndOfDay(stock, Venue.Nxt, date);
        }

        int ordinal = Universe.OrdinalOf(stock.Code);
        lock (_gate)
        {
            if (_ends.TryGetValue((ordinal, venue, date), out ProgramFields end))
            {
                return end;
            }
        }

        DaySchedule schedule = Schedule(date, MarketHours.Real);
        StockDay day = Build(stock, ordinal, venue, schedule, BlockProfile(venue, schedule));
        ProgramFields result = day.EndOfDay;
        lock (_gate)
        {
            if (_ends.Count > 500_000)
            {
                _ends.Clear();
            }

            _ends[(ordinal, venue, date)] = result;
        }

        return result;
    }

    /// <summary>The price after <paramref name="second"/> of <paramref name="date"/>.</summary>
    public long PriceAfter(SimulatedStock stock, DateOnly date, int second, MarketHours hours) => Path(stock, Schedule(date, hours)).PriceAfter(second);

    /// <summary>The close of a finished trading day (real hours).</summary>
    public long Close(SimulatedStock stock, DateOnly date)
    {
        int ordinal = Universe.OrdinalOf(stock.Code);
        lock (_gate)
        {
            if (_closes.TryGetValue((ordinal, date), out long c))
            {
                return c;
            }
        }

        long close = Path(stock, Schedule(date, MarketHours.Real), cache: false).Close;
        lock (_gate)
        {
            _closes[(ordinal, date)] = close;
        }

        return close;
    }

    /// <summary>The close of the trading day before <paramref name="date"/>: the reference of every change field.</summary>
    public long PreviousClose(SimulatedStock stock, DateOnly date) => Close(stock, KrxCalendar.PreviousTradingDay(date));

    /// <summary>
    /// The price path of a stock-day. <paramref name="cache"/>: kept for the day (today's detail); otherwise kept only
    /// while at most two such days are in use (a past day is asked for by every venue, its close and the market totals
    /// in a row, then not again).
    /// </summary>
    public PricePath Path(SimulatedStock stock, DaySchedule schedule, bool cache = true)
    {
        int ordinal = Universe.OrdinalOf(stock.Code);
        (int, DateOnly, MarketHours) key = (ordinal, schedule.Date, schedule.Hours);
        lock (_gate)
        {
            if (_paths.TryGetValue(key, out PricePath? p) || _pastPaths.TryGetValue(key, out p))
            {
                return p;
            }
        }

        var path = new PricePath(Seed, stock, schedule);
        lock (_gate)
        {
            if (cache)
            {
                _paths[key] = path;
            }
            else
            {
                if (_pastDates.Add(schedule.Date) && _pastDates.Count > 2)
                {
                    _pastPaths.Clear();
                    _pastDates.Clear();
                    _pastDates.Add(schedule.Date);
                }

                _pastPaths[key] = path;
            }
        }

        return path;
    }

    public StockDay Day(SimulatedStock stock, Venue venue, DateOnly date, MarketHours hours)
    {
        int ordinal = Universe.OrdinalOf(stock.Code);
        lock (_gate)
        {
            if (_days.TryGetValue((ordinal, venue, date, hours), out StockDay? d))
            {
                return d;
            }

            if (date > _detailDay)
            {
                // A new day: yesterday's per-second detail is not needed any more (its end-of-day stays in _ends).
                _detailDay = date;
                _days.Clear();
                _paths.Clear();
                foreach ((Venue, DateOnly, MarketHours) k in _profiles.Keys.Where(k => k.Item2 < date).ToList())
                {
                    _profiles.Remove(k);
                }
            }
        }

        DaySchedule schedule = Schedule(date, hours);
        StockDay day = Build(stock, ordinal, venue, schedule, Profile(venue, schedule));
        lock (_gate)
        {
            _days[(ordinal, venue, date, hours)] = day;
        }

        return day;
    }

    /// <summary>The per-second profile of <paramref name="venue"/> on a day.</summary>
    public DayProfile Profile(Venue venue, DaySchedule schedule)
    {
        lock (_gate)
        {
            if (_profiles.TryGetValue((venue, schedule.Date, schedule.Hours), out DayProfile? p))
            {
                return p;
            }

            p = DayProfile.Build(Seed, venue, schedule, keepSeconds: true);
            if (_profiles.Count >= MaxFullProfiles)
            {
                _profiles.Remove(_profiles.Keys.MinBy(k => k.Item2));
            }

            _profiles[(venue, schedule.Date, schedule.Hours)] = p;
            return p;
        }
    }

    private DayProfile BlockProfile(Venue venue, DaySchedule schedule)
    {
        lock (_gate)
        {
            if (_profiles.TryGetValue((venue, schedule.Date, schedule.Hours), out DayProfile? full))
            {
                return full;
            }

            if (!_blockProfiles.TryGetValue((venue, schedule.Date, schedule.Hours), out DayProfile? p))
            {
                p = DayProfile.Build(Seed, venue, schedule, keepSeconds: false);
                _blockProfiles[(venue, schedule.Date, schedule.Hours)] = p;
            }

            return p;
        }
    }

    private StockDay Build(SimulatedStock stock, int ordinal, Venue venue, DaySchedule schedule, DayProfile profile)
    {
        PricePath path = Path(stock, schedule, cache: profile.Cum is not null);
        ArbitrageDay? arb = null;
        long shares = 0;
        if (venue == Venue.Krx && _basketShares.TryGetValue(ordinal, out shares))
        {
            // The basket trades on KRX, so it follows KRX's profile of the day.
            arb = Arbitrage(stock.Market, schedule, profile);
        }

        return new StockDay(Seed, stock, venue, schedule.Date, profile, path, arb, shares);
    }

    private ArbitrageDay Arbitrage(StockMarket market, DaySchedule schedule, DayProfile krxProfile)
    {
        lock (_gate)
        {
            bool full = krxProfile.Cum is not null;
            if (!_arbitrage.TryGetValue((market, schedule.Date, schedule.Hours, full), out ArbitrageDay? a))
            {
                a = new ArbitrageDay(Seed, market, schedule.Date, krxProfile, _marketValue[market]);
                if (_arbitrage.Count > 256)
                {
                    _arbitrage.Clear();
                }

                _arbitrage[(market, schedule.Date, schedule.Hours, full)] = a;
            }

            return a;
        }
    }
}
