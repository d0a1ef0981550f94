using System.Globalization;

using Spectre.Console;
using Spectre.Console.Rendering;

namespace KisFeed.Cli;

/// <summary>How the board orders its rows.</summary>
internal enum BoardSort
{
    /// <summary>Program net buy value, largest first.</summary>
    NetValue,

    /// <summary>Stock code, then venue.</summary>
    Code,
}

/// <summary>What the status line shows.</summary>
internal sealed record BoardStatus(string Source, string State, long Records, long Reconnects, long Dropped, long Rejected, string? Extra = null);

/// <summary>
/// The live board: one row per (code, venue) with the latest cumulative program trading, the change since the
/// previous update and the resting orders. Buy side red, sell side blue, as on Korean trading screens.
/// Thread-safe: updates come from the consumer loop, rendering from the refresh loop.
/// </summary>
internal sealed class ProgramTradeBoard(BoardSort sort = BoardSort.NetValue)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private readonly Lock _gate = new();
    private readonly ProgramTradeFlow _flow = new();
    private readonly Dictionary<(Venue, string), Row> _rows = [];

    private sealed class Row
    {
        public ProgramTrade Last;
        public ProgramTradeDelta Delta;
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

    public void Apply(in ProgramTrade trade)
    {
        lock (_gate)
        {
            ProgramTradeDelta delta = _flow.Next(trade);
            if (!_rows.TryGetValue((trade.Venue, trade.Code), out Row? row))
            {
                _rows[(trade.Venue, trade.Code)] = row = new Row();
            }

            row.Last = trade;
            row.Delta = delta;
            row.Updates++;
        }
    }

    public IRenderable Render(BoardStatus status)
    {
        var table = new Table().Border(TableBorder.Rounded).Expand();
        table.AddColumn(new TableColumn("종목 Code"));
        table.AddColumn(new TableColumn("Venue"));
        table.AddColumn(new TableColumn("Time"));
        table.AddColumn(new TableColumn("[blue]매도 Sell[/]").RightAligned());
        table.AddColumn(new TableColumn("[red]매수 Buy[/]").RightAligned());
        table.AddColumn(new TableColumn("순매수 Net").RightAligned());
        table.AddColumn(new TableColumn("순매수 Net 억원").RightAligned());
        table.AddColumn(new TableColumn("Δ 백만원").RightAligned());
        table.AddColumn(new TableColumn("[red]매수잔량 Bid[/]").RightAligned());
        table.AddColumn(new TableColumn("[blue]매도잔량 Ask[/]").RightAligned());
        table.AddColumn(new TableColumn("순잔량 Net").RightAligned());
        table.AddColumn(new TableColumn("Updates").RightAligned());

        lock (_gate)
        {
            IEnumerable<Row> rows = sort == BoardSort.Code
                ? _rows.Values.OrderBy(r => r.Last.Code, StringComparer.Ordinal).ThenBy(r => r.Last.Venue)
                : _rows.Values.OrderByDescending(r => r.Last.NetBuyValue).ThenBy(r => r.Last.Code, StringComparer.Ordinal);
            foreach (Row r in rows)
            {
                ProgramTrade t = r.Last;
                table.AddRow(
                    new Markup(t.Code),
                    new Markup(LineWriter.VenueName(t.Venue)),
                    new Markup(t.Time.ToString("HH:mm:ss", Inv)),
                    new Markup($"[blue]{t.SellVolume.ToString("N0", Inv)}[/]"),
                    new Markup($"[red]{t.BuyVolume.ToString("N0", Inv)}[/]"),
                    Signed(t.NetBuyVolume, t.NetBuyVolume.ToString("N0", Inv)),
                    Signed(t.NetBuyValue, LineWriter.Eok(t.NetBuyValue)),
                    r.Delta.IsFirstOfDay ? new Markup("[grey]–[/]") : Signed(r.Delta.NetBuyValue, (r.Delta.NetBuyValue > 0 ? "+" : string.Empty) + (r.Delta.NetBuyValue / 1_000_000d).ToString("N0", Inv)),
                    new Markup($"[red]{t.BidResidual.ToString("N0", Inv)}[/]"),
                    new Markup($"[blue]{t.AskResidual.ToString("N0", Inv)}[/]"),
                    Signed(t.NetBidResidual, t.NetBidResidual.ToString("N0", Inv)),
                    new Markup(r.Updates.ToString("N0", Inv)));
            }
        }

        string stateColor = status.State switch
        {
            "Connected" => "green",
            "Reconnecting" or "Connecting" => "yellow",
            _ => "grey",
        };
        string line = string.Create(Inv,
            $"[{stateColor}]{Markup.Escape(status.State)}[/] · records {status.Records:N0} · reconnects {status.Reconnects:N0} · drops {status.Dropped:N0} · rejected frames {status.Rejected:N0} · {Markup.Escape(status.Source)}");
        if (status.Extra is { Length: > 0 } extra)
        {
            line += " · " + Markup.Escape(extra);
        }

        return new Rows(table, new Markup(line), new Markup("[grey]Ctrl-C to quit · sorted by " + (sort == BoardSort.Code ? "code" : "net value") + "[/]"));
    }

    private static Markup Signed(long value, string text) => value switch
    {
        > 0 => new Markup($"[red]{Markup.Escape(text)}[/]"),
        < 0 => new Markup($"[blue]{Markup.Escape(text)}[/]"),
        _ => new Markup(Markup.Escape(text)),
    };
}
