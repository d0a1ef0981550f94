namespace KisFeed.Simulator;

/// <summary>The state of one (venue, code) at the end of one second: what a REST history row shows.</summary>
/// <param name="Second">The second (UTC, whole seconds).</param>
/// <param name="Price">The stock price then (KRW).</param>
/// <param name="SellQty">Cumulative program sell volume.</param>
/// <param name="SellValue">Cumulative program sell value (KRW).</param>
/// <param name="BuyQty">Cumulative program buy volume.</param>
/// <param name="BuyValue">Cumulative program buy value (KRW).</param>
/// <param name="MarketVolume">Accumulated traded volume of the stock (all trading, not only programs).</param>
internal readonly record struct HistoryPoint(DateTimeOffset Second, long Price, long SellQty, long SellValue, long BuyQty, long BuyValue, long MarketVolume);

/// <summary>One trading day of one (venue, code): what a daily REST row shows.</summary>
internal readonly record struct DailyPoint(DateOnly Date, long Close, long PreviousClose, long SellQty, long SellValue, long BuyQty, long BuyValue, long MarketVolume);

internal sealed partial class MarketModel
{
    /// <summary>Seconds between the points of the synthetic history of a stock first seen mid-day.</summary>
    internal static readonly TimeSpan SyntheticStep = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The state history of (venue, code) up to <paramref name="now"/>, oldest first, reaching back at most the retention.
    /// A stock never seen before is created here (with its baseline and synthetic history), exactly as a first
    /// WebSocket subscription would.
    /// </summary>
    public IReadOnlyList<HistoryPoint> History(Venue venue, string code, DateTimeOffset now)
    {
        Instrument inst = Get(code, now, forRestOnly: true);
        inst.Prune(now, retention);
        return [.. inst.Series(venue)];
    }

    /// <summary>The previous day's close of the stock (the reference of the change fields).</summary>
    public long PreviousClose(string code, DateTimeOffset now) => Get(code, now, forRestOnly: true).Level;

    /// <summary>Daily rows ending at <paramref name="until"/> (or today), newest first, at most <paramref name="count"/>.</summary>
    public IReadOnlyList<DailyPoint> Daily(Venue venue, string code, DateTimeOffset now, DateOnly? until, int count)
    {
        Instrument inst = Get(code, now, forRestOnly: true);
        DateOnly today = inst.Day;
        DateOnly day = until is { } u && u < today ? u : today;
        var rows = new List<DailyPoint>(count);
        for (int guard = 0; rows.Count < count && guard < count * 2 + 10; guard++, day = day.AddDays(-1))
        {
            if (day.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday && !(day == today && hours == MarketHours.AlwaysOpen))
            {
                continue;
            }

            rows.Add(day == today ? inst.Today(venue) : inst.PastDay(venue, day));
        }

        return rows;
    }

    private sealed partial class Instrument
    {
        private readonly List<HistoryPoint> _krxSeries = [];
        private readonly List<HistoryPoint> _nxtSeries = [];
        private readonly List<HistoryPoint> _uniSeries = [];

        /// <summary>Accumulated market volume per program share traded (programs are a part of all trading).</summary>
        private long MarketVolumeFactor => 2 + (Fnv(Code + "vol") % 3);

        public List<HistoryPoint> Series(Venue venue) => venue switch
        {
            Venue.Krx => _krxSeries,
            Venue.Nxt => _nxtSeries,
            _ => _uniSeries,
        };

        /// <summary>Records the state after an update of <paramref name="venue"/> (and the unified sum) for second <paramref name="now"/>.</summary>
        public void Record(Venue venue, DateTimeOffset now, TimeSpan retention)
        {
            DateTimeOffset second = Truncate(now);
            Put(Series(venue), Point(second, venue == Venue.Krx ? Krx : Nxt));
            Put(_uniSeries, Point(second, VenueState.Sum(Krx, Nxt)));
            if (_krxSeries.Count + _nxtSeries.Count > 4096 && (_krxSeries.Count & 1023) == 0)
            {
                Prune(now, retention);
            }
        }

        public void Prune(DateTimeOffset now, TimeSpan retention)
        {
            DateTimeOffset oldest = now - retention;
            foreach (List<HistoryPoint> s in (List<HistoryPoint>[])[_krxSeries, _nxtSeries, _uniSeries])
            {
                int n = 0;
                while (n < s.Count && s[n].Second < oldest)
                {
                    n++;
                }

                s.RemoveRange(0, n);
            }
        }

        public DailyPoint Today(Venue venue)
        {
            VenueState s = venue switch { Venue.Krx => Krx, Venue.Nxt => Nxt, _ => VenueState.Sum(Krx, Nxt) };
            return new DailyPoint(Day, Price, Level, s.SellQty, s.SellValue, s.BuyQty, s.BuyValue, s.MarketVolume);
        }

        /// <summary>A finished past day, generated from (seed, code, date) alone so every call agrees.</summary>
        public DailyPoint PastDay(Venue venue, DateOnly day)
        {
            DailyPoint krx = PastVenueDay(day, Krx.Lot, 1);
            DailyPoint nxt = PastVenueDay(day, Nxt.Lot, 2);
            return venue switch
            {
                Venue.Krx => krx,
                Venue.Nxt => nxt,
                _ => krx with
                {
                    SellQty = krx.SellQty + nxt.SellQty,
                    SellValue = krx.SellValue + nxt.SellValue,
                    BuyQty = krx.BuyQty + nxt.BuyQty,
                    BuyValue = krx.BuyValue + nxt.BuyValue,
                    MarketVolume = krx.MarketVolume + nxt.MarketVolume,
                },
            };
        }

        private DailyPoint PastVenueDay(DateOnly day, long lot, int salt)
        {
            var rng = new Random(unchecked((int)Fnv(Code) ^ Seed ^ (day.DayNumber * 31) ^ salt));
            var closeRng = new Random(unchecked((int)Fnv(Code) ^ Seed ^ (day.DayNumber * 31)));
            long close = RoundToTick(Level * Math.Exp(0.02 * ((closeRng.NextDouble() * 2) - 1)));
            var prevRng = new Random(unchecked((int)Fnv(Code) ^ Seed ^ (day.AddDays(-1).DayNumber * 31)));
            long previous = RoundToTick(Level * Math.Exp(0.02 * ((prevRng.NextDouble() * 2) - 1)));
            long sell = 390L * lot * (80 + rng.Next(80));
            long buy = 390L * lot * (80 + rng.Next(80));
            return new DailyPoint(day, close, previous, sell, sell * close, buy, buy * close, (sell + buy) * MarketVolumeFactor);
        }

        /// <summary>
        /// A stock first seen at <paramref name="now"/> whose baseline stands for <paramref name="minutes"/> of trading
        /// gets a history that grows linearly to that baseline, one point every <see cref="SyntheticStep"/> while the
        /// venue was open (and within the retention). Its own random source: the live data do not change.
        /// </summary>
        private void StartHistory(DateTimeOffset now, double minutes, MarketHours hours, TimeSpan retention)
        {
            _krxSeries.Clear();
            _nxtSeries.Clear();
            _uniSeries.Clear();
            DateTimeOffset end = Truncate(now);
            DateTimeOffset start = end - TimeSpan.FromMinutes(minutes);
            DateTimeOffset midnight = KoreaTime.DayStart(now);
            start = start < midnight ? midnight : start; // the day's history starts at midnight KST, never the evening before
            var rng = new Random(unchecked((int)Fnv(Code + "history") ^ Seed));
            VenueState uni = VenueState.Sum(Krx, Nxt);
            DateTimeOffset oldest = end - retention > start ? end - retention : start;
            var times = new List<DateTimeOffset>();
            for (DateTimeOffset t = end; t > oldest; t -= SyntheticStep)
            {
                times.Add(t);
            }

            DateTimeOffset opening = Truncate(start) == start ? start : Truncate(start) + TimeSpan.FromSeconds(1);
            if (start >= oldest && opening < end && (times.Count == 0 || opening < times[^1]))
            {
                times.Add(opening); // the opening second itself (nothing traded yet): a window that reaches it shows the whole day
            }

            times.Reverse();
            foreach (DateTimeOffset t in times)
            {
                double f = (t - start) / (end - start);
                long price = t == end ? Price : RoundToTick(Level * Math.Exp(0.004 * ((rng.NextDouble() * 2) - 1)));
                if (KoreaTime.IsOpen(hours, Venue.Krx, t))
                {
                    _krxSeries.Add(Scaled(t, price, Krx, f));
                }

                if (KoreaTime.IsOpen(hours, Venue.Nxt, t))
                {
                    _nxtSeries.Add(Scaled(t, price, Nxt, f));
                }

                if (KoreaTime.IsOpen(hours, Venue.Unified, t))
                {
                    _uniSeries.Add(Scaled(t, price, uni, f));
                }
            }
        }

        private static HistoryPoint Scaled(DateTimeOffset t, long price, VenueState s, double f) => new(
            t, price, (long)(s.SellQty * f), (long)(s.SellValue * f), (long)(s.BuyQty * f), (long)(s.BuyValue * f), (long)(s.MarketVolume * f));

        private HistoryPoint Point(DateTimeOffset second, VenueState s) =>
            new(second, Price, s.SellQty, s.SellValue, s.BuyQty, s.BuyValue, s.MarketVolume);

        private static void Put(List<HistoryPoint> series, HistoryPoint p)
        {
            if (series.Count > 0 && series[^1].Second == p.Second)
            {
                series[^1] = p;
            }
            else
            {
                series.Add(p);
            }
        }

        private static DateTimeOffset Truncate(DateTimeOffset t) =>
            new(t.UtcTicks - (t.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
    }
}
