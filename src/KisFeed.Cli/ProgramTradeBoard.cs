using Spectre.Console.Rendering;

namespace KisFeed.Cli;

/// <summary>
/// The live board: one row per code with the venues side by side, sorted by net buy value; program net (unified when
/// followed, else the venues added up, and labelled so), the other venues' net (KRX before NXT), the change of net over
/// the last minute and five minutes (blank until the data covers the window, and while a gap inside it is not healed),
/// the price and its change when a price source gives one, program buy / sell in 억원, the row's age and a totals row.
/// Columns are chosen by priority for the width at hand, so numbers never wrap (layout in ProgramTradeBoard.Layout.cs).
/// Buy side red, sell side blue, as on Korean trading screens. Thread-safe: updates come from the consumer loop,
/// rendering from the refresh loop.
/// </summary>
internal sealed partial class ProgramTradeBoard(BoardSort sort = BoardSort.NetValue, BoardNames? names = null, TimeProvider? clock = null)
{
    private readonly Lock _gate = new();
    private readonly ProgramTradeFlow _flow = new();
    private readonly ProgramTradeWindows _windows = new();
    private readonly Dictionary<string, CodeRow> _rows = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (long Price, double? ChangePercent)> _quotes = new(StringComparer.Ordinal);
    private readonly HashSet<Venue> _venues = [];
    private readonly BoardNames _names = names ?? BoardNames.Default;
    private DateTimeOffset _latest;

    private sealed class CodeRow(string code)
    {
        public readonly string Code = code;
        public readonly ProgramTrade?[] Venues = new ProgramTrade?[3];
        public ProgramTradeDelta LastDelta;
        public bool HasDelta;
        public DateTimeOffset LastAt;
        public long Updates;
    }

    public int RowCount
    {
        get
        {
            lock (_gate)
            {
                return _rows.Count;
            }
        }
    }

    /// <summary>Applies a feed item: trades fill the rows; gaps and healing outcomes decide which windows are covered.</summary>
    public void Apply(in FeedItem item)
    {
        if (item.Kind == FeedItemKind.Trade)
        {
            Apply(item.Trade);
            return;
        }

        lock (_gate)
        {
            _windows.Apply(item);
        }
    }

    public void Apply(in ProgramTrade trade)
    {
        lock (_gate)
        {
            _windows.Observe(trade);
            ProgramTradeDelta delta = _flow.Next(trade);
            if (!_rows.TryGetValue(trade.Code, out CodeRow? row))
            {
                _rows[trade.Code] = row = new CodeRow(trade.Code);
            }

            // A REST row older than what the row shows (a healed gap's rows arrive after the live ones) only fills the windows.
            if (trade.Source == TradeSource.Rest && row.Venues[(int)trade.Venue] is { } shown && ProgramTradeWindows.InstantOf(shown) > ProgramTradeWindows.InstantOf(trade))
            {
                return;
            }

            row.Venues[(int)trade.Venue] = trade;
            _venues.Add(trade.Venue);
            if (!delta.IsFirstOfDay)
            {
                row.LastDelta = delta;
                row.HasDelta = true;
            }

            row.LastAt = trade.ReceivedAt;
            row.Updates++;
            if (trade.ReceivedAt > _latest)
            {
                _latest = trade.ReceivedAt;
            }
        }
    }

    /// <summary>The stock's current price and its change from the previous close (from a price source, e.g. KIS REST).</summary>
    public void SetQuote(string code, long price, double? changePercent)
    {
        lock (_gate)
        {
            _quotes[code] = (price, changePercent);
        }
    }

    /// <summary>The venue whose figures a row is sorted and totalled by: unified when followed, else KRX and NXT added up (null).</summary>
    private Venue? PrimaryVenue => _venues.Contains(Venue.Unified) ? Venue.Unified : _venues.Count == 1 ? _venues.First() : null;

    /// <summary>The figures a row is sorted and totalled by (see <see cref="PrimaryVenue"/>).</summary>
    private (long Net, long Buy, long Sell) Primary(CodeRow row)
    {
        if (PrimaryVenue is { } p)
        {
            return row.Venues[(int)p] is { } t ? (t.NetBuyValue, t.BuyValue, t.SellValue) : (0, 0, 0);
        }

        long net = 0, buy = 0, sell = 0;
        foreach (Venue v in (ReadOnlySpan<Venue>)[Venue.Krx, Venue.Nxt])
        {
            if (row.Venues[(int)v] is { } t)
            {
                net += t.NetBuyValue;
                buy += t.BuyValue;
                sell += t.SellValue;
            }
        }

        return (net, buy, sell);
    }

    /// <summary>The change of the row's primary net over <paramref name="window"/>, or null when the data does not cover it.</summary>
    private long? Change(CodeRow row, TimeSpan window, DateTimeOffset now)
    {
        if (PrimaryVenue is { } p)
        {
            return _windows.Change(new Registration(p, row.Code), window, now);
        }

        long sum = 0;
        bool any = false;
        foreach (Venue v in (ReadOnlySpan<Venue>)[Venue.Krx, Venue.Nxt])
        {
            if (row.Venues[(int)v] is null)
            {
                continue;
            }

            if (_windows.Change(new Registration(v, row.Code), window, now) is not { } c)
            {
                return null;
            }

            sum += c;
            any = true;
        }

        return any ? sum : null;
    }

    public IRenderable Render(BoardStatus status) => new View(this, status);

    /// <summary>The board's "now": the clock when live; on a replay (no clock) the latest update seen, so ages, windows
    /// and session states are those of the replayed moment.</summary>
    private DateTimeOffset Now() => clock?.GetUtcNow() ?? (_latest == default ? DateTimeOffset.UtcNow : _latest);
}
