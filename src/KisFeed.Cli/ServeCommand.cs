using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;

using KisFeed.Storage;
using KisFeed.Web;

using Microsoft.Extensions.Logging;

namespace KisFeed.Cli;

internal static partial class CliApp
{
    private static Command ServeCommand(CliConsole console)
    {
        Argument<string[]> codes = new("codes") { Description = "Stock codes to follow (not with --replay).", Arity = ArgumentArity.ZeroOrMore };
        Option<string> venue = VenueOption();
        Option<string?> db = new("--db") { Description = "DuckDB file: recorded into while serving (appended to), or read with --replay. Default: a temporary file, deleted at exit." };
        Option<int> port = new("--port", "-p") { Description = "TCP port (0 = any free port).", DefaultValueFactory = _ => 8600 };
        Option<string> host = new("--host") { Description = "Address to bind: loopback by default; 0.0.0.0 for every interface, or one of this machine's addresses (then the board needs its access token).", DefaultValueFactory = _ => "127.0.0.1" };
        Option<string?> accessToken = new("--token") { Description = "Access token the page and API require (in the printed address as ?token=…). Default: none on loopback; generated and printed when --host is not loopback." };
        Option<bool> open = new("--open") { Description = "Open the page in the default browser (or the program named by $BROWSER)." };
        Option<bool> replay = new("--replay") { Description = "Show a recorded day from --db instead of following live." };
        Option<string?> date = DateOption();
        Option<bool> demo = DemoOption();
        Option<string?> config = ConfigOption();
        Option<TimeSpan?> duration = DurationOption();
        Option<bool> verbose = VerboseOption();
        Option<bool> fromStart = FromStartOption();
        var command = new Command("serve", "A web board: ranking and day chart of program trading, live (recorded into --db as it goes) or a recorded day.\nExamples: kisfeed serve 005930 000660 --venue all --db today.duckdb --open\n          kisfeed serve --db today.duckdb --replay")
        {
            codes, venue, db, port, host, accessToken, open, replay, date, demo, config, duration, verbose, fromStart,
        };
        AddMetricsOptions(command, "the feed is not connected, ended with an error or the writer failed");
        command.SetAction((parse, ct) => Guard(console, async token =>
        {
            (CliLogging logging, _) = Logging(console, parse.GetValue(verbose), board: false);
            ServeHost? started = null;
            await using KisFeedMetricsServer? metrics = await StartMetricsAsync(parse, console, () => ServeHost.Health(Volatile.Read(ref started)), token);
            WebBoardOptions web = ServeAccess.Options(parse.GetValue(host)!, parse.GetValue(port), parse.GetValue(accessToken), console) with { LoggerFactory = logging.Factory };
            string[] followed = parse.GetValue(codes) ?? [];
            ServeHost serving;
            if (parse.GetValue(replay))
            {
                string path = parse.GetValue(db) ?? throw CliException.Usage("--replay needs --db FILE (a recording, e.g. from 'kisfeed record').");
                if (!File.Exists(path))
                {
                    throw CliException.Usage($"'{path}' does not exist. Record first: kisfeed serve 005930 --db {path}");
                }

                serving = await ServeHost.StartReplayAsync(path, ParseDate(parse.GetValue(date)), web, token);
            }
            else
            {
                if (followed.Length == 0)
                {
                    throw new CliException("Give the codes to follow, e.g. kisfeed serve 005930 000660 (or --replay --db FILE).");
                }

                IReadOnlyList<Venue> venues = ParseVenues(parse.GetValue(venue)!);
                DataSource source = await DataSource.OpenAsync(parse.GetValue(demo), parse.GetValue(config), console.Env, logging.Factory, console.Time, token);
                try
                {
                    var feedOptions = new FeedOptions { FromStartOfDay = parse.GetValue(fromStart) };
                    serving = await ServeHost.StartLiveAsync(source.Options, source.Description, source.IsDemo, followed, venues, parse.GetValue(db), web, feedOptions, token);
                }
                catch
                {
                    await source.DisposeAsync();
                    throw;
                }

                serving.Owns(source);
            }

            Volatile.Write(ref started, serving);
            await using (serving)
            {
                // The first line is the address, so scripts (and people) can pick it up.
                await ServeAccess.PrintAsync(console, serving, web);
                await console.Out.WriteLineAsync(serving.Description);
                await PrintMetricsAsync(console, metrics);
                await console.Out.WriteLineAsync("Ctrl-C to stop.");
                await console.Out.FlushAsync(token);
                if (parse.GetValue(open))
                {
                    OpenBrowser(ServeAccess.PageUrl(serving.Url, web.AccessToken), console);
                }

                try
                {
                    await serving.WaitAsync(token);
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                }
            }

            await console.Out.WriteLineAsync("Stopped.");
            return 0;
        }, parse.GetValue(duration), ct));
        return command;
    }

    private static void OpenBrowser(Uri url, CliConsole console)
    {
        // BROWSER (as Python's webbrowser and xdg-open read it) names the program to run with the URL; tests set it.
        string? browser = console.Env("BROWSER");
        try
        {
            ProcessStartInfo start = !string.IsNullOrWhiteSpace(browser) ? new ProcessStartInfo(browser) { ArgumentList = { url.ToString() } }
                : OperatingSystem.IsWindows() ? new ProcessStartInfo(url.ToString()) { UseShellExecute = true }
                : new ProcessStartInfo(OperatingSystem.IsMacOS() ? "open" : "xdg-open", url.ToString());
            using Process? _ = Process.Start(start);
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            console.Error.WriteLine($"Could not open a browser ({ex.Message}); open {url} yourself.");
        }
    }
}

/// <summary>
/// What <c>kisfeed serve</c> runs: the web board, and in live mode the client, the feed into the board and the recorder
/// (both on one DuckDB database: the recorder writes it, the board's queries read it). Tests start it the same way.
/// </summary>
internal sealed partial class ServeHost : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly CancellationTokenSource _stop = new();
    private Task _running = Task.CompletedTask;
    private string? _tempDirectory;

    private ServeHost(KisFeedWebServer server, string description)
    {
        Server = server;
        Description = description;
    }

    public KisFeedWebServer Server { get; }

    public Uri Url => Server.Url;

    /// <summary>The addresses other machines use (none on loopback).</summary>
    public IReadOnlyList<Uri> InterfaceUrls => Server.InterfaceUrls;

    public string Description { get; }

    public KisRealtimeClient? Client { get; private set; }

    public ProgramTradeRecorder? Recorder { get; private set; }

    /// <summary>The board's REST prices (live with an app key and secret), or null when prices are derived only.</summary>
    public RestPriceSource? Prices { get; private set; }

    /// <summary>How the feed is doing, as the board's status strip shows it.</summary>
    internal IFeedStatusSource? Status { get; private init; }

    public void Owns(IAsyncDisposable resource) => _owned.Add(resource);

    /// <summary>
    /// <c>serve</c>'s <c>/healthz</c>: the feed's state and source, rows written, pages connected; unhealthy when the
    /// live feed is not connected (KIS, or NATS for <c>--from</c>), ended with an error, or the writer failed. A replay is
    /// healthy while it serves.
    /// </summary>
    internal static ProcessHealth Health(ServeHost? host)
    {
        var detail = new JsonObject { ["command"] = "serve" };
        List<string> problems = [];
        if (host is null)
        {
            detail["feed"] = "not started";
            problems.Add("the board is not serving yet");
            return CliApp.Health(detail, problems);
        }

        FeedStatus? status = host.Status?.Current;
        detail["feed"] = status?.State;
        detail["source"] = status?.Source;
        detail["simulated"] = status?.Simulated;
        detail["reconnects"] = status?.Reconnects;
        detail["drops"] = status?.Drops;
        detail["pages"] = host.Server.Pages;
        CliApp.RecorderHealth(host.Recorder, detail, problems);
        if (host._running.IsFaulted)
        {
            problems.Add("the feed ended with an error: " + CliApp.OneLine(Messages.Describe(host._running.Exception!.GetBaseException())));
        }
        else if (status is { State: not ("Replay" or nameof(ConnectionState.Connected) or nameof(NATS.Client.Core.NatsConnectionState.Open)) })
        {
            problems.Add($"the feed is {status.State.ToLowerInvariant()}");
        }

        return CliApp.Health(detail, problems);
    }

    /// <summary>Follows <paramref name="codes"/> live and records into <paramref name="dbPath"/> (a temporary file when null).</summary>
    public static Task<ServeHost> StartLiveAsync(
        KisOptions options, string sourceDescription, bool simulated, IReadOnlyList<string> codes, IReadOnlyList<Venue> venues,
        string? dbPath, WebBoardOptions web, CancellationToken cancellationToken) =>
        StartLiveAsync(options, sourceDescription, simulated, codes, venues, dbPath, web, FeedOptions.Default, cancellationToken);

    /// <summary>As above, the feed started as <paramref name="feedOptions"/> says (<c>--from-start</c>: seeded with the day so far).</summary>
    public static async Task<ServeHost> StartLiveAsync(
        KisOptions options, string sourceDescription, bool simulated, IReadOnlyList<string> codes, IReadOnlyList<Venue> venues,
        string? dbPath, WebBoardOptions web, FeedOptions feedOptions, CancellationToken cancellationToken)
    {
        string? temp = null;
        if (dbPath is null)
        {
            temp = Directory.CreateTempSubdirectory("kisfeed-serve-").FullName;
            dbPath = Path.Combine(temp, "serve.duckdb");
        }

        // The file says whether its rows are simulated, so a replay of it says so too.
        RecordingSource origin = simulated ? RecordingSource.Simulated(options.WebSocketUri.ToString()) : RecordingSource.Live(options.WebSocketUri.ToString());
        ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(dbPath, RecorderOptions.Default with { LoggerFactory = web.LoggerFactory, Source = origin });
        ProgramTradeQueries queries = recorder.OpenQueries();
        var client = new KisRealtimeClient(options);
        (KisRestClient? rest, RestPriceSource? prices) = RestPrices(options, codes, venues, web.LoggerFactory, simulated, dayHistory: feedOptions.FromStartOfDay);
        KisFeedWebServer server;
        IKisSubscription<FeedItem>? subscription = null;
        ClientFeedAdapter feed;
        string? refused;
        try
        {
            // One subscription for the board: a code the server refuses is named, and the board shows the others.
            subscription = await client.SubscribeFeedAsync(Registration.Of(codes, venues), feedOptions, cancellationToken);
            List<RegistrationStatus> notHeld = [.. subscription.Registrations.Where(s => !s.IsHeld)];
            if (notHeld.Count == subscription.Registrations.Count)
            {
                throw new CliException($"No code was subscribed: {string.Join("; ", notHeld.Take(3).Select(Messages.NotHeld))}");
            }

            refused = notHeld.Count == 0 ? null : string.Join("; ", notHeld.Select(Messages.NotHeld));
            feed = new ClientFeedAdapter(client, refused is null ? sourceDescription : $"{sourceDescription}; {refused}", simulated);
            server = await KisFeedWebServer.StartAsync(web with { Codes = codes, Venues = venues }, feed, queries, prices, cancellationToken);
        }
        catch
        {
            if (prices is not null)
            {
                await prices.DisposeAsync();
            }

            rest?.Dispose();
            if (subscription is not null)
            {
                await subscription.DisposeAsync();
            }

            await client.DisposeAsync();
            queries.Dispose();
            await recorder.DisposeAsync();
            throw;
        }

        string where = temp is null ? $"recording into {recorder.Path}" : "recording into a temporary file (use --db FILE to keep it)";
        string description = refused is null ? $"{sourceDescription}; {where}" : $"{sourceDescription}; {where}\n{refused}; the board shows the others";
        ServeHost host = new(server, description) { Client = client, Recorder = recorder, Status = feed, _tempDirectory = temp };
        // Disposed in reverse: the server stops first, then the feed (subscription, client), the queries, and the recorder commits last.
        host._owned.Add(recorder);
        host._owned.Add(new DisposeAction(queries.Dispose));
        host._owned.Add(client);
        host._owned.Add(subscription);
        if (rest is not null && prices is not null)
        {
            host._owned.Add(new DisposeAction(rest.Dispose));
            host._owned.Add(prices); // stops asking before the REST client goes
            host.Prices = prices;
            RecordPrices(prices, recorder, web.LoggerFactory);
            prices.Start();
        }

        host._running = server.RunFeedAsync(subscription.ReadAllAsync(host._stop.Token), recorder, host._stop.Token);
        return host;
    }

    /// <summary>
    /// Keeps every price the board reads in the recording (<c>prices</c>), so a replay of the file has the same price
    /// line. A recorder that fails or has closed loses only the price (logged), never the feed.
    /// </summary>
    private static void RecordPrices(RestPriceSource prices, ProgramTradeRecorder recorder, ILoggerFactory? loggers)
    {
        ILogger? log = loggers?.CreateLogger("KisFeed.Cli.ServeHost");
        prices.Sampled += (code, sample, reference) =>
        {
            DateTimeOffset at = KoreaTime.ToKst(sample.At);
            try
            {
                recorder.AppendPrice(new RecordedPrice(DateOnly.FromDateTime(at.DateTime), code, TimeOnly.FromDateTime(at.DateTime), sample.Price, reference, sample.At));
            }
            catch (Exception ex) when (ex is ObjectDisposedException or KisStorageException)
            {
                log?.LogDebug("The price of {Code} was not recorded: {Message}", code, ex.Message);
            }
        };
    }

    /// <summary>
    /// The board's prices from REST inquire-price when the options allow it (an app key and secret; always in demo mode):
    /// KRX's price when KRX is followed, else the first venue's. Null: no price (shown as –, the page says why).
    /// </summary>
    internal static (KisRestClient?, RestPriceSource?) RestPrices(KisOptions options, IReadOnlyList<string> codes, IReadOnlyList<Venue> venues, ILoggerFactory? loggers, bool simulated, bool dayHistory = false)
    {
        if (string.IsNullOrEmpty(options.AppKey) || string.IsNullOrEmpty(options.AppSecret))
        {
            return (null, null);
        }

        var rest = new KisRestClient(options, options.Rest);
        Venue venue = venues.Contains(Venue.Krx) ? Venue.Krx : venues[0];
        ILogger? logger = loggers?.CreateLogger("KisFeed.Web.RestPriceSource");
        return (rest, new RestPriceSource(rest, codes, venue, null, options.TimeProvider, logger, simulated ? "simulator" : "KIS", dayHistory));
    }

    /// <summary>Shows a recorded day of <paramref name="dbPath"/>.</summary>
    public static async Task<ServeHost> StartReplayAsync(string dbPath, DateOnly? date, WebBoardOptions web, CancellationToken cancellationToken)
    {
        RecordingSource? origin = await ProgramTradeCatalog.GetSourceAsync(dbPath, cancellationToken);
        ProgramTradeQueries queries = ProgramTradeQueries.Open(dbPath);
        try
        {
            DateOnly day = date ?? await queries.LatestDateAsync(cancellationToken) ?? throw new CliException($"'{dbPath}' holds no records yet.");
            string what = origin switch
            {
                { IsSimulated: true } => $"SIMULATED data from {origin.Endpoint}, not the market",
                { IsSimulated: false } => $"live data from {origin.Endpoint}",
                { } => $"source unknown: read from {origin.Endpoint}, which does not say whether its data is simulated or live",
                null => "source unknown: recorded before KisFeed stored whether data is simulated",
            };
            string description = $"Replay of {day:yyyy-MM-dd} from {queries.Path} (recorded data; {what})";
            var status = new FixedFeedStatus(new FeedStatus("Replay", 0, 0, origin?.IsSimulated, description));
            IPriceSource prices = await RecordedPriceSource.LoadAsync(queries, day, origin?.IsSimulated, cancellationToken);
            KisFeedWebServer server = await KisFeedWebServer.StartAsync(web with { Replay = true, Date = day }, status, queries, prices, cancellationToken);
            ServeHost host = new(server, description) { Status = status };
            host._owned.Add(new DisposeAction(queries.Dispose));
            return host;
        }
        catch
        {
            queries.Dispose();
            throw;
        }
    }

    /// <summary>Runs until cancelled (or the live feed ends with an error, which is thrown).</summary>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        await _running.WaitAsync(cancellationToken);
        await Task.Delay(Timeout.Infinite, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Server.DisposeAsync();
        try
        {
            await _running;
        }
        catch (OperationCanceledException)
        {
        }

        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }

        _stop.Dispose();
        if (_tempDirectory is not null)
        {
            try
            {
                Directory.Delete(_tempDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private sealed class DisposeAction(Action action) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            action();
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>The board's view of a live client's status.</summary>
internal sealed class ClientFeedAdapter(KisRealtimeClient client, string source, bool simulated) : IFeedStatusSource
{
    public FeedStatus Current
    {
        get
        {
            KisClientStatistics s = client.GetStatistics();
            return new FeedStatus(s.State.ToString(), s.Reconnects, s.RecordsDropped, simulated, source);
        }
    }
}
