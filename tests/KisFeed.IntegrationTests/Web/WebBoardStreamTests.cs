using System.Net.ServerSentEvents;
using System.Text.Json;
using System.Threading.Channels;

using KisFeed.Cli;
using KisFeed.IntegrationTests.Client;
using KisFeed.IntegrationTests.Storage;
using KisFeed.Storage;
using KisFeed.Web;

using Spectre.Console.Testing;

namespace KisFeed.IntegrationTests.Web;

/// <summary>The board's event stream over real HTTP (Kestrel on a free loopback port), and <c>kisfeed serve</c> itself.</summary>
public sealed class WebBoardStreamTests
{
    private static readonly DateOnly Day = new(2026, 11, 24);

    private static ProgramTrade Trade(string code, Venue venue, string time, long net) =>
        new(venue, code, Day, TimeOnly.Parse(time, System.Globalization.CultureInfo.InvariantCulture), 0, 0, net, net, net, net, 0, 0, 0,
            new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero));

    private sealed class Board : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _pump;

        public Board(KisFeedWebServer server)
        {
            Server = server;
            _pump = server.RunFeedAsync(Feed.Reader.ReadAllAsync(), cancellationToken: _stop.Token);
        }

        public KisFeedWebServer Server { get; }

        public Channel<FeedItem> Feed { get; } = Channel.CreateUnbounded<FeedItem>();

        public static async Task<Board> StartAsync(int capacity = 1 << 10) => new(await KisFeedWebServer.StartAsync(
            WebBoardOptions.Default with { Codes = ["005930"], Date = Day, ResumeCapacity = capacity },
            new FixedFeedStatus(new FeedStatus("Connected", 0, 0, true, "test")), cancellationToken: TestContext.Current.CancellationToken));

        public async Task WriteAsync(CancellationToken ct, params ProgramTrade[] trades)
        {
            long before = Server.Board.Seq;
            foreach (ProgramTrade t in trades)
            {
                Feed.Writer.TryWrite(FeedItem.FromTrade(t));
            }

            await ClientTestKit.WaitUntilAsync(() => Server.Board.Seq >= before + trades.Length, ct, "the board applied the trades");
        }

        public async ValueTask DisposeAsync()
        {
            Feed.Writer.TryComplete();
            await _stop.CancelAsync();
            await _pump;
            await Server.DisposeAsync();
            _stop.Dispose();
        }
    }

    /// <summary>An open event stream: reads the board's events (skipping status ones) one at a time.</summary>
    private sealed class Stream : IAsyncDisposable
    {
        private readonly HttpResponseMessage _response;
        private readonly IAsyncEnumerator<SseItem<string>> _events;

        private Stream(HttpResponseMessage response, IAsyncEnumerator<SseItem<string>> events)
        {
            _response = response;
            _events = events;
        }

        public static async Task<Stream> OpenAsync(HttpClient http, Uri url, string? lastEventId, CancellationToken ct)
        {
            using HttpRequestMessage request = new(HttpMethod.Get, new Uri(url, "api/events"));
            if (lastEventId is not null)
            {
                request.Headers.Add("Last-Event-ID", lastEventId);
            }

            HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            response.EnsureSuccessStatusCode();
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            System.IO.Stream body = await response.Content.ReadAsStreamAsync(ct);
            return new Stream(response, SseParser.Create(body).EnumerateAsync(ct).GetAsyncEnumerator(ct));
        }

        public async Task<(string Type, string? Id, JsonElement Data)> NextAsync()
        {
            while (await _events.MoveNextAsync())
            {
                SseItem<string> item = _events.Current;
                if (item.EventType != "status")
                {
                    return (item.EventType, item.EventId, JsonDocument.Parse(item.Data).RootElement.Clone());
                }
            }

            throw new InvalidOperationException("the stream ended");
        }

        public async ValueTask DisposeAsync()
        {
            await _events.DisposeAsync();
            _response.Dispose();
        }
    }

    private static long[] Nets(JsonElement data) => [.. data.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("net").GetInt64())];

    [Fact]
    public async Task A_page_that_reconnects_with_Last_Event_ID_gets_what_it_missed_with_each_minutes_close_and_no_snapshot()
    {
        using CancellationTokenSource deadline = ClientTestKit.Deadline(30);
        CancellationToken ct = deadline.Token;
        await using Board board = await Board.StartAsync();
        using HttpClient http = new();
        await board.WriteAsync(ct, Trade("005930", Venue.Krx, "09:00:01", 100));

        string lastId;
        await using (Stream first = await Stream.OpenAsync(http, board.Server.Url, null, ct))
        {
            (string type, string? id, JsonElement data) = await first.NextAsync();
            Assert.Equal("snapshot", type);
            Assert.Equal([100L], Nets(data));
            Assert.Equal(board.Server.Board.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture), id);

            await board.WriteAsync(ct, Trade("005930", Venue.Krx, "09:00:30", 200), Trade("005930", Venue.Krx, "09:01:05", 300));
            List<long> seen = [];
            while (!seen.Contains(300))
            {
                (type, id, data) = await first.NextAsync();
                Assert.Equal("batch", type);
                seen.AddRange(Nets(data));
            }

            lastId = id!;
        }

        // While the page is away: two updates in 09:01, one in 09:02, and one on another venue.
        await board.WriteAsync(ct,
            Trade("005930", Venue.Krx, "09:01:20", 350), Trade("005930", Venue.Krx, "09:01:40", 400),
            Trade("005930", Venue.Krx, "09:02:10", 500), Trade("005930", Venue.Nxt, "09:02:11", -7));

        await using Stream again = await Stream.OpenAsync(http, board.Server.Url, lastId, ct);
        (string againType, string? againId, JsonElement missed) = await again.NextAsync();
        Assert.Equal("batch", againType); // not a snapshot: the page keeps its day and applies only this
        Assert.Equal([400L, 500L, -7L], Nets(missed)); // 09:01's close (350 coalesced into 400), then 09:02
        Assert.Equal(board.Server.Board.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture), againId);
    }

    [Fact]
    public async Task Resuming_from_further_back_than_the_board_keeps_gets_a_snapshot()
    {
        using CancellationTokenSource deadline = ClientTestKit.Deadline(30);
        CancellationToken ct = deadline.Token;
        await using Board board = await Board.StartAsync(capacity: 16);
        using HttpClient http = new();
        await board.WriteAsync(ct, Trade("005930", Venue.Krx, "09:00:00", 1));
        await board.WriteAsync(ct, [.. Enumerable.Range(2, 40).Select(i => Trade("005930", Venue.Krx, $"09:{i:00}:00", i))]);

        await using Stream stream = await Stream.OpenAsync(http, board.Server.Url, "1", ct);
        (string type, _, JsonElement data) = await stream.NextAsync();
        Assert.Equal("snapshot", type);
        Assert.Equal([41L], Nets(data));
    }

    [Fact]
    public async Task Delta_5m_is_null_until_the_data_covers_five_minutes_and_while_a_gap_inside_is_not_healed()
    {
        using CancellationTokenSource deadline = ClientTestKit.Deadline(30);
        CancellationToken ct = deadline.Token;
        await using Board board = await Board.StartAsync();
        using HttpClient http = new();
        await using Stream stream = await Stream.OpenAsync(http, board.Server.Url, null, ct);
        Assert.Equal("snapshot", (await stream.NextAsync()).Type);

        async Task<JsonElement> RowAsync(long net)
        {
            while (true)
            {
                (_, _, JsonElement data) = await stream.NextAsync();
                foreach (JsonElement row in data.GetProperty("rows").EnumerateArray())
                {
                    if (row.GetProperty("net").GetInt64() == net)
                    {
                        return row;
                    }
                }
            }
        }

        // The board's first record carries the day so far: it says nothing about the last 5 minutes (it used to say +636억 then).
        await board.WriteAsync(ct, Trade("005930", Venue.Krx, "10:00:00", 63_600_000_000));
        JsonElement first = await RowAsync(63_600_000_000);
        Assert.Equal(JsonValueKind.Null, first.GetProperty("d5").ValueKind);
        Assert.Equal(JsonValueKind.Null, first.GetProperty("d1").ValueKind);

        await board.WriteAsync(ct, Trade("005930", Venue.Krx, "10:03:00", 63_700_000_000));
        JsonElement three = await RowAsync(63_700_000_000);
        Assert.Equal(JsonValueKind.Null, three.GetProperty("d5").ValueKind);
        Assert.Equal(100_000_000, three.GetProperty("d1").GetInt64()); // 10:02's value is 10:00's

        await board.WriteAsync(ct, Trade("005930", Venue.Krx, "10:05:00", 64_000_000_000));
        Assert.Equal(400_000_000, (await RowAsync(64_000_000_000)).GetProperty("d5").GetInt64());

        // A gap inside the window blanks it, and the row is sent again at once; healed, the figure is back.
        var reg = new Registration(Venue.Krx, "005930");
        DateTimeOffset kst(int h, int m) => new(2026, 11, 24, h, m, 0, TimeSpan.FromHours(9));
        board.Feed.Writer.TryWrite(FeedItem.FromGap(new DataGap(9, kst(10, 3), kst(10, 4), [reg], "reconnect")));
        JsonElement blank = await RowAsync(64_000_000_000);
        Assert.Equal(JsonValueKind.Null, blank.GetProperty("d5").ValueKind);
        board.Feed.Writer.TryWrite(FeedItem.FromHealing(new GapHealingReport(9, reg, GapHealing.Healed, 0, null, null, "nothing inside")));
        Assert.Equal(400_000_000, (await RowAsync(64_000_000_000)).GetProperty("d5").GetInt64());
    }

    [Fact]
    public async Task A_burst_reaches_a_page_coalesced_to_one_row_per_stock_and_minute_per_event()
    {
        using CancellationTokenSource deadline = ClientTestKit.Deadline(30);
        CancellationToken ct = deadline.Token;
        await using Board board = await Board.StartAsync();
        using HttpClient http = new();
        await using Stream stream = await Stream.OpenAsync(http, board.Server.Url, null, ct);
        Assert.Equal("snapshot", (await stream.NextAsync()).Type);

        // 500 updates of one stock within one minute, written as fast as the feed takes them.
        await board.WriteAsync(ct, [.. Enumerable.Range(1, 500).Select(i => Trade("005930", Venue.Krx, $"09:00:{i % 60:00}", i))]);
        int events = 0, rows = 0;
        long last = 0;
        while (last != 500)
        {
            (string type, _, JsonElement data) = await stream.NextAsync();
            Assert.Equal("batch", type);
            long[] nets = Nets(data);
            Assert.Single(nets); // one row per stock and minute in an event
            events++;
            rows += nets.Length;
            last = nets[^1];
        }

        Assert.InRange(events, 1, 3); // the burst fits in a few coalescing intervals
        Assert.Equal(events, rows);
    }

    [Fact]
    public async Task Serve_prints_the_url_first_binds_loopback_and_serves_a_recorded_day_with_replay()
    {
        using var dir = new TempDir();
        string path = dir.File("day.duckdb");
        CancellationToken ct = TestContext.Current.CancellationToken;
        await using (ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(path))
        {
            recorder.Append(Trade("005930", Venue.Krx, "09:00:05", 1_000));
            recorder.Append(Trade("005930", Venue.Krx, "09:01:05", 3_000));
        }

        var stdout = new FirstLineWriter();
        var console = new CliConsole(new TestConsole(), stdout, new StringWriter(), IsTerminal: false);
        using CancellationTokenSource stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task<int> run = CliApp.RunAsync(["serve", "--db", path, "--replay", "--port", "0"], console, stop.Token);
        string first = await stdout.FirstLineAsync(ct);
        Assert.StartsWith("KisFeed board: http://127.0.0.1:", first, StringComparison.Ordinal);
        Uri url = new(first["KisFeed board: ".Length..]);

        using HttpClient http = new();
        using JsonDocument meta = JsonDocument.Parse(await http.GetStringAsync(new Uri(url, "api/meta"), ct));
        Assert.Equal("replay", meta.RootElement.GetProperty("mode").GetString());
        Assert.Equal("2026-11-24", meta.RootElement.GetProperty("date").GetString());
        using JsonDocument day = JsonDocument.Parse(await http.GetStringAsync(new Uri(url, "api/day?code=005930"), ct));
        long[] flows = [.. day.RootElement.GetProperty("bars").GetProperty("krx").EnumerateArray().Select(b => b.GetProperty("flow").GetInt64())];
        Assert.Equal([1_000L, 2_000L], flows);
        string html = await http.GetStringAsync(url, ct);
        Assert.Contains("TradingView", html, StringComparison.Ordinal); // the page, from the assembly, with the chart's attribution

        await stop.CancelAsync();
        Assert.Equal(0, await run);
    }

    [Fact]
    public async Task Serve_open_runs_the_browser_named_by_BROWSER_with_the_pages_url()
    {
        using var dir = new TempDir();
        string path = dir.File("day.duckdb");
        CancellationToken ct = TestContext.Current.CancellationToken;
        await using (ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(path))
        {
            recorder.Append(Trade("005930", Venue.Krx, "09:00:05", 1_000));
        }

        // A stand-in browser: writes the arguments it was started with to a file.
        string opened = dir.File("opened.txt");
        string script = dir.File("browser.sh");
        await File.WriteAllTextAsync(script, $"#!/bin/sh\nprintf '%s|' \"$@\" > '{opened}.tmp' && mv '{opened}.tmp' '{opened}'\n", ct);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var stdout = new FirstLineWriter();
        var console = new CliConsole(new TestConsole(), stdout, new StringWriter(), IsTerminal: false,
            Environment: name => name == "BROWSER" ? script : Environment.GetEnvironmentVariable(name));
        using CancellationTokenSource stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task<int> run = CliApp.RunAsync(["serve", "--db", path, "--replay", "--port", "0", "--open"], console, stop.Token);
        string first = await stdout.FirstLineAsync(ct);
        string url = first["KisFeed board: ".Length..];

        using CancellationTokenSource deadline = KisFeed.TestKit.Wait.Deadline(ct, 20);
        await KisFeed.TestKit.Wait.UntilAsync(() => File.Exists(opened), deadline.Token, "the stand-in browser was started");
        Assert.Equal(url + "|", await File.ReadAllTextAsync(opened, ct)); // one argument: the URL the first line printed
        Assert.StartsWith("http://127.0.0.1:", url, StringComparison.Ordinal);

        await stop.CancelAsync();
        Assert.Equal(0, await run);
    }
}
