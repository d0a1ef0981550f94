namespace KisFeed.Simulator;

/// <summary>
/// Where one (stock, venue) stands within the current second while the simulator publishes: the state the second
/// starts from (the last update before it), the state it ends on, and the fraction of the way the updates sent so far
/// went. Natural updates go to k/K; a forced one goes half of what is left (so it never passes the second's end state,
/// and the second's own last update still lands on it).
/// </summary>
internal sealed class SeriesCursor(MarketFeed feed, SimulatedStock stock, Venue venue)
{
    private DateOnly _date;
    private int _second = int.MinValue;
    private ProgramFields _from;
    private ProgramFields _to;
    private double _w;
    private StockDay? _day;
    private DateOnly _dayDate;

    public SimulatedStock Stock => stock;

    /// <summary>The state now (after the updates of the current second so far).</summary>
    public ProgramFields Current => ProgramFields.Interpolate(_from, _to, _w);

    /// <summary>Moves to <paramref name="second"/> of <paramref name="date"/> (no-op when already there).</summary>
    public void MoveTo(DateOnly date, int second)
    {
        if (second == _second && date == _date)
        {
            return;
        }

        bool next = date == _date && second == _second + 1;
        _date = date;
        _second = second;
        if (feed.Plan.Rate >= 1)
        {
            // Every second ends on its final state, so the next second starts where this one ends: the model's state,
            // read from the stock-day directly (the hot path of a live tick).
            if (_day is null || _dayDate != date)
            {
                _day = feed.Model.Day(stock, venue, date, feed.Model.Hours);
                _dayDate = date;
            }

            _from = next ? _to : _day.After(second - 1);
            _to = _day.After(second);
        }
        else
        {
            _from = feed.Base(stock, venue, date, second);
            _to = feed.Truth(stock, venue, date, second);
        }

        _w = feed.ForcedAt(stock, venue, date, second);
    }

    /// <summary>Update <paramref name="k"/> of <paramref name="count"/> of the current second.</summary>
    public ProgramFields Natural(int k, int count)
    {
        _w = Math.Max(_w, k / (double)count);
        return Current;
    }

    /// <summary>A forced update of the current second.</summary>
    public ProgramFields Force()
    {
        _w += (1 - _w) / 2;
        feed.MarkForced(stock, venue, _date, _second, _w);
        return Current;
    }
}
