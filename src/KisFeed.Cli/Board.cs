using System.Globalization;

using Spectre.Console;
using Spectre.Console.Rendering;

namespace KisFeed.Cli;

/// <summary>How the board orders its rows.</summary>
internal enum BoardSort
{
    /// <summary>Program net buy value, largest first.</summary>
    NetValue,

    /// <summary>Stock code.</summary>
    Code,
}

/// <summary>What the status line shows.</summary>
internal sealed record BoardStatus(string Source, string State, long Records, long Reconnects, long Dropped, long Rejected, string? Extra = null, bool IsDemo = false);

/// <summary>Stock names for the board, from the built-in table of large caps (data/large-caps.csv, embedded).</summary>
internal sealed class BoardNames
{
    private readonly Dictionary<string, string> _names;

    public BoardNames(IReadOnlyDictionary<string, string> names) => _names = new Dictionary<string, string>(names, StringComparer.Ordinal);

    public static BoardNames Default { get; } = Load();

    /// <summary>The name, or null for an unknown code.</summary>
    public string? Of(string code) => _names.TryGetValue(code, out string? n) ? n : null;

    public int Count => _names.Count;

    /// <summary>Reads <c>code,name,name_en,price</c> lines; <c>#</c> starts a comment; the header row is skipped.</summary>
    public static BoardNames Parse(TextReader reader)
    {
        Dictionary<string, string> names = new(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
        {
            string t = line.Trim();
            if (t.Length == 0 || t.StartsWith('#') || t.StartsWith("code,", StringComparison.Ordinal))
            {
                continue;
            }

            string[] f = t.Split(',');
            if (f.Length >= 2 && f[0].Trim().Length > 0 && f[1].Trim().Length > 0)
            {
                names[f[0].Trim()] = f[1].Trim();
            }
        }

        return new BoardNames(names);
    }

    private static BoardNames Load()
    {
        using Stream? stream = typeof(BoardNames).Assembly.GetManifestResourceStream("KisFeed.Cli.large-caps.csv");
        if (stream is null)
        {
            return new BoardNames(new Dictionary<string, string>());
        }

        using var reader = new StreamReader(stream);
        return Parse(reader);
    }
}

/// <summary>Trading sessions by the KST clock.</summary>
internal static class MarketSessions
{
    /// <summary>"pre", "main", "after" or "closed" for <paramref name="venue"/> at <paramref name="kst"/>.</summary>
    public static string StateOf(Venue venue, DateTimeOffset kst)
    {
        if (kst.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday)
        {
            return "closed";
        }

        TimeSpan t = kst.TimeOfDay;
        static bool In(TimeSpan t, int h1, int m1, int s1, int h2, int m2) => t >= new TimeSpan(h1, m1, s1) && t < new TimeSpan(h2, m2, 0);
        return venue switch
        {
            Venue.Nxt when In(t, 8, 0, 0, 8, 50) => "pre",
            Venue.Nxt when In(t, 9, 0, 30, 15, 20) => "main",
            Venue.Nxt when In(t, 15, 40, 0, 20, 0) => "after",
            Venue.Krx when In(t, 9, 0, 0, 15, 30) => "main",
            Venue.Krx when In(t, 16, 0, 0, 20, 0) => "after",
            _ => "closed",
        };
    }
}

/// <summary>
/// The live board: one row per code with the venues side by side, sorted by net buy value; program buy / sell / net
/// value in 억원, per-venue net, a sparkline of net buying over the last minutes, the row's age and a totals row.
/// Columns are chosen by priority for the width at hand, so numbers never wrap. Buy side red, sell side blue, as on
/// Korean trading screens. Thread-safe: updates come from the consumer loop, rendering from the refresh loop.
/// </summary>
internal sealed class ProgramTradeBoard(BoardSort sort = BoardSort.NetValue, BoardNames? names = null, TimeProvider? clock = null)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private const int SparkBuckets = 10;
    private static readonly TimeSpan SparkBucket = TimeSpan.FromSeconds(30);
    private readonly Lock _gate = new();
    private readonly ProgramTradeFlow _flow = new();
    private readonly Dictionary<string, CodeRow> _rows = new(StringComparer.Ordinal);
    private readonly HashSet<Venue> _venues = [];
    private readonly BoardNames _names = names ?? BoardNames.Default;
    private DateTimeOffset _latest;

    private sealed class CodeRow
    {
        public readonly ProgramTrade?[] Venues = new ProgramTrade?[3];
        public ProgramTradeDelta LastDelta;
        public bool HasDelta;
        public DateTimeOffset LastAt;
        public long Updates;

        // Net value of the row's primary figure at the end of each bucket (index = bucket number).
        public readonly SortedList<long, long> Spark = [];
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
            if (!_rows.TryGetValue(trade.Code, out CodeRow? row))
            {
                _rows[trade.Code] = row = new CodeRow();
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

            long bucket = trade.ReceivedAt.ToUnixTimeMilliseconds() / (long)SparkBucket.TotalMilliseconds;
            row.Spark[bucket] = Primary(row).Net;
            while (row.Spark.Count > SparkBuckets)
            {
                row.Spark.RemoveAt(0);
            }
        }
    }

    /// <summary>The figures a row is sorted and totalled by: unified when subscribed, else KRX and NXT added up.</summary>
    private static (long Net, long Buy, long Sell) Primary(CodeRow row)
    {
        if (row.Venues[(int)Venue.Unified] is { } u)
        {
            return (u.NetBuyValue, u.BuyValue, u.SellValue);
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

    public IRenderable Render(BoardStatus status) => new View(this, status);

    /// <summary>The board's "now": the clock when live; on a replay (no clock) the latest update seen, so ages and
    /// session states are those of the replayed moment.</summary>
    private DateTimeOffset Now() => clock?.GetUtcNow() ?? (_latest == default ? DateTimeOffset.UtcNow : _latest);

    // ---- layout ---------------------------------------------------------------------------------------------

    private sealed record Column(string Header, int Priority, bool Right, Func<CodeRow?, Totals, (string Text, string? Color)> Cell);

    private sealed record Totals(long Net, long Buy, long Sell, long[] VenueNet);

    private List<Column> Columns(DateTimeOffset now)
    {
        List<Column> c =
        [
            new("종목", 0, false, (r, _) => r is null ? ("합계 Total", null) : (NameOf(r), null)),
            new("순매수 억", 0, true, (r, t) => Signed(r is null ? t.Net : Primary(r).Net)),
        ];
        if (_venues.Count > 1)
        {
            foreach (Venue v in (ReadOnlySpan<Venue>)[Venue.Nxt, Venue.Krx, Venue.Unified])
            {
                if (_venues.Contains(v))
                {
                    Venue venue = v;
                    c.Add(new(LineWriter.VenueName(v).ToUpperInvariant() switch { "UNIFIED" => "통합 억", string n => n + " 억" }, 2, true, (r, t) =>
                        r is null ? Signed(t.VenueNet[(int)venue]) : r.Venues[(int)venue] is { } x ? Signed(x.NetBuyValue) : ("–", "grey")));
                }
            }
        }

        c.Add(new("[red]매수 억[/]", 1, true, (r, t) => (LineWriter.Eok(r is null ? t.Buy : Primary(r).Buy), "red")));
        c.Add(new("[blue]매도 억[/]", 1, true, (r, t) => (LineWriter.Eok(r is null ? t.Sell : Primary(r).Sell), "blue")));
        c.Add(new("추이 5m", 3, false, (r, _) => r is null ? (string.Empty, null) : (Sparkline(r), "yellow")));
        c.Add(new("Age", 1, true, (r, _) => r is null ? (string.Empty, null) : (Age(now - r.LastAt), "grey")));
        c.Add(new("Code", 3, false, (r, _) => r is null ? (string.Empty, null) : (CodeOf(r), "grey")));
        c.Add(new("Δ 백만", 4, true, (r, _) => r is null || !r.HasDelta ? ("–", "grey") : SignedMillions(r.LastDelta.NetBuyValue)));
        c.Add(new("Time", 5, false, (r, _) => r is null ? (string.Empty, null) : (LatestTime(r), null)));
        c.Add(new("순매수 주", 6, true, (r, _) => r is null ? (string.Empty, null) : SignedCount(PrimaryTrade(r).NetBuyVolume)));
        c.Add(new("순잔량", 7, true, (r, _) => r is null ? (string.Empty, null) : SignedCount(PrimaryTrade(r).NetBidResidual)));
        c.Add(new("Updates", 8, true, (r, _) => r is null ? (string.Empty, null) : (r.Updates.ToString("N0", Inv), "grey")));
        return c;
    }

    private string NameOf(CodeRow r) => _names.Of(CodeOf(r)) is { } n ? n : CodeOf(r);

    private static string CodeOf(CodeRow r) => r.Venues.First(v => v is not null)!.Value.Code;

    private static ProgramTrade PrimaryTrade(CodeRow r) => r.Venues[(int)Venue.Unified] ?? r.Venues[(int)Venue.Krx] ?? r.Venues[(int)Venue.Nxt]!.Value;

    private static string LatestTime(CodeRow r) => r.Venues.Where(v => v is not null).Max(v => v!.Value.Time).ToString("HH:mm:ss", Inv);

    private static string Sparkline(CodeRow r)
    {
        const string bars = "▁▂▃▄▅▆▇█";
        if (r.Spark.Count < 2)
        {
            return "·";
        }

        long min = r.Spark.Values.Min();
        long max = r.Spark.Values.Max();
        return string.Concat(r.Spark.Values.Select(v => max == min ? bars[3] : bars[(int)((v - min) * (bars.Length - 1) / (max - min))]));
    }

    private static string Age(TimeSpan age) => age < TimeSpan.Zero ? "0s"
        : age.TotalSeconds < 60 ? $"{(int)age.TotalSeconds}s"
        : age.TotalMinutes < 60 ? $"{(int)age.TotalMinutes}m"
        : $"{(int)age.TotalHours}h";

    private static (string, string?) Signed(long won)
    {
        string text = LineWriter.Eok(won);
        return (text, text == "0.0" ? null : won > 0 ? "red" : "blue");
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
                ? [.. _rows.Values.OrderBy(CodeOf, StringComparer.Ordinal)]
                : [.. _rows.Values.OrderByDescending(r => Primary(r).Net).ThenBy(CodeOf, StringComparer.Ordinal)];
            long[] venueNet = new long[3];
            foreach (CodeRow r in rows)
            {
                for (int v = 0; v < 3; v++)
                {
                    venueNet[v] += r.Venues[v]?.NetBuyValue ?? 0;
                }
            }

            totals = new Totals(rows.Sum(r => Primary(r).Net), rows.Sum(r => Primary(r).Buy), rows.Sum(r => Primary(r).Sell), venueNet);

            // Rows that fit: the table's frame (4 lines), the totals row and the blank row above it (2), the status
            // lines (3, and one more should the first wrap).
            int room = Math.Max(1, height - 10);
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

        string stateColor = status.State switch
        {
            "Connected" or "Replaying" => "green",
            "Reconnecting" or "Connecting" => "yellow",
            _ => "grey",
        };
        string sessions = status.IsDemo
            ? "demo time (always open)"
            : $"NXT {MarketSessions.StateOf(Venue.Nxt, KoreaTime.ToKst(now))} · KRX {MarketSessions.StateOf(Venue.Krx, KoreaTime.ToKst(now))}";
        string line = string.Create(Inv,
            $"[{stateColor}]{Markup.Escape(status.State)}[/] · {Markup.Escape(sessions)} · records {status.Records:N0} · reconnects {status.Reconnects:N0} · drops {status.Dropped:N0} · {(width < 120 ? "bad" : "rejected")} frames {status.Rejected:N0}");
        string source = Markup.Escape(status.Source);
        if (status.Extra is { Length: > 0 } extra)
        {
            source += " · " + Markup.Escape(extra);
        }

        return new Rows(table, new Markup(line), new Markup(source),
            new Markup("[grey]Ctrl-C to quit · " + (sort == BoardSort.Code ? "by code" : "by net value") + " · 억 = 100 million KRW[/]"));
    }
}
