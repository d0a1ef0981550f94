using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;

using KisFeed.Storage;
using KisFeed.Web;

using Microsoft.Playwright;

namespace KisFeed.Benchmarks;

/// <summary>
/// <c>web</c> mode: figures for <c>kisfeed serve</c>, each printed as one line.
/// <list type="bullet">
/// <item><c>web latency [--codes 41] [--rate 2] [--seconds 20]</c>: record → pixels, from a record entering the server's
/// feed (its <c>ReceivedAt</c>) to the animation frame after the page applied it, p50/p99, with the recorder on.</item>
/// <item><c>web curve [--records 10000000] [--file F] [--alternatives]</c>: the day curve, minute bars and ranking queries on
/// a file of N records (generated first with the recorder's appender if missing; an older file gets its bins built
/// first), from the bins and by the old scan interleaved; with <c>--alternatives</c> also the scan on copies with an
/// ART index or ordered rows.</item>
/// <item><c>web ingest [--records 2000000] [--rounds 3]</c>: what keeping the bins up costs the recorder: ingest with and
/// without them, alternating.</item>
/// <item><c>web memory [--pages 20] [--minutes 10] [--no-recorder]</c>: server memory with N pages open on a live synthetic feed (recorded into DuckDB unless --no-recorder).</item>
/// <item><c>web gen --out F [--records N] [--date yyyy-MM-dd]</c>: a synthetic day (for screenshots and the curve figure).</item>
/// <item><c>web shot URL OUT WIDTHxHEIGHT [--select CODE] [--venue V]</c>: a screenshot of the page.</item>
/// </list>
/// </summary>
internal static class WebBenchmark
{
    private const string Chromium = "/usr/bin/chromium";

    public static async Task<int> RunAsync(string[] args)
    {
        string mode = args.Length > 0 ? args[0] : "latency";
        Dictionary<string, string> o = Options(args.Skip(1));
        return mode switch
        {
            "latency" => await LatencyAsync(Int(o, "codes", 41), Double(o, "rate", 2), Int(o, "seconds", 20)),
            "curve" => await CurveAsync(Long(o, "records", 10_000_000), o.GetValueOrDefault("file"), o.ContainsKey("alternatives")),
            "memory" => await MemoryAsync(Int(o, "pages", 20), Double(o, "minutes", 10), Int(o, "codes", 41), Double(o, "rate", 2), !o.ContainsKey("no-recorder")),
            "ingest" => await IngestCostAsync(Int(o, "records", 2_000_000), Int(o, "rounds", 3)),
            "gen" => await GenerateAsync(o["out"], Long(o, "records", 2_000_000), o.TryGetValue("date", out string? d) ? DateOnly.Parse(d, CultureInfo.InvariantCulture) : new DateOnly(2026, 11, 24)),
            "shot" => await ShotAsync(args[1], args[2], args[3], o.GetValueOrDefault("select"), o.GetValueOrDefault("venue")),
            _ => Usage(),
        };
    }

    private static int Usage()
    {
        Console.Error.WriteLine("web latency|curve|memory|gen|shot … (see WebBenchmark.cs)");
        return 2;
    }

    // ---- record → pixels ------------------------------------------------------------------------------------

    private static async Task<int> LatencyAsync(int codeCount, double ratePerSeries, int seconds)
    {
        string[] codes = Codes(codeCount);
        using TempFile db = new();
        await using ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(db.Path);
        using ProgramTradeQueries queries = recorder.OpenQueries();
        await using KisFeedWebServer server = await KisFeedWebServer.StartAsync(
            WebBoardOptions.Default with { Codes = codes }, new FixedFeedStatus(new FeedStatus("Connected", 0, 0, true, "benchmark: synthetic feed")), queries);
        Channel<FeedItem> feed = Channel.CreateUnbounded<FeedItem>();
        using CancellationTokenSource stop = new();
        Task pump = server.RunFeedAsync(feed.Reader.ReadAllAsync(), recorder, stop.Token);

        await using BrowserSession browser = await BrowserSession.StartAsync();
        IPage page = await browser.OpenAsync(server.Url + "?bench=1", 1280, 800);
        await page.WaitForFunctionAsync("window.__kisBoard?.ready === true");

        Market market = new(codes, DateOnly.FromDateTime(DateTime.UtcNow.AddHours(9)), seed: 7, alwaysOpen: true);
        // Warm up for 3 s, then measure.
        await FeedAsync(feed.Writer, market, ratePerSeries, TimeSpan.FromSeconds(3));
        await page.EvaluateAsync("for (const a of [window.__kisBoard.latencies, window.__kisBoard.server, window.__kisBoard.page]) a.length = 0");
        long sent = await FeedAsync(feed.Writer, market, ratePerSeries, TimeSpan.FromSeconds(seconds));
        await Task.Delay(500);
        async Task<double[]> ReadAsync(string name) => [.. (await page.EvaluateAsync<JsonElement>($"window.__kisBoard.{name}")).EnumerateArray().Select(e => e.GetDouble()).Order()];
        double[] samples = await ReadAsync("latencies");
        double[] onServer = await ReadAsync("server"), onPage = await ReadAsync("page");
        feed.Writer.TryComplete();
        await stop.CancelAsync();
        await pump;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"web latency: record → pixels at {codes.Length} codes × 3 venues, {ratePerSeries:0.#} updates/s per code and venue ({sent / (double)seconds:N0} records/s, recorder on, 1 page): p50 {Percentile(samples, 0.50):N0} ms, p99 {Percentile(samples, 0.99):N0} ms, max {samples.LastOrDefault():N0} ms over {samples.Length:N0} rows drawn (of {sent:N0} records; the rest coalesced); split: record → batch collected on the server p50 {Percentile(onServer, 0.50):N0} / p99 {Percentile(onServer, 0.99):N0} ms, collected → frame drawn (serialize, SSE, parse, apply, next frame) p50 {Percentile(onPage, 0.50):N0} / p99 {Percentile(onPage, 0.99):N0} ms; uptime: {File.ReadAllText("/proc/loadavg").Trim()}"));
        return 0;
    }

    /// <summary>Feeds the market at <paramref name="rate"/> updates per second per (code, KRX/NXT) series, stamping each with now.</summary>
    private static async Task<long> FeedAsync(ChannelWriter<FeedItem> writer, Market market, double rate, TimeSpan duration)
    {
        Stopwatch clock = Stopwatch.StartNew();
        long sent = 0;
        double due = 0;
        double perTick = rate * market.Series * 0.01; // a tick every 10 ms
        while (clock.Elapsed < duration)
        {
            due += perTick;
            while (due >= 1)
            {
                due--;
                foreach (ProgramTrade t in market.Next(DateTimeOffset.UtcNow))
                {
                    writer.TryWrite(FeedItem.FromTrade(t));
                    sent++;
                }
            }

            await Task.Delay(10);
        }

        return sent;
    }

    // ---- day curve on a large file --------------------------------------------------------------------------

    private static async Task<int> CurveAsync(long records, string? file, bool alternatives)
    {
        file ??= Path.Combine(Path.GetTempPath(), $"kisfeed-curve-{records}.duckdb");
        DateOnly day = new(2026, 11, 24);
        if (!File.Exists(file))
        {
            await GenerateAsync(file, records, day);
        }

        string migrated = "";
        bool hasBins;
        using (ProgramTradeQueries probe = ProgramTradeQueries.Open(file))
        {
            hasBins = probe.UsesBins;
        }

        if (!hasBins)
        {
            // An older file: a recorder opening it builds the bins (schema version 4).
            long start = Stopwatch.GetTimestamp();
            ProgramTradeRecorder.Open(file).Dispose();
            migrated = string.Create(CultureInfo.InvariantCulture, $" (older file: building its bins on open for write took {Stopwatch.GetElapsedTime(start).TotalMilliseconds:N0} ms)");
        }

        string code = Codes(41)[0];
        long total = (await ProgramTradeCatalog.ListDatesAsync(file)).Sum(d => d.Records);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"web curve: {total:N0} records in {file} ({new FileInfo(file).Length / 1048576.0:N0} MiB){migrated}; uptime: {File.ReadAllText("/proc/loadavg").Trim()}"));
        using (ProgramTradeQueries q = ProgramTradeQueries.Open(file))
        {
            // Interleaved: each round times the bins and then the scan, so both see the same load.
            Timings binned = new(), scanned = new();
            for (int i = 0; i < 11; i++)
            {
                q.UsesBins = true;
                await binned.RoundAsync(q, day, code);
                q.UsesBins = false;
                await scanned.RoundAsync(q, day, code);
            }

            binned.Print("bins (v4)", scanned);
            scanned.Print("scan (old)", null);
            q.UsesBins = true;
            List<double> ranking = [];
            int rows = 0;
            for (int i = 0; i < 5; i++)
            {
                long start = Stopwatch.GetTimestamp();
                rows = (await q.RankingAsync(day, new TimeOnly(14, 0))).Count;
                ranking.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }

            ranking.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ranking as of 14:00 ({rows} rows, a scan either way): median {ranking[ranking.Count / 2]:N0} ms"));
        }

        if (alternatives)
        {
            await AlternativesAsync(file, day, code);
        }

        return 0;
    }

    private static async Task<int> IngestCostAsync(int records, int rounds)
    {
        ProgramTrade[] trades = Scenarios.BuildTrades(records);
        Console.WriteLine($"web ingest: {records:N0} records (41 codes × 3 venues), default batches; uptime: {File.ReadAllText("/proc/loadavg").Trim()}");
        List<double> with = [], without = [];
        for (int round = 0; round <= rounds; round++)
        {
            foreach (bool keep in (bool[])[true, false])
            {
                using TempFile db = new();
                long start = Stopwatch.GetTimestamp();
                await using (ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(db.Path, RecorderOptions.Default with { KeepBins = keep }))
                {
                    foreach (ProgramTrade t in trades)
                    {
                        recorder.Append(t);
                    }
                }

                double rate = records / Stopwatch.GetElapsedTime(start).TotalSeconds;
                if (round > 0)
                {
                    (keep ? with : without).Add(rate); // round 0 warms up
                }
            }
        }

        static double Median(List<double> r) => r.Order().ElementAt(r.Count / 2);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  with bins {Median(with) / 1e6:F2} M rec/s, without {Median(without) / 1e6:F2} M rec/s (median of {rounds}; {100 * (1 - (Median(with) / Median(without))):N0} % slower); uptime: {File.ReadAllText("/proc/loadavg").Trim()}"));
        return 0;
    }

    /// <summary>DuckDB's own means on a copy of the file, the scan query each time: an ART index on (date, code), and the
    /// rows ordered by (date, code, venue, kis_time) so zone maps skip the other codes.</summary>
    private static async Task AlternativesAsync(string file, DateOnly day, string code)
    {
        string dir = Directory.CreateTempSubdirectory("kisfeed-curve-alt-").FullName;
        try
        {
            foreach ((string name, string sql) in (List<(string, string)>)[
                ("ART index on (trading_date, code)", "CREATE INDEX by_code ON program_trades (trading_date, code)"),
                ("rows ordered by (trading_date, code, venue, kis_time)", "CREATE TABLE sorted AS SELECT * FROM program_trades ORDER BY trading_date, code, venue, kis_time; DROP TABLE program_trades; ALTER TABLE sorted RENAME TO program_trades"),
            ])
            {
                string copy = Path.Combine(dir, "alt.duckdb");
                File.Copy(file, copy, overwrite: true);
                long start = Stopwatch.GetTimestamp();
                using (DuckDB.NET.Data.DuckDBConnection c = new($"Data Source={copy}"))
                {
                    c.Open();
                    using DuckDB.NET.Data.DuckDBCommand command = c.CreateCommand();
                    command.CommandText = sql;
                    command.ExecuteNonQuery();
                }

                double build = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                using ProgramTradeQueries q = ProgramTradeQueries.Open(copy);
                q.UsesBins = false;
                Timings t = new();
                for (int i = 0; i < 11; i++)
                {
                    await t.RoundAsync(q, day, code);
                }

                t.Print($"scan with {name} (built in {build:N0} ms)", null);
                File.Delete(copy);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Times of the day curve (10 s, one venue), minute bars and all venues' curves (what the page loads).</summary>
    private sealed class Timings
    {
        private readonly List<double> _curve = [], _bars = [], _all = [];
        private int _curvePoints, _barPoints, _allPoints;

        public async Task RoundAsync(ProgramTradeQueries q, DateOnly day, string code)
        {
            long start = Stopwatch.GetTimestamp();
            _curvePoints = (await q.DayCurveAsync(day, code, Venue.Unified, TimeSpan.FromSeconds(10))).Count;
            _curve.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            start = Stopwatch.GetTimestamp();
            _barPoints = (await q.MinuteBarsAsync(day, code, Venue.Unified)).Count;
            _bars.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            start = Stopwatch.GetTimestamp();
            _allPoints = (await q.DayCurvesAsync(day, code, TimeSpan.FromSeconds(10))).Values.Sum(v => v.Count);
            _all.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        private static double Median(List<double> ms) => ms.Order().ElementAt(ms.Count / 2);

        private static double P90(List<double> ms) => ms.Order().ElementAt(Math.Min(ms.Count - 1, (int)Math.Ceiling(0.9 * ms.Count) - 1));

        public void Print(string name, Timings? baseline)
        {
            string Ratio(List<double> mine, Func<Timings, List<double>> other) =>
                baseline is null ? "" : string.Create(CultureInfo.InvariantCulture, $", {Median(other(baseline)) / Median(mine):N1}× faster");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {name}: day curve 10 s ({_curvePoints} points) first {_curve[0]:N1} ms, median {Median(_curve):N1} ms, p90 {P90(_curve):N1} ms{Ratio(_curve, b => b._curve)}; minute bars ({_barPoints}) median {Median(_bars):N1} ms{Ratio(_bars, b => b._bars)}; all venues' curves (the page's load, {_allPoints} points) median {Median(_all):N1} ms{Ratio(_all, b => b._all)}"));
        }
    }

    /// <summary>A synthetic day of <paramref name="records"/> records for 41 codes (KRX 09:00–15:30, NXT 08:00–20:00,
    /// unified for each), written through the recorder's appender, with two recorded gaps.</summary>
    private static async Task<int> GenerateAsync(string file, long records, DateOnly day)
    {
        Stopwatch clock = Stopwatch.StartNew();
        string[] codes = Codes(41);
        Market market = new(codes, day, seed: 11);
        DateTimeOffset start = KoreaTime.At(day, new TimeOnly(8, 0));
        const int seconds = 12 * 3600;
        double perSecond = records / 2.0 / seconds; // each market step makes two records (KRX or NXT, and unified)
        await using (ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(file))
        {
            // A gap that was never healed for the first code (10:30–10:34) and one for everything (13:00–13:01).
            DateTimeOffset gapFrom = start.AddHours(2.5), gapTo = gapFrom.AddMinutes(4);
            DateTimeOffset allFrom = start.AddHours(5), allTo = allFrom.AddMinutes(1);
            recorder.RecordGap(new RecordingGap(gapFrom, gapTo, Venue.Krx, [codes[0]], "reconnect (synthetic)"));
            recorder.RecordGap(new RecordingGap(gapFrom, gapTo, Venue.Unified, [codes[0]], "reconnect (synthetic)"));
            recorder.RecordGap(new RecordingGap(allFrom, allTo, null, [], "server closed (synthetic)"));
            long written = 0;
            double due = 0;
            for (int s = 0; s < seconds && written < records; s++)
            {
                DateTimeOffset at = start.AddSeconds(s);
                bool inAll = at >= allFrom && at < allTo;
                bool inGap = at >= gapFrom && at < gapTo;
                due += perSecond;
                while (due >= 1 && written < records)
                {
                    due -= 1;
                    foreach (ProgramTrade t in market.Next(at))
                    {
                        if (inAll || (inGap && t.Code == codes[0] && t.Venue != Venue.Nxt))
                        {
                            continue;
                        }

                        recorder.Append(t);
                        written++;
                    }
                }
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"web gen: {records:N0} records for {day:yyyy-MM-dd} into {file} in {clock.Elapsed.TotalSeconds:N1} s"));
        return 0;
    }

    // ---- memory with N pages --------------------------------------------------------------------------------

    private static async Task<int> MemoryAsync(int pages, double minutes, int codeCount, double rate, bool record)
    {
        string[] codes = Codes(codeCount);
        using TempFile db = new();
        // --no-recorder: the board alone, to tell the server's own memory from what DuckDB holds of the growing day.
        await using ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(db.Path);
        using ProgramTradeQueries queries = recorder.OpenQueries();
        await using KisFeedWebServer server = await KisFeedWebServer.StartAsync(
            WebBoardOptions.Default with { Codes = codes }, new FixedFeedStatus(new FeedStatus("Connected", 0, 0, true, "benchmark: synthetic feed")), record ? queries : null);
        Channel<FeedItem> feed = Channel.CreateUnbounded<FeedItem>();
        using CancellationTokenSource stop = new();
        Task pump = server.RunFeedAsync(feed.Reader.ReadAllAsync(), record ? recorder : null, stop.Token);
        await using BrowserSession browser = await BrowserSession.StartAsync();
        for (int i = 0; i < pages; i++)
        {
            IPage page = await browser.OpenAsync(server.Url.ToString(), 1280, 800);
            await page.WaitForFunctionAsync("window.__kisBoard?.ready === true");
        }

        Market market = new(codes, DateOnly.FromDateTime(DateTime.UtcNow.AddHours(9)), seed: 3, alwaysOpen: true);
        TimeSpan total = TimeSpan.FromMinutes(minutes);
        TimeSpan every = TimeSpan.FromSeconds(Math.Max(5, total.TotalSeconds / 10));
        Stopwatch clock = Stopwatch.StartNew();
        long sent = 0;
        List<string> samples = [];
        using Process self = Process.GetCurrentProcess();
        // The recorder's DuckDB database (one instance per file in the process): what its buffer manager holds.
        using DuckDB.NET.Data.DuckDBConnection duck = new($"Data Source={db.Path}");
        duck.Open();
        using DuckDB.NET.Data.DuckDBCommand duckMemory = duck.CreateCommand();
        duckMemory.CommandText = "SELECT CAST(sum(memory_usage_bytes) AS BIGINT) FROM duckdb_memory()";
        while (clock.Elapsed < total)
        {
            sent += await FeedAsync(feed.Writer, market, rate, every);
            GC.Collect();
            self.Refresh();
            long duckBytes = Convert.ToInt64(duckMemory.ExecuteScalar(), CultureInfo.InvariantCulture);
            samples.Add(string.Create(CultureInfo.InvariantCulture, $"{clock.Elapsed.TotalMinutes:0.0} min {self.WorkingSet64 / 1048576.0:N0} MB (heap {GC.GetTotalMemory(false) / 1048576.0:N0} MB, DuckDB {duckBytes / 1048576.0:N0} MB, file {new FileInfo(db.Path).Length / 1048576.0:N1} MB)"));
            Console.WriteLine($"  {samples[^1]}, pages connected {server.Pages}");
        }

        feed.Writer.TryComplete();
        await stop.CancelAsync();
        await pump;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"web memory: {pages} pages, {codes.Length} codes × 3 venues at {rate:0.#}/s per series ({sent:N0} records, recorder {(record ? "on" : "off")}) for {minutes:0.#} min: {samples[0]} → {samples[^1]}"));
        return 0;
    }

    // ---- screenshots ----------------------------------------------------------------------------------------

    private static async Task<int> ShotAsync(string url, string output, string size, string? select, string? venue)
    {
        string[] wh = size.Split('x');
        await using BrowserSession browser = await BrowserSession.StartAsync();
        IPage page = await browser.OpenAsync(url, int.Parse(wh[0], CultureInfo.InvariantCulture), int.Parse(wh[1], CultureInfo.InvariantCulture));
        await page.WaitForFunctionAsync("window.__kisBoard?.ready === true && window.__kisBoard.chart.code !== null");
        if (select is not null)
        {
            await page.ClickAsync($"tr[data-code='{select}']");
            await page.WaitForFunctionAsync($"window.__kisBoard.chart.code === '{select}'");
        }

        if (venue is not null)
        {
            await page.ClickAsync($"#venues button[data-venue='{venue}']");
        }

        await page.WaitForTimeoutAsync(1200); // let row flashes fade so the picture shows the steady board
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = output });
        Console.WriteLine($"web shot: {output} ({size})");
        return 0;
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private static string[] Codes(int count)
    {
        List<string> codes = [.. LargeCaps().Select(c => c.Code)];
        for (int i = 0; codes.Count < count; i++)
        {
            codes.Add((900000 + i).ToString(CultureInfo.InvariantCulture));
        }

        return [.. codes.Take(count)];
    }

    internal static IReadOnlyList<(string Code, long Price)> LargeCaps()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "KisFeed.slnx")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        string csv = dir is null ? "" : Path.Combine(dir, "data", "large-caps.csv");
        if (!File.Exists(csv))
        {
            return [];
        }

        return [.. File.ReadLines(csv).Where(l => !l.StartsWith('#') && !l.StartsWith("code,", StringComparison.Ordinal) && l.Contains(',', StringComparison.Ordinal))
            .Select(l => l.Split(','))
            .Select(p => (p[0], long.TryParse(p[^1], CultureInfo.InvariantCulture, out long price) ? price : 50_000))];
    }

    private static Dictionary<string, string> Options(IEnumerable<string> args)
    {
        Dictionary<string, string> o = new(StringComparer.Ordinal);
        string? key = null;
        foreach (string a in args)
        {
            if (a.StartsWith("--", StringComparison.Ordinal))
            {
                key = a[2..];
                o[key] = "true";
            }
            else if (key is not null)
            {
                o[key] = a;
                key = null;
            }
        }

        return o;
    }

    private static int Int(Dictionary<string, string> o, string k, int d) => o.TryGetValue(k, out string? v) ? int.Parse(v, CultureInfo.InvariantCulture) : d;

    private static long Long(Dictionary<string, string> o, string k, long d) => o.TryGetValue(k, out string? v) ? long.Parse(v.Replace("_", "", StringComparison.Ordinal), CultureInfo.InvariantCulture) : d;

    private static double Double(Dictionary<string, string> o, string k, double d) => o.TryGetValue(k, out string? v) ? double.Parse(v, CultureInfo.InvariantCulture) : d;

    private sealed class TempFile : IDisposable
    {
        private readonly string _dir = Directory.CreateTempSubdirectory("kisfeed-bench-web-").FullName;

        public string Path => System.IO.Path.Combine(_dir, "bench.duckdb");

        public void Dispose()
        {
            try
            {
                Directory.Delete(_dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Debian's Chromium through Playwright (never a downloaded browser).</summary>
    private sealed class BrowserSession : IAsyncDisposable
    {
        private readonly IPlaywright _playwright;
        private readonly IBrowser _browser;

        private BrowserSession(IPlaywright playwright, IBrowser browser)
        {
            _playwright = playwright;
            _browser = browser;
        }

        public static async Task<BrowserSession> StartAsync()
        {
            if (!File.Exists(Chromium))
            {
                throw new FileNotFoundException($"{Chromium} is missing: apt-get install -y chromium");
            }

            IPlaywright playwright = await Playwright.CreateAsync();
            IBrowser browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = Chromium,
                Headless = true,
                Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
            });
            return new BrowserSession(playwright, browser);
        }

        public async Task<IPage> OpenAsync(string url, int width, int height)
        {
            IBrowserContext context = await _browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
            IPage page = await context.NewPageAsync();
            await page.GotoAsync(url);
            return page;
        }

        public async ValueTask DisposeAsync()
        {
            await _browser.DisposeAsync();
            _playwright.Dispose();
        }
    }
}

/// <summary>
/// A synthetic market for the benchmarks: per code one price (a random walk around its level) and per venue a
/// program-trading bias that drifts, so net buying trends for a while and turns. Each call to <see cref="Next"/> makes
/// one update on KRX or NXT for one code plus the unified update that follows it (cumulative values, as KIS sends them).
/// </summary>
internal sealed class Market
{
    private readonly string[] _codes;
    private readonly DateOnly _day;
    private readonly Random _random;
    private readonly double[] _price;
    private readonly double[] _level;
    private readonly double[,] _bias;
    private readonly long[,,] _cum; // [code, venue(krx,nxt), sellVol, sellVal, buyVol, buyVal]
    private readonly bool _alwaysOpen;

    public Market(string[] codes, DateOnly day, int seed, bool alwaysOpen = false)
    {
        _alwaysOpen = alwaysOpen;
        _codes = codes;
        _day = day;
        _random = new Random(seed);
        Dictionary<string, long> levels = WebBenchmark.LargeCaps().ToDictionary(c => c.Code, c => c.Price);
        _price = [.. codes.Select(c => (double)levels.GetValueOrDefault(c, 50_000))];
        _level = [.. _price];
        _bias = new double[codes.Length, 2];
        _cum = new long[codes.Length, 2, 4];
    }

    /// <summary>(code, KRX/NXT) series; each update also makes a unified one.</summary>
    public int Series => _codes.Length * 2;

    public IEnumerable<ProgramTrade> Next(DateTimeOffset at)
    {
        DateTimeOffset kst = KoreaTime.ToKst(at);
        TimeOnly time = new(kst.Hour, kst.Minute, kst.Second);
        bool krxOpen = time >= new TimeOnly(9, 0) && time < new TimeOnly(15, 30);
        bool nxtOpen = (time >= new TimeOnly(8, 0) && time < new TimeOnly(8, 50)) || (time >= new TimeOnly(9, 0, 30) && time < new TimeOnly(15, 20))
            || (time >= new TimeOnly(15, 40) && time < new TimeOnly(20, 0));
        if (_alwaysOpen)
        {
            krxOpen = nxtOpen = true;
        }

        if (!krxOpen && !nxtOpen)
        {
            yield break;
        }

        int c = _random.Next(_codes.Length);
        int v = !nxtOpen ? 0 : !krxOpen ? 1 : _random.NextDouble() < 0.7 ? 0 : 1;
        _price[c] = Math.Max(100, (_price[c] * Math.Exp(0.0006 * Gauss())) + (0.001 * (_level[c] - _price[c])));
        long price = RoundToTick(_price[c]);
        _bias[c, v] = Math.Clamp((_bias[c, v] * 0.995) + (0.06 * Gauss()), -0.6, 0.6);
        long shares = (long)Math.Max(1, Math.Exp(3 + Gauss()) * 1_000_000 / Math.Max(price, 1000));
        double buyShare = 0.5 + (_bias[c, v] / 2);
        long buy = (long)(shares * buyShare), sell = shares - buy;
        _cum[c, v, 0] += sell;
        _cum[c, v, 1] += sell * price;
        _cum[c, v, 2] += buy;
        _cum[c, v, 3] += buy * price;
        yield return Make(v == 0 ? Venue.Krx : Venue.Nxt, c, v, v, time, at);
        yield return Make(Venue.Unified, c, 0, 1, time, at);
    }

    private ProgramTrade Make(Venue venue, int c, int from, int to, TimeOnly time, DateTimeOffset at)
    {
        long sv = 0, sval = 0, bv = 0, bval = 0;
        for (int v = from; v <= to; v++)
        {
            sv += _cum[c, v, 0];
            sval += _cum[c, v, 1];
            bv += _cum[c, v, 2];
            bval += _cum[c, v, 3];
        }

        return new ProgramTrade(venue, _codes[c], _day, time, sv, sval, bv, bval, bv - sv, bval - sval,
            _random.NextInt64(0, 50_000), _random.NextInt64(0, 50_000), 0, at);
    }

    private double Gauss() => Math.Sqrt(-2 * Math.Log(1 - _random.NextDouble())) * Math.Cos(2 * Math.PI * _random.NextDouble());

    private static long RoundToTick(double price)
    {
        long tick = price switch { < 2_000 => 1, < 5_000 => 5, < 20_000 => 10, < 50_000 => 50, < 200_000 => 100, < 500_000 => 500, _ => 1_000 };
        return Math.Max(tick, (long)Math.Round(price / tick) * tick);
    }
}
