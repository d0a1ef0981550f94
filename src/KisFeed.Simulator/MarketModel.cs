using System.Globalization;

namespace KisFeed.Simulator;

/// <summary>
/// Deterministic program-trading market (seeded per code). One price per stock; KRX and NXT keep separate cumulative
/// state; the unified venue reports KRX + NXT. All invariants of notes §7.2 hold by construction:
/// net = buy − sell (quantity and value), whole net residual = bid residual − ask residual, cumulative quantities never
/// decrease within a KST day and restart on a new day, value ≈ quantity × a plausible price.
/// Not thread-safe: the owner serialises calls.
/// <para>
/// The model also keeps its own state history, one point per (venue, code, second) in which the state changed, for the
/// REST history endpoints: a point at second T is the state after the last update of T, i.e. exactly the values of the
/// last WebSocket record stamped T. Points older than <paramref name="retention"/> are pruned (memory stays bounded).
/// A stock first seen mid-day gets a synthetic history for the part of the day its baseline stands for.
/// </para>
/// </summary>
internal sealed partial class MarketModel(int seed, MarketHours hours, TimeSpan retention)
{
    private readonly Dictionary<string, Instrument> _instruments = new(StringComparer.Ordinal);

    public MarketModel(int seed, MarketHours hours)
        : this(seed, hours, TimeSpan.FromMinutes(30))
    {
    }

    /// <summary>Records produced by one tick, keyed by (venue, code), each an 11-field record.</summary>
    public Dictionary<(Venue Venue, string Code), List<string[]>> Tick(
        DateTimeOffset now, IReadOnlySet<(Venue Venue, string Code)> wanted, double expectedUpdates, int? forcedUpdates)
    {
        var result = new Dictionary<(Venue, string), List<string[]>>();
        DateTimeOffset kst = KoreaTime.ToKst(now);
        string time = kst.ToString("HHmmss", CultureInfo.InvariantCulture);
        // Every stock the model knows keeps trading whether or not anyone is subscribed (a dropped client misses real
        // updates, which the REST history then shows); records are produced only for the wanted ones.
        foreach (string code in wanted.Select(w => w.Code).Concat(_instruments.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            Instrument inst = Get(code, now);
            bool wantKrx = wanted.Contains((Venue.Krx, code));
            bool wantNxt = wanted.Contains((Venue.Nxt, code));
            bool wantUni = wanted.Contains((Venue.Unified, code));
            bool krxOpen = KoreaTime.IsOpen(hours, Venue.Krx, now);
            bool nxtOpen = KoreaTime.IsOpen(hours, Venue.Nxt, now);
            int nKrx = krxOpen ? forcedUpdates ?? inst.SampleCount(expectedUpdates) : 0;
            int nNxt = nxtOpen ? forcedUpdates ?? inst.SampleCount(expectedUpdates) : 0;

            // Interleave the venues' updates; the unified record follows every component update (inferred model).
            int i = 0, j = 0;
            while (i < nKrx || j < nNxt)
            {
                bool krxTurn = i < nKrx && (j >= nNxt || i <= j);
                VenueState state = krxTurn ? inst.Krx : inst.Nxt;
                inst.Step(state);
                inst.Record(krxTurn ? Venue.Krx : Venue.Nxt, now, retention);
                if (krxTurn) { i++; } else { j++; }

                if (krxTurn ? wantKrx : wantNxt)
                {
                    Add(result, (krxTurn ? Venue.Krx : Venue.Nxt, code), state.Format(code, time));
                }

                if (wantUni)
                {
                    Add(result, (Venue.Unified, code), VenueState.Sum(inst.Krx, inst.Nxt).Format(code, time));
                }
            }
        }

        return result;
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

    /// <summary>
    /// Reference price level per stock (also the previous close of the REST rows): the large caps of
    /// <c>data/large-caps.csv</c> trade near their listed level; other codes get a hashed level between 2,000 and 500,000.
    /// </summary>
    internal static long PriceLevel(string code) => LargeCaps.TryGet(code, out LargeCaps.Entry e)
        ? RoundToTick(e.Price)
        : RoundToTick((long)Math.Exp(Math.Log(2_000) + (Fnv(code) % 10_000 / 10_000.0 * Math.Log(250))));

    /// <summary>KRX tick-size ladder, so prices look like real trade prices.</summary>
    internal static long RoundToTick(double price)
    {
        long tick = price switch
        {
            < 2_000 => 1,
            < 5_000 => 5,
            < 20_000 => 10,
            < 50_000 => 50,
            < 200_000 => 100,
            < 500_000 => 500,
            _ => 1_000,
        };
        return Math.Max(tick, (long)Math.Round(price / tick) * tick);
    }

    internal static uint Fnv(string s)
    {
        uint h = 2166136261;
        foreach (char c in s)
        {
            h = (h ^ c) * 16777619;
        }

        return h;
    }

    /// <summary>Stocks the model keeps trading; beyond it, a stock asked for over REST only is not kept (bounded memory).</summary>
    internal const int MaxInstruments = 512;

    /// <summary>Whether any stock is known (and so trades on every tick).</summary>
    public bool HasInstruments => _instruments.Count > 0;

    private Instrument Get(string code, DateTimeOffset now, bool forRestOnly = false)
    {
        if (!_instruments.TryGetValue(code, out Instrument? inst))
        {
            inst = new Instrument(code, seed);
            if (!forRestOnly || _instruments.Count < MaxInstruments)
            {
                _instruments[code] = inst;
            }
        }

        inst.RollDay(now, hours, retention);
        return inst;
    }

    private sealed partial class Instrument
    {
        private readonly Random _rng;
        private readonly long _level;
        private readonly long _lot;
        private double _price;
        private DateOnly _day;

        public Instrument(string code, int seed)
        {
            Code = code;
            Seed = seed;
            _rng = new Random(unchecked((int)Fnv(code) ^ seed));
            _level = PriceLevel(code);
            _price = _level;
            _lot = Math.Max(1, 30_000_000 / _level); // ≈ 30 M KRW of program flow per KRX update
            Krx = new VenueState(_lot);
            Nxt = new VenueState(Math.Max(1, _lot / 5)); // NXT is the smaller venue
        }

        public string Code { get; }

        public int Seed { get; }

        public long Level => _level;

        public long Price => RoundToTick(_price);

        public DateOnly Day => _day;

        public VenueState Krx { get; private set; }

        public VenueState Nxt { get; private set; }

        public void RollDay(DateTimeOffset now, MarketHours hours, TimeSpan retention)
        {
            DateTimeOffset kst = KoreaTime.ToKst(now);
            var day = DateOnly.FromDateTime(kst.DateTime);
            if (day == _day)
            {
                return;
            }

            // New KST trading day: cumulative values restart. A stock first seen mid-session gets a baseline
            // proportional to the elapsed session time, so numbers look like a real day in progress.
            _day = day;
            Krx = new VenueState(Krx.Lot);
            Nxt = new VenueState(Nxt.Lot);
            // Always-open (demo) markets stand for 30 minutes of trading whatever the wall clock says, but never more than
            // the KST day so far: the day's cumulative values start at midnight KST, so neither the baseline nor the
            // synthetic history may reach into the previous evening (a REST row from yesterday is not of the day so far).
            double minutes = hours == MarketHours.AlwaysOpen
                ? Math.Min(30, kst.TimeOfDay.TotalMinutes)
                : Math.Clamp((kst.TimeOfDay - TimeSpan.FromHours(9)).TotalMinutes, 0, 390);
            Baseline(Krx, minutes);
            Baseline(Nxt, minutes);
            StartHistory(now, minutes, hours, retention);
        }

        private void Baseline(VenueState s, double minutes)
        {
            long price = RoundToTick(_price);
            long sell = (long)(minutes * s.Lot * (80 + _rng.Next(80)));
            long buy = (long)(minutes * s.Lot * (80 + _rng.Next(80)));
            s.SellQty = sell;
            s.BuyQty = buy;
            s.SellValue = sell * price;
            s.BuyValue = buy * price;
            s.MarketVolume = (sell + buy) * MarketVolumeFactor;
            s.AskResidual = s.Lot * (20 + _rng.Next(200));
            s.BidResidual = s.Lot * (20 + _rng.Next(200));
        }

        public int SampleCount(double mean)
        {
            if (mean <= 0)
            {
                return 0;
            }

            if (mean > 30)
            {
                return (int)Math.Max(0, Math.Round(mean + (Math.Sqrt(mean) * Gauss())));
            }

            // Knuth's Poisson sampler.
            double l = Math.Exp(-mean), p = 1;
            int k = 0;
            do
            {
                k++;
                p *= _rng.NextDouble();
            }
            while (p > l);
            return k - 1;
        }

        public void Step(VenueState s)
        {
            // Mean-reverting random walk of the stock price (shared by the venues).
            _price = Math.Max(1, (_price * Math.Exp(0.0008 * Gauss())) + (0.02 * (_level - _price)));
            long price = RoundToTick(_price);
            long sell = _rng.Next(10) == 0 ? 0 : _rng.Next(0, (int)Math.Min(int.MaxValue - 1, (2 * s.Lot) + 1));
            long buy = _rng.Next(10) == 0 ? 0 : _rng.Next(0, (int)Math.Min(int.MaxValue - 1, (2 * s.Lot) + 1));
            s.SellQty += sell;
            s.BuyQty += buy;
            s.SellValue += sell * price;
            s.BuyValue += buy * price;
            s.MarketVolume += (sell + buy) * MarketVolumeFactor;
            s.AskResidual = Math.Max(0, s.AskResidual + (long)Math.Round(Gauss() * s.Lot * 2));
            s.BidResidual = Math.Max(0, s.BidResidual + (long)Math.Round(Gauss() * s.Lot * 2));
        }

        private double Gauss()
        {
            double u1 = 1.0 - _rng.NextDouble();
            double u2 = _rng.NextDouble();
            return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
        }
    }

    internal sealed class VenueState(long lot)
    {
        public long Lot { get; } = lot;

        public long SellQty { get; set; }

        public long SellValue { get; set; }

        public long BuyQty { get; set; }

        public long BuyValue { get; set; }

        public long AskResidual { get; set; }

        public long BidResidual { get; set; }

        /// <summary>Accumulated traded volume of the stock on the venue (program and other trading), for <c>acml_vol</c>.</summary>
        public long MarketVolume { get; set; }

        public static VenueState Sum(VenueState a, VenueState b) => new(a.Lot + b.Lot)
        {
            MarketVolume = a.MarketVolume + b.MarketVolume,
            SellQty = a.SellQty + b.SellQty,
            SellValue = a.SellValue + b.SellValue,
            BuyQty = a.BuyQty + b.BuyQty,
            BuyValue = a.BuyValue + b.BuyValue,
            AskResidual = a.AskResidual + b.AskResidual,
            BidResidual = a.BidResidual + b.BidResidual,
        };

        /// <summary>The 11 fields in the order of notes §7.1. Invariant culture: a leading '-', no '+', no decimals.</summary>
        public string[] Format(string code, string time) =>
        [
            code,
            time,
            N(SellQty),
            N(SellValue),
            N(BuyQty),
            N(BuyValue),
            N(BuyQty - SellQty),
            N(BuyValue - SellValue),
            N(AskResidual),
            N(BidResidual),
            N(BidResidual - AskResidual),
        ];

        private static string N(long v) => v.ToString(CultureInfo.InvariantCulture);
    }
}
