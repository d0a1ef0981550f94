using KisFeed.Cli;
using KisFeed.IntegrationTests.Client;
using KisFeed.Simulator;
using KisFeed.Web;

using Microsoft.Playwright;

namespace KisFeed.IntegrationTests.Web;

/// <summary>Debian's Chromium driven by Playwright (never a downloaded browser). Fails, never skips, when it is missing.</summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Assert.True(File.Exists(ChromiumPath),
            $"{ChromiumPath} is missing: the browser tests need Debian's chromium package (apt-get install -y chromium; tools/test.sh does it).");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
            ],
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}

/// <summary>A simulator that publishes only when told (<see cref="KisSimulator.PublishNow(int)"/>) and <c>kisfeed serve</c>'s host on it.</summary>
internal sealed class LiveBoard : IAsyncDisposable
{
    public static readonly string[] Codes = ["005930", "000660", "035420"];

    private LiveBoard(KisSimulator sim, ServeHost host, string dir)
    {
        Sim = sim;
        Host = host;
        Directory = dir;
    }

    public KisSimulator Sim { get; }

    public ServeHost Host { get; }

    public string Directory { get; }

    public string DbPath => Path.Combine(Directory, "board.duckdb");

    /// <summary>Starts the board on its own simulator (no live data until <see cref="PublishAsync"/>); <paramref name="feed"/>
    /// <c>FromStartOfDay</c> seeds it with the day so far (the always-open simulator's day since midnight KST).</summary>
    public static async Task<LiveBoard> StartAsync(CancellationToken ct, FeedOptions? feed = null)
    {
        KisSimulator sim = await KisSimulator.StartAsync(ClientTestKit.Sim with { UpdatesPerSecond = 0 }, ct);
        string dir = System.IO.Directory.CreateTempSubdirectory("kisfeed-web-").FullName;
        ServeHost host = await ServeHost.StartLiveAsync(ClientTestKit.Options(sim), "Demo: test simulator — simulated data", simulated: true,
            Codes, VenueExtensions.All, Path.Combine(dir, "board.duckdb"), WebBoardOptions.Default with { Port = 0 }, feed ?? FeedOptions.Default, ct);
        return new LiveBoard(sim, host, dir);
    }

    /// <summary>
    /// Publishes one update per venue of every code (once every registration is in place) and waits until the board has
    /// them all: per code one KRX, one NXT and two unified records (the unified TR gets one per KRX and per NXT update).
    /// </summary>
    public async Task PublishAsync(CancellationToken ct)
    {
        await ClientTestKit.WaitUntilAsync(() => Sim.Sessions.Sum(s => s.Registrations.Count) == Codes.Length * 3, ct, "every registration is in place");
        long before = Host.Server.Board.Seq - Host.Server.Board.GapCount;
        long expected = Codes.Length * 4;
        Sim.PublishNow(1);
        await ClientTestKit.WaitUntilAsync(() => Host.Server.Board.Seq - Host.Server.Board.GapCount >= before + expected, ct, $"the board got the {expected} published records");
    }

    /// <summary>The last record the simulator sent per (TR id, code): the truth the page must show.</summary>
    public Dictionary<(Venue, string), (long Buy, long Sell, long Net)> LastSent()
    {
        Dictionary<(Venue, string), (long, long, long)> last = [];
        foreach (SimulatorLedgerEntry e in Sim.GetLedger())
        {
            if (VenueExtensions.TryFromProgramTradeTrId(e.TrId, out Venue v))
            {
                last[(v, e.Code)] = (long.Parse(e.Fields[5], System.Globalization.CultureInfo.InvariantCulture),
                    long.Parse(e.Fields[3], System.Globalization.CultureInfo.InvariantCulture),
                    long.Parse(e.Fields[7], System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return last;
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Sim.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A writer that lets a test wait for the first line while the command keeps running.</summary>
internal sealed class FirstLineWriter : StringWriter
{
    private readonly TaskCompletionSource<string> _first = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override void Write(char value)
    {
        lock (this)
        {
            base.Write(value);
            string text = ToString();
            int newline = text.IndexOf('\n', StringComparison.Ordinal);
            if (newline >= 0)
            {
                _first.TrySetResult(text[..newline].TrimEnd('\r'));
            }
        }
    }

    public override void Write(string? value)
    {
        foreach (char c in value ?? "")
        {
            Write(c);
        }
    }

    public override void WriteLine(string? value)
    {
        Write(value);
        Write('\n');
    }

    public override Task WriteLineAsync(string? value)
    {
        WriteLine(value);
        return Task.CompletedTask;
    }

    public override Task WriteAsync(string? value)
    {
        Write(value);
        return Task.CompletedTask;
    }

    public Task<string> FirstLineAsync(CancellationToken ct) => _first.Task.WaitAsync(TimeSpan.FromSeconds(20), ct);
}
