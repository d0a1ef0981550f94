using System.Globalization;

using Spectre.Console;
using Spectre.Console.Rendering;

namespace KisFeed.Cli;

// The board's columns, their priorities, and the status lines fitted to the width.
internal sealed partial class ProgramTradeBoard
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private sealed record Column(string Header, int Priority, bool Right, Func<CodeRow?, Totals, (string Text, string? Color)> Cell);

    private sealed record Totals(long Net, long Buy, long Sell, long[] VenueNet, long? D1, long? D5);

    /// <summary>The header of the primary net column: what it adds up, said once.</summary>
    private string PrimaryHeader() => PrimaryVenue switch
    {
        Venue.Unified => "통합 순매수",
        Venue.Krx => "KRX 순매수",
        Venue.Nxt => "NXT 순매수",
        _ => "KRX+NXT 순매수",
    };

    private List<Column> Columns(DateTimeOffset now)
    {
        List<Column> c =
        [
            new("종목", 0, false, (r, _) => r is null ? ("합계 Total", null) : (NameOf(r), null)),
        ];
        if (_quotes.Count > 0)
        {
            c.Add(new("가격", 2, true, (r, _) => r is null ? (string.Empty, null) : _quotes.TryGetValue(r.Code, out var q) ? (q.Price.ToString("N0", Inv), null) : ("–", "grey")));
            c.Add(new("등락%", 3, true, (r, _) => r is null ? (string.Empty, null) : _quotes.TryGetValue(r.Code, out var q) && q.ChangePercent is { } p ? Percent(p) : ("–", "grey")));
        }

        c.Add(new(PrimaryHeader(), 0, true, (r, t) => Signed(r is null ? t.Net : Primary(r).Net)));
        c.Add(new("Δ5m", 1, true, (r, t) => Window(r is null ? t.D5 : Change(r, ProgramTradeWindows.FiveMinutes, now))));

        // The venues the primary figure is made of, KRX first; not the primary itself (it is shown once).
        foreach (Venue v in (ReadOnlySpan<Venue>)[Venue.Krx, Venue.Nxt])
        {
            if (_venues.Contains(v) && PrimaryVenue != v)
            {
                Venue venue = v;
                c.Add(new(v == Venue.Krx ? "KRX" : "NXT", 2, true, (r, t) =>
                    r is null ? Signed(t.VenueNet[(int)venue]) : r.Venues[(int)venue] is { } x ? Signed(x.NetBuyValue) : ("–", "grey")));
            }
        }

        c.Add(new("Δ1m", 3, true, (r, t) => Window(r is null ? t.D1 : Change(r, ProgramTradeWindows.OneMinute, now))));
        c.Add(new("[red]매수[/]", 3, true, (r, t) => (LineWriter.Eok(r is null ? t.Buy : Primary(r).Buy), "red")));
        c.Add(new("[blue]매도[/]", 3, true, (r, t) => (LineWriter.Eok(r is null ? t.Sell : Primary(r).Sell), "blue")));
        c.Add(new("Age", 1, true, (r, _) => r is null ? (string.Empty, null) : (Age(now - r.LastAt), "grey")));
        c.Add(new("Code", 4, false, (r, _) => r is null ? (string.Empty, null) : (r.Code, "grey")));
        c.Add(new("Δ 백만", 5, true, (r, _) => r is null || !r.HasDelta ? ("–", "grey") : SignedMillions(r.LastDelta.NetBuyValue)));
        c.Add(new("Time", 5, false, (r, _) => r is null ? (string.Empty, null) : (LatestTime(r), null)));
        c.Add(new("순매수 주", 6, true, (r, _) => r is null ? (string.Empty, null) : SignedCount(PrimaryTrade(r).NetBuyVolume)));
        c.Add(new("순잔량", 7, true, (r, _) => r is null ? (string.Empty, null) : SignedCount(PrimaryTrade(r).NetBidResidual)));
        c.Add(new("Updates", 8, true, (r, _) => r is null ? (string.Empty, null) : (r.Updates.ToString("N0", Inv), "grey")));
        return c;
    }

    private string NameOf(CodeRow r) => _names.Of(r.Code) ?? r.Code;

    private static ProgramTrade PrimaryTrade(CodeRow r) => r.Venues[(int)Venue.Unified] ?? r.Venues[(int)Venue.Krx] ?? r.Venues[(int)Venue.Nxt]!.Value;

    private static string LatestTime(CodeRow r) => r.Venues.Where(v => v is not null).Max(v => v!.Value.Time).ToString("HH:mm:ss", Inv);

    private static string Age(TimeSpan age) => age < TimeSpan.Zero ? "0s"
        : age.TotalSeconds < 60 ? $"{(int)age.TotalSeconds}s"
        : age.TotalMinutes < 60 ? $"{(int)age.TotalMinutes}m"
        : $"{(int)age.TotalHours}h";

    private static (string, string?) Signed(long won)
    {
        string text = LineWriter.Eok(won);
        return (text, text == "0.0" ? null : won > 0 ? "red" : "blue");
    }

    /// <summary>A window's change in 억, or a grey dash when the data does not cover the window.</summary>
    private static (string, string?) Window(long? won) => won is { } w ? Signed(w) : ("–", "grey");

    private static (string, string?) Percent(double p)
    {
        string text = p.ToString("+0.00;-0.00;0.00", Inv);
        return (text, text == "0.00" ? null : p > 0 ? "red" : "blue");
    }

    private static (string, string?) SignedMillions(long won)
    {
        string text = LineWriter.SignedNumber(won / 1_000_000d, 0);
        return (text, text == "0" ? null : won > 0 ? "red" : "blue");
    }

    private static (string, string?) SignedCount(long n) => (n.ToString("N0", Inv), n > 0 ? "red" : n < 0 ? "blue" : null);

    /// <summary>Terminal cells a text takes (Hangul and other wide characters take two).</summary>
    internal static int Cells(string text)
    {
        int n = 0;
        foreach (char ch in text)
        {
            n += ch is (>= '\u1100' and <= '\u115F') or (>= '\u2E80' and <= '\uA4CF') or (>= '\uAC00' and <= '\uD7A3') or (>= '\uF900' and <= '\uFAFF') or (>= '\uFF00' and <= '\uFF60') ? 2 : 1;
        }

        return n;
    }

    /// <summary><paramref name="text"/> cut to <paramref name="width"/> cells, ending in "…" when cut.</summary>
    internal static string Fit(string text, int width)
    {
        if (Cells(text) <= width)
        {
            return text;
        }

        int cells = 0;
        int i = 0;
        for (; i < text.Length; i++)
        {
            int w = Cells(text[i].ToString());
            if (cells + w > width - 1)
            {
                break;
            }

            cells += w;
        }

        return text[..i].TrimEnd() + "…";
    }

    /// <summary>
    /// The source line fitted to the width without losing what matters ("simulated data, not the market"): first the
    /// parenthesised detail goes, then the address, and only then is the text cut.
    /// </summary>
    internal static string FitSource(string text, int width)
    {
        if (Cells(text) <= width)
        {
            return text;
        }

        string shorter = System.Text.RegularExpressions.Regex.Replace(text, @" \([^)]*\)", string.Empty);
        if (Cells(shorter) <= width)
        {
            return shorter;
        }

        shorter = System.Text.RegularExpressions.Regex.Replace(shorter, @" at \S+://\S+", string.Empty);
        return Fit(shorter, width);
    }

    private static string Plain(string markup) => Markup.Remove(markup);

    private sealed class View(ProgramTradeBoard board, BoardStatus status) : Renderable
    {
        protected override Measurement Measure(RenderOptions options, int maxWidth) => new(Math.Min(40, maxWidth), maxWidth);

        protected override IEnumerable<Segment> Render(RenderOptions options, int maxWidth)
        {
            IRenderable built = board.Build(status, maxWidth, options.Height ?? options.ConsoleSize.Height);
            return built.Render(options, maxWidth);
        }
    }

    private IRenderable Build(BoardStatus status, int width, int height)
    {
        DateTimeOffset now = Now();
        List<CodeRow> rows;
        Totals totals;
        List<Column> columns;
        List<(string Text, string? Color)[]> cells = [];
        lock (_gate)
        {
            columns = Columns(now);
            rows = sort == BoardSort.Code
                ? [.. _rows.Values.OrderBy(r => r.Code, StringComparer.Ordinal)]
                : [.. _rows.Values.OrderByDescending(r => Primary(r).Net).ThenBy(r => r.Code, StringComparer.Ordinal)];
            long[] venueNet = new long[3];
            foreach (CodeRow r in rows)
            {
                for (int v = 0; v < 3; v++)
                {
                    venueNet[v] += r.Venues[v]?.NetBuyValue ?? 0;
                }
            }

            // A total over windows is known only when every row's is.
            long? Sum(TimeSpan w) => rows.Aggregate((long?)0, (acc, r) => acc is { } a && Change(r, w, now) is { } c ? a + c : null);
            totals = new Totals(rows.Sum(r => Primary(r).Net), rows.Sum(r => Primary(r).Buy), rows.Sum(r => Primary(r).Sell), venueNet,
                rows.Count == 0 ? null : Sum(ProgramTradeWindows.OneMinute), rows.Count == 0 ? null : Sum(ProgramTradeWindows.FiveMinutes));

            // Rows that fit: the table's frame (4 lines), the totals row and the blank row above it (2), the three status lines.
            int room = Math.Max(1, height - 9);
            bool cut = rows.Count > room;
            foreach (CodeRow r in rows.Take(cut ? room - 1 : room))
            {
                cells.Add([.. columns.Select(c => c.Cell(r, totals))]);
            }

            if (cut)
            {
                string more = $"… {rows.Count - room + 1} more";
                cells.Add([.. columns.Select((c, i) => i == 0 ? (more, (string?)"grey") : (string.Empty, (string?)null))]);
            }

            cells.Add([.. columns.Select(c => c.Cell(null, totals))]);
        }

        // Keep columns by priority while they fit: a column costs its widest cell plus padding and a border.
        int[] widths = [.. columns.Select((c, i) => Math.Max(Cells(Plain(c.Header)), cells.Count == 0 ? 0 : cells.Max(row => Cells(row[i].Text))))];
        List<int> keep = [];
        int used = 1;
        foreach (int i in Enumerable.Range(0, columns.Count).OrderBy(i => columns[i].Priority).ThenBy(i => i))
        {
            int cost = widths[i] + 3;
            if (used + cost <= width || keep.Count == 0)
            {
                keep.Add(i);
                used += cost;
            }
        }

        keep.Sort();
        var table = new Table().Border(TableBorder.Rounded);
        if (width >= 120)
        {
            table.Expand();
        }

        foreach (int i in keep)
        {
            var column = new TableColumn(new Markup(columns[i].Header)) { NoWrap = true };
            table.AddColumn(columns[i].Right ? column.RightAligned() : column);
        }

        for (int r = 0; r < cells.Count; r++)
        {
            bool total = r == cells.Count - 1;
            if (total && cells.Count > 1)
            {
                table.AddEmptyRow();
            }

            table.AddRow(keep.Select(i =>
            {
                (string text, string? color) = cells[r][i];
                string escaped = Markup.Escape(text);
                string styled = color is null ? escaped : $"[{color}]{escaped}[/]";
                return (IRenderable)new Markup(total ? $"[bold]{styled}[/]" : styled);
            }));
        }

        string source = status.Extra is { Length: > 0 } extra ? $"{status.Source} · {extra}" : status.Source;
        string footer = (status.Ended ? "Stopped" : "Ctrl-C to quit") + " · " + (sort == BoardSort.Code ? "by code" : "by net value") +
            " · 억원 (100 million KRW) · Δ – until covered";
        return new Rows(table, new Markup(StatusLine(status, now, width)), new Markup(Markup.Escape(FitSource(source, width))),
            new Markup("[grey]" + Markup.Escape(Fit(footer, width)) + "[/]"));
    }

    /// <summary>
    /// The status line, never wider than <paramref name="width"/>: the full wording when it fits, then shorter labels,
    /// then the least needed parts dropped (records first, the sessions last; the state always stays).
    /// </summary>
    private static string StatusLine(BoardStatus status, DateTimeOffset now, int width)
    {
        string stateColor = status.State switch
        {
            "Connected" or "Replaying" => "green",
            "Reconnecting" or "Connecting" => "yellow",
            _ => "grey",
        };
        string sessions = status.IsDemo
            ? "demo time (always open)"
            : $"KRX {MarketSessions.StateOf(Venue.Krx, KoreaTime.ToKst(now))} · NXT {MarketSessions.StateOf(Venue.Nxt, KoreaTime.ToKst(now))}";
        string shortSessions = status.IsDemo
            ? "demo"
            : $"KRX {MarketSessions.StateOf(Venue.Krx, KoreaTime.ToKst(now))} NXT {MarketSessions.StateOf(Venue.Nxt, KoreaTime.ToKst(now))}";
        static string n(long v) => v.ToString("N0", Inv);
        string[][] candidates =
        [
            [sessions, $"records {n(status.Records)}", $"reconnects {n(status.Reconnects)}", $"drops {n(status.Dropped)}", $"rejected frames {n(status.Rejected)}"],
            [sessions, $"rec {n(status.Records)}", $"reconn {n(status.Reconnects)}", $"drops {n(status.Dropped)}", $"rejected {n(status.Rejected)}"],
            [shortSessions, $"rec {n(status.Records)}", $"reconn {n(status.Reconnects)}", $"drops {n(status.Dropped)}", $"rejected {n(status.Rejected)}"],
            [shortSessions, $"reconn {n(status.Reconnects)}", $"drops {n(status.Dropped)}", $"rejected {n(status.Rejected)}"],
            [shortSessions, $"drops {n(status.Dropped)}", $"rejected {n(status.Rejected)}"],
            [$"rejected {n(status.Rejected)}"],
            [],
        ];
        foreach (string[] parts in candidates)
        {
            string plain = string.Join(" · ", [status.State, .. parts]);
            if (Cells(plain) <= width)
            {
                return $"[{stateColor}]{Markup.Escape(status.State)}[/]" + string.Concat(parts.Select(p => " · " + Markup.Escape(p)));
            }
        }

        return $"[{stateColor}]{Markup.Escape(Fit(status.State, width))}[/]";
    }
}
