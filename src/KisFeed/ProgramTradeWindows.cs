using System.Runtime.InteropServices;

namespace KisFeed;

/// <summary>
/// The change of a registration's net buy value over the last minute, five minutes or any window, and <c>null</c>
/// whenever the data does not cover that window: a figure is shown only when it is what it says. Feed it the items of a
/// feed (trades, gaps, healing outcomes) in the order the feed gives them.
/// </summary>
/// <remarks>
/// <para>The change over <c>w</c> at <c>now</c> is the latest net buy value minus the value at <c>now − w</c>, which is
/// the value of the last update stamped at or before <c>now − w</c> (times are the exchange's, <see cref="ProgramTrade.Time"/>
/// on <see cref="ProgramTrade.TradingDate"/>, KST). It is known only when</para>
/// <list type="bullet">
/// <item>an update at or before <c>now − w</c> exists: a board that started at 10:00 says nothing about 5 minutes
/// until 10:05, unless the day was seeded from REST (its rows are updates like any other, so a seeded feed is exact
/// from its first live record);</item>
/// <item>no gap that has not been healed lies between that update and <c>now</c>: a <see cref="DataGap"/> makes the
/// windows that overlap it unknown until its <see cref="GapHealingReport"/> says healed (the REST rows inside it are
/// then updates of the series); a partly healed gap keeps what is still missing.</item>
/// </list>
/// <para>Not thread-safe: one instance per consumer loop (or under the caller's lock).</para>
/// </remarks>
public sealed class ProgramTradeWindows
{
    private readonly Dictionary<Registration, Series> _series = [];
    private readonly TimeSpan _keep;

    /// <summary>Windows of up to <paramref name="longest"/> (default 5 minutes) can be asked for.</summary>
    public ProgramTradeWindows(TimeSpan? longest = null)
    {
        _keep = longest ?? TimeSpan.FromMinutes(5);
        if (_keep <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(longest), longest, "The longest window must be positive.");
        }
    }

    /// <summary>One minute.</summary>
    public static TimeSpan OneMinute { get; } = TimeSpan.FromMinutes(1);

    /// <summary>Five minutes.</summary>
    public static TimeSpan FiveMinutes { get; } = TimeSpan.FromMinutes(5);

    /// <summary>The instant of an update: its exchange time on its trading date, in Korea time.</summary>
    public static DateTimeOffset InstantOf(in ProgramTrade trade) => KoreaInstant(trade.TradingDate, trade.Time);

    /// <summary>Applies a feed item: a trade extends its series, a gap opens a hole, a healing outcome closes or narrows it.</summary>
    public void Apply(in FeedItem item)
    {
        switch (item.Kind)
        {
            case FeedItemKind.Trade:
                Observe(item.Trade);
                break;
            case FeedItemKind.Gap:
                Observe(item.Gap!);
                break;
            case FeedItemKind.GapHealed:
                Observe(item.Healing!);
                break;
        }
    }

    /// <summary>Adds an update (live or a REST row; REST rows of a healed gap may arrive after later live ones).</summary>
    public void Observe(in ProgramTrade trade) => Observe(new Registration(trade.Venue, trade.Code), trade.TradingDate, trade.Time, trade.NetBuyValue);

    /// <summary>Adds a known value of net buy value at an exchange time (e.g. read back from a recording).</summary>
    public void Observe(Registration registration, DateOnly tradingDate, TimeOnly time, long netBuyValue)
    {
        Series s = SeriesOf(registration);
        DateTimeOffset at = KoreaInstant(tradingDate, time);
        if (s.Date != tradingDate)
        {
            if (tradingDate < s.Date)
            {
                return; // yesterday's row after today's: nothing to say about today's windows
            }

            // A new day: yesterday's updates say nothing about today; a hole that reaches into today (the seed of a feed
            // started from the start of the day arrives before its rows) stays.
            DateTimeOffset dayStart = KoreaInstant(tradingDate, TimeOnly.MinValue);
            s.Points.Clear();
            s.Holes.RemoveAll(h => h.To <= dayStart);
            s.Date = tradingDate;
        }

        List<(DateTimeOffset At, long Net)> points = s.Points;
        int i = points.Count;
        while (i > 0 && points[i - 1].At > at)
        {
            i--;
        }

        if (i > 0 && points[i - 1].At == at)
        {
            points[i - 1] = (at, netBuyValue); // the last update of a second stands for it
        }
        else
        {
            points.Insert(i, (at, netBuyValue));
        }

        if (at > s.Latest)
        {
            s.Latest = at;
        }

        Prune(s);
    }

    /// <summary>A gap: every registration it names has a hole from <see cref="DataGap.From"/> to <see cref="DataGap.To"/> until healed.</summary>
    public void Observe(DataGap gap)
    {
        ArgumentNullException.ThrowIfNull(gap);
        foreach (Registration r in gap.Registrations)
        {
            SeriesOf(r).Holes.Add(new Hole(gap.Id, gap.From, gap.To));
        }
    }

    /// <summary>How healing a gap of one registration ended: healed closes its hole; partly or not healed keeps what is still missing.</summary>
    public void Observe(GapHealingReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (!_series.TryGetValue(report.Registration, out Series? s))
        {
            return;
        }

        // Gap ids are per session: the latest hole with this id is the one this outcome is about.
        int at = s.Holes.FindLastIndex(h => h.GapId == report.GapId);
        if (at < 0)
        {
            return;
        }

        Hole hole = s.Holes[at];
        if (report.Outcome == GapHealing.Healed)
        {
            s.Holes.RemoveAt(at);
        }
        else if (report.StillMissingFrom is { } from && report.StillMissingTo is { } to)
        {
            s.Holes[at] = hole with { From = from, To = to };
        }
    }

    /// <summary>
    /// The change of net buy value of <paramref name="registration"/> over <paramref name="window"/> ending at
    /// <paramref name="now"/>, or null when the data does not cover it (see the remarks).
    /// </summary>
    public long? Change(Registration registration, TimeSpan window, DateTimeOffset now)
    {
        if (window <= TimeSpan.Zero || window > _keep || !_series.TryGetValue(registration, out Series? s) || s.Points.Count == 0)
        {
            return null;
        }

        // A clock a little behind the exchange's stamps must not hide the latest update.
        List<(DateTimeOffset At, long Net)> points = s.Points;
        if (points[^1].At > now)
        {
            now = points[^1].At;
        }

        DateTimeOffset start = now - window;
        int before = LastAtOrBefore(points, start);
        if (before < 0)
        {
            return null;
        }

        DateTimeOffset since = points[before].At;
        foreach (Hole h in s.Holes)
        {
            if (h.To > since && h.From < now)
            {
                return null;
            }
        }

        return points[^1].Net - points[before].Net;
    }

    /// <summary>The registrations seen so far.</summary>
    public int Count => _series.Count;

    private static int LastAtOrBefore(List<(DateTimeOffset At, long Net)> points, DateTimeOffset at)
    {
        int lo = 0, hi = points.Count - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (points[mid].At <= at)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found;
    }

    private Series SeriesOf(Registration r)
    {
        ref Series? s = ref CollectionsMarshal.GetValueRefOrAddDefault(_series, r, out _);
        return s ??= new Series();
    }

    // Keeps the updates of the longest window plus the one before it (the value at its start), and the holes that
    // can still overlap a window.
    private void Prune(Series s)
    {
        DateTimeOffset horizon = s.Latest - _keep - TimeSpan.FromMinutes(1);
        int drop = LastAtOrBefore(s.Points, horizon);
        if (drop > 0)
        {
            s.Points.RemoveRange(0, drop);
        }

        s.Holes.RemoveAll(h => h.To < horizon && s.Points.Count > 0 && s.Points[0].At >= h.To);
    }

    private static DateTimeOffset KoreaInstant(DateOnly date, TimeOnly time) => KoreaTime.At(date, time);

    private sealed class Series
    {
        public readonly List<(DateTimeOffset At, long Net)> Points = [];
        public readonly List<Hole> Holes = [];
        public DateOnly Date;
        public DateTimeOffset Latest;
    }

    private readonly record struct Hole(long GapId, DateTimeOffset From, DateTimeOffset To);
}
