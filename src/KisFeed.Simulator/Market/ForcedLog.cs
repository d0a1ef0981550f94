namespace KisFeed.Simulator;

/// <summary>
/// The updates <see cref="KisSimulator.PublishNow(int)"/> forced on one (stock, venue) in this process, as the fraction
/// of the way to the second's end state reached in each second (the only state that is not a pure function of time:
/// a test drives it). Kept so REST rows and the truth API agree with the records sent. Bounded: one entry per second.
/// </summary>
internal sealed class ForcedLog
{
    private const int Capacity = 200_000;

    private readonly List<(int Day, int Second, double W)> _marks = [];

    /// <summary>The fraction reached at (day, second), or 0.</summary>
    public double At(int day, int second)
    {
        int i = Find(day, second);
        return i >= 0 ? _marks[i].W : 0;
    }

    /// <summary>The last forced second at or before <paramref name="second"/> of <paramref name="day"/>, or -1.</summary>
    public int LastAtOrBefore(int day, int second)
    {
        int lo = 0, hi = _marks.Count - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) / 2;
            (int d, int s, _) = _marks[mid];
            if (d < day || (d == day && s <= second))
            {
                if (d == day)
                {
                    found = s;
                }

                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found;
    }

    /// <summary>The forced seconds of <paramref name="day"/>.</summary>
    public IEnumerable<int> SecondsOf(int day) => _marks.Where(m => m.Day == day).Select(m => m.Second);

    /// <summary>Records that (day, second) reached <paramref name="w"/> (the latest second, or a new one after it).</summary>
    public void Mark(int day, int second, double w)
    {
        if (_marks.Count > 0 && _marks[^1] is var last && last.Day == day && last.Second == second)
        {
            _marks[^1] = (day, second, Math.Max(last.W, w));
            return;
        }

        if (_marks.Count > 0 && (_marks[^1].Day > day || (_marks[^1].Day == day && _marks[^1].Second > second)))
        {
            _marks.Clear(); // the clock went back (a test re-set it): start over
        }

        if (_marks.Count >= Capacity)
        {
            _marks.RemoveRange(0, Capacity / 2);
        }

        _marks.Add((day, second, w));
    }

    private int Find(int day, int second)
    {
        int lo = 0, hi = _marks.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) / 2;
            (int d, int s, _) = _marks[mid];
            int cmp = d != day ? d.CompareTo(day) : s.CompareTo(second);
            if (cmp == 0)
            {
                return mid;
            }

            if (cmp < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return -1;
    }
}
