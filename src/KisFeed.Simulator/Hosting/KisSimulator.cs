using System.Collections.Concurrent;
using System.Net;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KisFeed.Simulator;

/// <summary>
/// A KIS-compatible real-time server hosted in-process (Kestrel): <c>POST /oauth2/Approval</c>, the REST calls of the
/// protocol notes §14–15 and the WebSocket endpoint (any path) with KIS control replies, PINGPONG, program-trading data
/// frames and fault hooks. Its market is a function of (seed, stock, venue, date, second) (<see cref="Market"/>).
/// Written from the protocol notes (kis-protocol.md), independently of the KisFeed client.
/// </summary>
public sealed partial class KisSimulator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<long, SimulatorSession> _sessions = new();
    private readonly ConcurrentDictionary<long, List<SimulatorLedgerEntry>> _ledgers = new();
    private readonly ConcurrentDictionary<string, ApprovalRecord> _approvalKeys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue<DateTimeOffset>> _approvalTimes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _appKeyLockedUntil = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _unservedWarned = new(StringComparer.Ordinal);
    private readonly Lock _bindGate = new();
    private readonly Lock _tickGate = new();
    private readonly MarketFeed _feed;
    private readonly CancellationTokenSource _shutdown = new();
    private ITimer? _tickTimer;
    private ITimer? _ledgerStatusTimer;
    private SimulatorLedgerFile? _ledgerFile;
    private int _mostSessionsOnOneKey;
    private volatile TaskCompletionSource _stallGate = NewOpenGate();
    private long _nextSessionId;
    private long _approvalsIssued;
    private long _framesSent;
    private long _recordsSent;
    private long _pingsSent;
    private long _unsolicitedPongs;
    private long _alreadyInUseReplies;
    private int _disposed;

    private KisSimulator(SimulatorOptions options, WebApplication app)
    {
        Options = options;
        _app = app;
        Logger = options.LoggerFactory?.CreateLogger<KisSimulator>() ?? NullLogger<KisSimulator>.Instance;
        _feed = new MarketFeed(new MarketModel(options.Seed, options.Hours, options.Universe), new StepPlan(options.Seed, options.UpdatesPerSecond));
        Market = new SimulatedMarket(_feed);
    }

    /// <summary>The options the simulator runs with.</summary>
    public SimulatorOptions Options { get; }

    /// <summary>REST base address, e.g. <c>http://127.0.0.1:54321</c> (POST <c>/oauth2/Approval</c> lives here).</summary>
    public Uri RestBaseUri { get; private set; } = null!;

    /// <summary>WebSocket address, e.g. <c>ws://127.0.0.1:54321</c>; any path (<c>/tryitout</c>, <c>/tryitout/H0NXPGM0</c>) works.</summary>
    public Uri WebSocketUri { get; private set; } = null!;

    /// <summary>Live WebSocket sessions.</summary>
    public int ActiveSessionCount => _sessions.Count;

    /// <summary>Snapshots of the live sessions, ordered by id.</summary>
    public IReadOnlyList<SimulatorSessionInfo> Sessions => [.. _sessions.Values.OrderBy(s => s.Id).Select(s => s.Snapshot())];

    /// <summary>Approval keys issued since start.</summary>
    public long ApprovalsIssued => Interlocked.Read(ref _approvalsIssued);

    /// <summary>Data frames written to sockets since start (all sessions).</summary>
    public long FramesSent => Interlocked.Read(ref _framesSent);

    /// <summary>Data records written to sockets since start (all sessions).</summary>
    public long RecordsSent => Interlocked.Read(ref _recordsSent);

    /// <summary>PINGPONG frames written since start (all sessions).</summary>
    public long PingsSent => Interlocked.Read(ref _pingsSent);

    /// <summary>
    /// <c>OPSP8996 ALREADY IN USE appkey</c> replies sent since start: a session tried to bind an app key that another live
    /// session (or a lock) held. Zero means no app key ever had two live sessions.
    /// </summary>
    public long AlreadyInUseReplies => Interlocked.Read(ref _alreadyInUseReplies);

    /// <summary>The most sessions bound to one app key at the same moment since start (1 once any session bound; never more if the one-session rule holds).</summary>
    public int MostSessionsOnOneKey => Volatile.Read(ref _mostSessionsOnOneKey);

    /// <summary>The counters <see cref="SimulatorOptions.LedgerFile"/> writes in its status lines, now.</summary>
    public SimulatorLedgerFile.Status LedgerStatus() => new(Time.GetUtcNow(), RecordsSent, AlreadyInUseReplies, MostSessionsOnOneKey, ActiveSessionCount);

    internal SimulatorLedgerFile? LedgerFile => _ledgerFile;

    /// <summary>
    /// The TR ids this simulator produces data for (program trading: KRX, NXT, unified; index program trading). Other
    /// documented real-time TR ids are answered SUBSCRIBE SUCCESS, as KIS would, but stay silent (a warning is logged
    /// once per TR).
    /// </summary>
    public static IReadOnlyList<string> ServedTrIds { get; } = [TrIds.Krx, TrIds.Nxt, TrIds.Unified, TrIds.Index];

    /// <summary>
    /// The market this simulator serves, for tests: the state of any stock or index at any instant and the ranking by
    /// traded value, as its frames and REST replies show them (the updates <see cref="PublishNow(int)"/> forced included).
    /// </summary>
    public SimulatedMarket Market { get; }

    /// <summary>Whether <see cref="Stall"/> is on.</summary>
    public bool IsStalled => !_stallGate.Task.IsCompleted;

    internal ILogger Logger { get; }

    internal TimeProvider Time => Options.TimeProvider;

    /// <summary>Starts a simulator and returns once it listens.</summary>
    /// <param name="options">Options; <see langword="null"/> = <see cref="SimulatorOptions.Default"/>.</param>
    /// <param name="ct">Cancels the start.</param>
    public static async Task<KisSimulator> StartAsync(SimulatorOptions? options = null, CancellationToken ct = default)
    {
        options ??= SimulatorOptions.Default;
        options.Validate();
        IPAddress address = IPAddress.Parse(options.Host);

        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(KisSimulator).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });
        builder.Logging.ClearProviders();
        if (options.LoggerFactory is { } loggerFactory)
        {
            builder.Services.AddSingleton(loggerFactory);
        }

        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.WebHost.ConfigureKestrel(k => k.Listen(address, options.Port));
        WebApplication app = builder.Build();
        var sim = new KisSimulator(options, app);
        if (options.LedgerFile is { } ledgerFile)
        {
            sim._ledgerFile = new SimulatorLedgerFile(ledgerFile);
        }

        app.MapPost("/oauth2/Approval", sim.HandleApprovalAsync);
        sim.MapRest(app);
        if (options.AdminEndpoints)
        {
            sim.MapAdmin(app);
        }

        app.MapFallback(sim.HandleFallbackAsync);

        await app.StartAsync(ct).ConfigureAwait(false);
        string bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var rest = new Uri(bound);
        sim.RestBaseUri = new Uri($"http://{options.Host}:{rest.Port}");
        sim.WebSocketUri = new Uri($"ws://{options.Host}:{rest.Port}");
        if (sim._ledgerFile is not null)
        {
            sim._ledgerStatusTimer = options.TimeProvider.CreateTimer(static s => ((KisSimulator)s!).WriteLedgerStatus(), sim, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        }

        if (options.UpdatesPerSecond > 0)
        {
            sim._tickTimer = options.TimeProvider.CreateTimer(static s => ((KisSimulator)s!).TickSafe(null), sim, options.TickInterval, options.TickInterval);
        }

        Log.Started(sim.Logger, sim.RestBaseUri.GetLeftPart(UriPartial.Authority), sim.WebSocketUri.GetLeftPart(UriPartial.Authority));
        return sim;
    }

    /// <summary>Aborts all sessions and stops the server.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _tickTimer?.Dispose();
        await _shutdown.CancelAsync().ConfigureAwait(false);
        Stall(false);
        foreach (SimulatorSession s in _sessions.Values)
        {
            s.Abort();
        }

        using var stopCts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _app.StopAsync(stopCts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        await _app.DisposeAsync().ConfigureAwait(false);
        if (_ledgerStatusTimer is { } statusTimer)
        {
            await statusTimer.DisposeAsync().ConfigureAwait(false);
        }

        WriteLedgerStatus();
        _ledgerFile?.Dispose();
        _shutdown.Dispose();
    }

    private void WriteLedgerStatus() => _ledgerFile?.WriteStatus(LedgerStatus());

    /// <summary>Test endpoints (<see cref="SimulatorOptions.AdminEndpoints"/>): the ledger status, stall on/off, drop every session.</summary>
    private void MapAdmin(WebApplication app)
    {
        app.MapGet("/simulator/status", () => Microsoft.AspNetCore.Http.Results.Json(LedgerStatus()));
        app.MapPost("/simulator/stall", (bool on) =>
        {
            Stall(on);
            SimulatorLedgerFile.Status status = LedgerStatus();
            _ledgerFile?.WriteStatus(status);
            return Microsoft.AspNetCore.Http.Results.Json(status);
        });
        app.MapPost("/simulator/drop", async (string? mode) =>
        {
            DropMode? drop = mode switch
            {
                null or "abort" => DropMode.Abort,
                "close-normal" => DropMode.CloseNormal,
                "close-error" => DropMode.CloseError,
                _ => null,
            };
            if (drop is not { } m)
            {
                return Microsoft.AspNetCore.Http.Results.BadRequest($"mode '{mode}': use abort, close-normal or close-error.");
            }

            int sessions = ActiveSessionCount;
            await DropAllSessionsAsync(m).ConfigureAwait(false);
            return Microsoft.AspNetCore.Http.Results.Json(new { dropped = sessions });
        });
    }

    internal Task WaitWhileStalledAsync(CancellationToken ct) => _stallGate.Task.WaitAsync(ct);

    internal void CountPing() => Interlocked.Increment(ref _pingsSent);

    /// <summary>Logs, once per TR id for the simulator's lifetime, that a subscribed TR will get no data.</summary>
    internal void WarnUnservedOnce(string trId)
    {
        if (_unservedWarned.TryAdd(trId, 0))
        {
            Log.UnservedTr(Logger, trId, string.Join(", ", ServedTrIds));
        }
    }

    internal void CountUnsolicitedPong() => Interlocked.Increment(ref _unsolicitedPongs);

    /// <summary>PONG frames from clients that did not carry the PINGPONG JSON (e.g. .NET keep-alive).</summary>
    internal long UnsolicitedPongsReceived => Interlocked.Read(ref _unsolicitedPongs);

    internal void CountData(int records)
    {
        Interlocked.Increment(ref _framesSent);
        Interlocked.Add(ref _recordsSent, records);
    }

    private static TaskCompletionSource NewOpenGate()
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        tcs.SetResult();
        return tcs;
    }
}
