using System.Globalization;

namespace KisFeed.Simulator;

/// <summary>Index and market totals: <c>H0UPPGM0</c> frames and the REST market statistics.</summary>
internal sealed partial class MarketFeed
{
    private readonly Dictionary<(string, int, int), IndexTotals> _indexCache = [];
    private readonly Dictionary<string, DateTimeOffset> _indexLastTick = new(StringComparer.Ordinal);

    /// <summary>The members' program trading on <paramref name="venue"/> at the end of <paramref name="second"/> (the model's state).</summary>
    public IndexTotals IndexAt(SimulatedIndex index, Venue venue, DateOnly date, int second)
    {
        lock (_indexCache)
        {
            if (_indexCache.TryGetValue((index.Code + (char)('0' + (int)venue), date.DayNumber, second), out IndexTotals cached))
            {
                return cached;
            }
        }

        IndexTotals t = IndexTotals.Sum(index.Members.Select(c => Truth(Model.Stock(c), venue, date, second)));
        lock (_indexCache)
        {
            if (_indexCache.Count > 4096)
            {
                _indexCache.Clear();
            }

            _indexCache[(index.Code + (char)('0' + (int)venue), date.DayNumber, second)] = t;
        }

        return t;
    }

    /// <summary>The members' program trading on <paramref name="venue"/> at instant <paramref name="at"/> (what REST shows).</summary>
    public IndexTotals IndexVisibleAt(SimulatedIndex index, Venue venue, DateTimeOffset at) =>
        IndexTotals.Sum(index.Members.Select(c => VisibleAt(Model.Stock(c), venue, at)));

    /// <summary>The members' totals at the end of a finished day (real hours); cached.</summary>
    public IndexTotals IndexEndOfDay(SimulatedIndex index, Venue venue, DateOnly date)
    {
        lock (_indexCache)
        {
            if (_indexCache.TryGetValue((index.Code + (char)('0' + (int)venue), date.DayNumber, int.MaxValue), out IndexTotals cached))
            {
                return cached;
            }
        }

        IndexTotals t = IndexTotals.Sum(index.Members.Select(c => Model.EndOfDay(Model.Stock(c), venue, date)));
        lock (_indexCache)
        {
            _indexCache[(index.Code + (char)('0' + (int)venue), date.DayNumber, int.MaxValue)] = t;
        }

        return t;
    }

    /// <summary>The day's own-account (자기) shares of arbitrage and of non-arbitrage for an index or market [inferred: arbitrage is mostly the brokers' own books].</summary>
    public (double Arb, double Nabt) OwnShares(string code, DateOnly date)
    {
        ulong key = Mix.Hash((ulong)Model.Seed, 0x4F574E53UL, Mix.Key(code), (ulong)date.DayNumber);
        return (Math.Clamp(0.65 + (0.1 * Mix.Normal(Mix.Hash(key, 1))), 0.3, 0.95), Math.Clamp(0.03 + (0.01 * Mix.Normal(Mix.Hash(key, 2))), 0.005, 0.08));
    }

    /// <summary>
    /// The index level after <paramref name="second"/>: its base level times the members' price relative to their
    /// levels, weighted by typical traded value (a stand-in for market value).
    /// </summary>
    public double Level(SimulatedIndex index, DateOnly date, int second, MarketHours hours)
    {
        double sum = 0, weight = 0;
        foreach (string code in index.Members)
        {
            SimulatedStock s = Model.Stock(code);
            sum += s.TypicalTradedValue * (Model.PriceAfter(s, date, second, hours) / (double)s.PriceLevel);
            weight += s.TypicalTradedValue;
        }

        return weight == 0 ? index.BaseLevel : Math.Round(index.BaseLevel * sum / weight, 2);
    }

    /// <summary>The index level at the previous trading day's close.</summary>
    public double PreviousLevel(SimulatedIndex index, DateOnly date) => CloseLevel(index, KrxCalendar.PreviousTradingDay(date));

    /// <summary>The index level at a finished trading day's close.</summary>
    public double CloseLevel(SimulatedIndex index, DateOnly date)
    {
        double sum = 0, weight = 0;
        foreach (string code in index.Members)
        {
            SimulatedStock s = Model.Stock(code);
            sum += s.TypicalTradedValue * (Model.Close(s, date) / (double)s.PriceLevel);
            weight += s.TypicalTradedValue;
        }

        return weight == 0 ? index.BaseLevel : Math.Round(index.BaseLevel * sum / weight, 2);
    }

    /// <summary>The 88 fields of one <c>H0UPPGM0</c> record: the index on KRX at the end of <paramref name="second"/>.</summary>
    public string[] IndexRecord(SimulatedIndex index, DateOnly date, int second)
    {
        (double arb, double nabt) = OwnShares(index.Code, date);
        string time = SecondStart(date, second).ToOffset(KoreaTime.Offset).ToString("HHmmss", CultureInfo.InvariantCulture);
        return IndexAt(index, Venue.Krx, date, second).InUnits(arb, nabt).FrameFields(index.Code, time);
    }

    /// <summary>
    /// The <c>H0UPPGM0</c> records of one tick: with automatic updates one record per index per second that ended since
    /// the previous tick (while KRX is open) [inferred cadence: KIS documents none]; a forced tick sends one record of the
    /// current second per call.
    /// </summary>
    public Dictionary<string, List<string[]>> IndexTick(DateTimeOffset now, IReadOnlySet<string> wanted, int? forced)
    {
        var result = new Dictionary<string, List<string[]>>(StringComparer.Ordinal);
        (DateOnly date, int second, _) = Split(now);
        DaySchedule schedule = Schedule(date);
        foreach (string code in wanted.Order(StringComparer.Ordinal))
        {
            if (!Universe.TryGetIndex(code, out SimulatedIndex? index))
            {
                continue;
            }

            var list = new List<string[]>();
            DateTimeOffset from = _indexLastTick.TryGetValue(code, out DateTimeOffset last) && last <= now ? (last < now - MaxCatchUp ? now - MaxCatchUp : last) : now;
            _indexLastTick[code] = now;
            if (Plan.Rate > 0)
            {
                (DateOnly fromDate, int fromSecond, _) = Split(from);
                for (int t = fromDate == date ? fromSecond : 0; t < second; t++)
                {
                    DateTimeOffset end = SecondStart(date, t + 1);
                    if (end > from && end <= now && schedule.IsOpen(Venue.Krx, t))
                    {
                        list.Add(IndexRecord(index, date, t));
                    }
                }
            }

            if (forced is > 0 && schedule.IsOpen(Venue.Krx, second))
            {
                list.Add(IndexRecord(index, date, second));
            }

            if (list.Count > 0)
            {
                result[code] = list;
            }
        }

        return result;
    }
}
