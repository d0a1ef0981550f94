using System.Globalization;

using KisFeed.Storage;

namespace KisFeed.Web;

/// <summary>
/// The board every page sees: the latest update per (code, venue), the gaps, and a ring of recent changes numbered by
/// a sequence, so a page can ask for everything after the last event it saw (its <c>Last-Event-ID</c>). One writer (the
/// feed); readers are the pages' event loops.
/// </summary>
internal sealed class BoardState
{
    private readonly Lock _lock = new();
    private readonly Entry[] _ring;
    private readonly long _mask;
    private readonly List<Row> _rows = [];
    private readonly Dictionary<(string, Venue), int> _index = [];
    private readonly List<GapState> _gaps = [];
    private readonly IPriceSource _prices;
    private readonly ProgramTradeWindows _windows = new();
    private long _seq;
    private TaskCompletionSource? _changed;

    public BoardState(int capacity, IPriceSource prices, DateOnly date)
    {
        if (capacity < 16 || (capacity & (capacity - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "Use a power of two, at least 16.");
        }

        _ring = new Entry[capacity];
        _mask = capacity - 1;
        _prices = prices;
        Date = date;
        prices.Changed += OnPriceChanged;
    }

    // A new quote reaches the page at once: the code's rows are sent again with it (their figures unchanged).
    private void OnPriceChanged(string code)
    {
        lock (_lock)
        {
            RepushLocked(VenueExtensions.All.Select(v => new Registration(v, code)));
        }
    }

    /// <summary>The trading date shown (the latest update's).</summary>
    public DateOnly Date { get; private set; }

    /// <summary>The sequence of the latest change (0 before any).</summary>
    public long Seq
    {
        get
        {
            lock (_lock)
            {
                return _seq;
            }
        }
    }

    /// <summary>Outages on the board (the status strip's "gaps"): every gap but a seed of the day so far, which is not one.</summary>
    public int GapCount
    {
        get
        {
            lock (_lock)
            {
                return _gaps.Count(g => g.Reason != DataGap.SeedReason);
            }
        }
    }

    private struct Entry
    {
        public long Seq;
        public int Row;       // -1: a gap change
        public ProgramTrade Trade;
        public long? D1; // null: the data does not cover the minute before this update (ProgramTradeWindows)
        public long? D5;
        public long? Price;
        public double? Change;
        public long Updates;
        public GapDto? Gap;
    }

    private sealed class Row(string code, Venue venue)
    {
        public readonly string Code = code;
        public readonly Venue Venue = venue;
        public ProgramTrade? Latest;
        public int LastEntry = -1;
        public long Updates;
        public RowDto? Seeded;
    }

    private sealed class GapState(long id, DateTimeOffset from, DateTimeOffset to, string[] venues, string[] codes, string reason, IReadOnlyList<Registration> registrations)
    {
        public readonly long Id = id;
        public readonly DateTimeOffset From = from;
        public readonly DateTimeOffset To = to;
        public readonly string[] Venues = venues;
        public readonly string[] Codes = codes;
        public readonly string Reason = reason;
        public readonly IReadOnlyList<Registration> Registrations = registrations;
        public readonly Dictionary<Registration, GapHealingReport> Reports = [];

        public static GapState Of(DataGap g) => new(g.Id, g.From, g.To,
            [.. g.Registrations.Select(r => ChartTime.VenueName(r.Venue)).Distinct().Order(StringComparer.Ordinal)],
            [.. g.Registrations.Select(r => r.Code).Distinct().Order(StringComparer.Ordinal)],
            g.Reason, g.Registrations);
    }

    /// <summary>Applies one feed item.</summary>
    public void Apply(in FeedItem item)
    {
        switch (item.Kind)
        {
            case FeedItemKind.Trade:
                Apply(item.Trade);
                break;
            case FeedItemKind.Gap:
                AddGap(item.Gap!);
                break;
            case FeedItemKind.GapHealed:
                AddHealing(item.Healing!);
                break;
        }
    }

    public void Apply(in ProgramTrade trade)
    {
        PriceQuote? quote = _prices.Get(trade.Code);
        lock (_lock)
        {
            if (trade.TradingDate > Date)
            {
                Date = trade.TradingDate;
            }

            Row row = RowOf(trade.Code, trade.Venue, out int rowIndex);
            _windows.Observe(trade);
            row.Updates++;
            // A REST row older than what the row shows (a healed gap's rows come after live ones) only fills the windows;
            // the row is sent again so its Δ reflect it.
            if (trade.Source == TradeSource.Rest && row.Latest is { } shown && ProgramTradeWindows.InstantOf(shown) > ProgramTradeWindows.InstantOf(trade))
            {
                PushRowLocked(row, rowIndex, shown, quote);
                return;
            }

            PushRowLocked(row, rowIndex, trade, quote);
        }
    }

    /// <summary>Sends a row's latest state, with its Δ1m/Δ5m as the windows say now.</summary>
    private void PushRowLocked(Row row, int rowIndex, in ProgramTrade trade, PriceQuote? quote)
    {
        var registration = new Registration(trade.Venue, trade.Code);
        DateTimeOffset at = ProgramTradeWindows.InstantOf(trade);
        long seq = ++_seq;
        ref Entry e = ref _ring[seq & _mask];
        e.Seq = seq;
        e.Row = rowIndex;
        e.Trade = trade;
        e.D1 = _windows.Change(registration, ProgramTradeWindows.OneMinute, at);
        e.D5 = _windows.Change(registration, ProgramTradeWindows.FiveMinutes, at);
        e.Price = quote?.Price;
        e.Change = quote?.ChangePercent;
        e.Updates = row.Updates;
        e.Gap = null;
        row.Latest = trade;
        row.LastEntry = (int)(seq & _mask);
        row.Seeded = null;
        SignalLocked();
    }

    /// <summary>A gap or its healing changed which windows are covered: the rows it hit are sent again.</summary>
    private void RepushLocked(IEnumerable<Registration> registrations)
    {
        foreach (Registration r in registrations)
        {
            if (_index.TryGetValue((r.Code, r.Venue), out int index) && _rows[index].Latest is { } latest)
            {
                PushRowLocked(_rows[index], index, latest, _prices.Get(r.Code));
            }
        }
    }

    /// <summary>Starts rows from a recording's ranking (before the feed's first update for them).</summary>
    public void Seed(IEnumerable<RankingRow> rows, DateOnly date)
    {
        lock (_lock)
        {
            Date = date;
            foreach (RankingRow r in rows)
            {
                Row row = RowOf(r.Code, r.Venue, out _);
                if (row.LastEntry >= 0)
                {
                    continue;
                }

                // What the recording knows of the windows before its last row: the values 5 and 1 minutes earlier.
                var registration = new Registration(r.Venue, r.Code);
                if (r.Change5m is { } c5 && r.Time.Ticks >= 5 * TimeSpan.TicksPerMinute)
                {
                    _windows.Observe(registration, date, r.Time.AddMinutes(-5), r.NetBuyValue - c5);
                }

                if (r.Change1m is { } c1 && r.Time.Ticks >= TimeSpan.TicksPerMinute)
                {
                    _windows.Observe(registration, date, r.Time.AddMinutes(-1), r.NetBuyValue - c1);
                }

                _windows.Observe(registration, date, r.Time, r.NetBuyValue);
                row.Updates = r.Records;
                PriceQuote? quote = _prices.Get(r.Code);
                row.Seeded = new RowDto(r.Code, StockNames.Of(r.Code), ChartTime.VenueName(r.Venue), ChartTime.Of(date, r.Time),
                    r.Time.ToString("HH:mm:ss", CultureInfo.InvariantCulture), r.BuyValue, r.SellValue, r.NetBuyValue, r.NetBuyVolume,
                    r.Change1m, r.Change5m, quote?.Price, quote?.ChangePercent, r.Records, 0, 0);
            }

            SignalLocked();
        }
    }

    /// <summary>
    /// Seeds gaps from a recording, with how each registration was healed when the recording says (<c>gap_healing</c>,
    /// matched by the gap's bounds, venue and code): healed, partly healed (with what is still missing) or missing.
    /// </summary>
    public void SeedGaps(IEnumerable<RecordingGap> gaps, IEnumerable<RecordedGapHealing>? healing = null)
    {
        List<RecordedGapHealing> outcomes = [.. healing ?? []];
        lock (_lock)
        {
            long id = -1;
            foreach (RecordingGap g in gaps)
            {
                string[] venues = g.Venue is { } v ? [ChartTime.VenueName(v)] : [];
                List<RecordedGapHealing> mine = [.. outcomes.Where(h => h.GapFrom == g.From && h.GapTo == g.To
                    && (g.Venue is null || h.Registration.Venue == g.Venue)
                    && (g.Codes.Count == 0 || g.Codes.Contains(h.Registration.Code, StringComparer.Ordinal)))];
                // The registrations the gap hit: its codes on its venue when it names both, else those healing reported on.
                List<Registration> registrations = g.Venue is { } venue && g.Codes.Count > 0
                    ? [.. g.Codes.Select(c => new Registration(venue, c))]
                    : [.. mine.Select(h => h.Registration).Distinct()];
                GapState state = new(id--, g.From, g.To, venues, [.. g.Codes], g.Reason, registrations);
                foreach (RecordedGapHealing h in mine)
                {
                    state.Reports[h.Registration] = new GapHealingReport(state.Id, h.Registration, h.Outcome, h.RestRows, h.StillMissingFrom, h.StillMissingTo, h.Detail);
                }

                _gaps.Add(state);
            }

            SignalLocked();
        }
    }

    private void AddGap(DataGap gap)
    {
        lock (_lock)
        {
            GapState state = GapState.Of(gap);
            _gaps.Add(state);
            _windows.Observe(gap);
            PushGapLocked(state);
            RepushLocked(gap.Registrations);
        }
    }

    private void AddHealing(GapHealingReport report)
    {
        lock (_lock)
        {
            // A gap id is unique per client only: a board fed from NATS meets the gaps of several gateways, each
            // counting from 1. An outcome belongs to the latest gap with its id that hit its registration (a report
            // follows its gap in the feed, and a registration is carried by one gateway at a time).
            GapState? state = _gaps.FindLast(g => g.Id == report.GapId && g.Registrations.Contains(report.Registration))
                ?? _gaps.FindLast(g => g.Id == report.GapId && g.Registrations.Count == 0);
            if (state is null)
            {
                return;
            }

            state.Reports[report.Registration] = report;
            _windows.Observe(report);
            PushGapLocked(state);
            RepushLocked([report.Registration]);
        }
    }

    private void PushGapLocked(GapState state)
    {
        long seq = ++_seq;
        ref Entry e = ref _ring[seq & _mask];
        e = default;
        e.Seq = seq;
        e.Row = -1;
        e.Gap = ToDto(state);
        SignalLocked();
    }

    private static GapDto ToDto(GapState s)
    {
        string healing = "missing";
        long? missingFrom = null, missingTo = null;
        if (s.Reports.Count > 0)
        {
            bool all = s.Registrations.Count > 0 && s.Registrations.All(r => s.Reports.TryGetValue(r, out GapHealingReport? x) && x.Outcome == GapHealing.Healed);
            bool any = s.Reports.Values.Any(x => x.Outcome != GapHealing.NotHealed);
            healing = all ? "healed" : any ? "partly" : "missing";
            foreach (GapHealingReport x in s.Reports.Values)
            {
                if (x.StillMissingFrom is { } f && x.StillMissingTo is { } t)
                {
                    missingFrom = Math.Min(missingFrom ?? long.MaxValue, ChartTime.Of(f));
                    missingTo = Math.Max(missingTo ?? long.MinValue, ChartTime.Of(t));
                }
            }
        }

        return new GapDto(s.Id, ChartTime.Of(s.From), ChartTime.Of(s.To), s.Venues, s.Codes, s.Reason, healing, missingFrom, missingTo);
    }

    private Row RowOf(string code, Venue venue, out int index)
    {
        if (!_index.TryGetValue((code, venue), out index))
        {
            index = _rows.Count;
            _rows.Add(new Row(code, venue));
            _index.Add((code, venue), index);
        }

        return _rows[index];
    }

    private RowDto ToDto(in Entry e)
    {
        ref readonly ProgramTrade t = ref e.Trade;
        return new RowDto(t.Code, StockNames.Of(t.Code), ChartTime.VenueName(t.Venue), ChartTime.Of(t.TradingDate, t.Time),
            t.Time.ToString("HH:mm:ss", CultureInfo.InvariantCulture), t.BuyValue, t.SellValue, t.NetBuyValue, t.NetBuyVolume,
            e.D1, e.D5, e.Price, e.Change is { } c ? Math.Round(c, 2) : null, e.Updates, t.ReceivedAt.ToUnixTimeMilliseconds(), e.Seq);
    }

    /// <summary>Every row's latest state and every gap.</summary>
    public (long Seq, DateOnly Date, List<RowDto> Rows, List<GapDto> Gaps) Snapshot()
    {
        lock (_lock)
        {
            List<RowDto> rows = new(_rows.Count);
            foreach (Row row in _rows)
            {
                if (row.LastEntry >= 0)
                {
                    rows.Add(ToDto(_ring[row.LastEntry]));
                }
                else if (row.Seeded is { } seeded)
                {
                    rows.Add(seeded);
                }
            }

            return (_seq, Date, rows, [.. _gaps.Select(ToDto)]);
        }
    }

    /// <summary>
    /// Changes after <paramref name="after"/>: per row the latest update of each minute (so the chart keeps each
    /// minute's close) and every gap change, in sequence order. Null when <paramref name="after"/> is older than the
    /// ring holds (or from another run): the page needs a snapshot then.
    /// </summary>
    public (long Seq, List<RowDto> Rows, List<GapDto> Gaps)? CollectSince(long after)
    {
        lock (_lock)
        {
            if (after > _seq || after < _seq - _ring.Length || after < 0)
            {
                return null;
            }

            List<RowDto> rows = [];
            List<GapDto> gaps = [];
            Dictionary<(int Row, long Minute), int>? seen = null;
            for (long s = after + 1; s <= _seq; s++)
            {
                ref readonly Entry e = ref _ring[s & _mask];
                if (e.Row < 0)
                {
                    gaps.Add(e.Gap!);
                    continue;
                }

                seen ??= [];
                (int, long) key = (e.Row, e.Trade.Time.Ticks / TimeSpan.TicksPerMinute);
                if (seen.TryGetValue(key, out int at))
                {
                    rows[at] = ToDto(e);
                }
                else
                {
                    seen.Add(key, rows.Count);
                    rows.Add(ToDto(e));
                }
            }

            return (_seq, rows, gaps);
        }
    }

    /// <summary>Completes when a change after <paramref name="after"/> is there, or after <paramref name="timeout"/>.</summary>
    public Task WaitAsync(long after, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        Task signal;
        lock (_lock)
        {
            if (_seq > after)
            {
                return Task.CompletedTask;
            }

            _changed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            signal = _changed.Task;
        }

        return signal.WaitAsync(timeout, time, cancellationToken).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private void SignalLocked()
    {
        if (_changed is { } tcs)
        {
            _changed = null;
            tcs.TrySetResult();
        }
    }
}
