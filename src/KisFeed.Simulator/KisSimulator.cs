using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KisFeed.Simulator;

/// <summary>
/// A KIS-compatible real-time server hosted in-process (Kestrel): <c>POST /oauth2/Approval</c> and the WebSocket
/// endpoint (any path) with KIS control replies, PINGPONG, program-trading data frames and fault hooks.
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
    private readonly MarketModel _market;
    private readonly CancellationTokenSource _shutdown = new();
    private ITimer? _tickTimer;
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
        _market = new MarketModel(options.Seed, options.Hours, options.Rest.HistoryDepth);
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

    /// <summary>
    /// The TR ids this simulator produces data for (program trading: KRX, NXT, unified). Other documented real-time TR ids
    /// are answered SUBSCRIBE SUCCESS, as KIS would, but stay silent (a warning is logged once per TR).
    /// </summary>
    public static IReadOnlyList<string> ServedTrIds { get; } = [TrIds.Krx, TrIds.Nxt, TrIds.Unified];

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

        app.MapPost("/oauth2/Approval", sim.HandleApprovalAsync);
        sim.MapRest(app);
        app.MapFallback(sim.HandleFallbackAsync);

        await app.StartAsync(ct).ConfigureAwait(false);
        string bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var rest = new Uri(bound);
        sim.RestBaseUri = new Uri($"http://{options.Host}:{rest.Port}");
        sim.WebSocketUri = new Uri($"ws://{options.Host}:{rest.Port}");
        if (options.UpdatesPerSecond > 0)
        {
            sim._tickTimer = options.TimeProvider.CreateTimer(static s => ((KisSimulator)s!).TickSafe(null), sim, options.TickInterval, options.TickInterval);
        }

        Log.Started(sim.Logger, sim.RestBaseUri.GetLeftPart(UriPartial.Authority), sim.WebSocketUri.GetLeftPart(UriPartial.Authority));
        return sim;
    }

    /// <summary>Runs one market tick now (what the tick timer does): due updates are generated and sent.</summary>
    public void PublishNow() => TickSafe(null);

    /// <summary>
    /// Runs one tick in which every open venue of every subscribed stock makes exactly <paramref name="updatesPerVenue"/>
    /// updates (session hours still apply; a unified subscription gets one record per KRX and per NXT update).
    /// For deterministic tests with a fake clock and <see cref="SimulatorOptions.UpdatesPerSecond"/> = 0.
    /// </summary>
    public void PublishNow(int updatesPerVenue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(updatesPerVenue);
        TickSafe(updatesPerVenue);
    }

    /// <summary>Ends every live session and waits until they are gone.</summary>
    public async Task DropAllSessionsAsync(DropMode mode)
    {
        SimulatorSession[] sessions = [.. _sessions.Values];
        Log.Dropping(Logger, sessions.Length, mode);
        foreach (SimulatorSession s in sessions)
        {
            if (mode == DropMode.Abort)
            {
                s.Abort();
            }
            else
            {
                var status = mode == DropMode.CloseNormal ? WebSocketCloseStatus.NormalClosure : WebSocketCloseStatus.InternalServerError;
                if (!s.Enqueue(new Outgoing(OutKind.Close, default, CloseStatus: status)))
                {
                    continue;
                }

                // A client that never answers the close frame is cut after 5 s (simulator clock).
                _ = Task.Delay(TimeSpan.FromSeconds(5), Time, _shutdown.Token)
                    .ContinueWith(_ => s.Abort(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            }
        }

        await Task.WhenAll(sessions.Select(s => s.Ended)).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends <paramref name="bytes"/> as one TEXT frame to every live session, unvalidated (invalid UTF-8 such as 0xFF
    /// goes out as is, like the frames of notes §6/§10). Completes once written (after a <see cref="Stall"/> ends).
    /// </summary>
    public Task SendRawAsync(ReadOnlyMemory<byte> bytes)
    {
        byte[] copy = bytes.ToArray();
        var waits = new List<Task>();
        foreach (SimulatorSession s in _sessions.Values)
        {
            var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            s.Enqueue(new Outgoing(OutKind.Text, copy, Written: written));
            waits.Add(written.Task);
        }

        return Task.WhenAll(waits);
    }

    /// <summary>
    /// <see langword="true"/>: stop writing anything (data, PINGPONG, replies) while TCP stays open; no market data is
    /// generated meanwhile. <see langword="false"/>: resume (queued replies go out).
    /// </summary>
    public void Stall(bool stalled)
    {
        if (stalled)
        {
            if (!IsStalled)
            {
                _stallGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
        else
        {
            _stallGate.TrySetResult();
        }
    }

    /// <summary>
    /// Whether data for <paramref name="trId"/> flows now: it is one of <see cref="ServedTrIds"/> and its venue is in
    /// session at the simulator's clock (always, with <see cref="MarketHours.AlwaysOpen"/>).
    /// </summary>
    public bool IsOpenNow(string trId) => TrIds.TryGetVenue(trId, out Venue venue) && KoreaTime.IsOpen(Options.Hours, venue, Time.GetUtcNow());

    /// <summary>Every approval key issued so far answers OPSP0011 from now on, on live sessions too.</summary>
    public void InvalidateApprovalKeys()
    {
        foreach (KeyValuePair<string, ApprovalRecord> kv in _approvalKeys)
        {
            _approvalKeys[kv.Key] = kv.Value with { Invalidated = true };
        }
    }

    /// <summary>Every data record written so far, all sessions (including ended ones), in session then send order.</summary>
    public IReadOnlyList<SimulatorLedgerEntry> GetLedger() =>
        [.. _ledgers.OrderBy(kv => kv.Key).SelectMany(kv => Copy(kv.Value))];

    /// <summary>Every data record written to one session, in send order (empty for an unknown id).</summary>
    public IReadOnlyList<SimulatorLedgerEntry> GetLedger(long sessionId) =>
        _ledgers.TryGetValue(sessionId, out List<SimulatorLedgerEntry>? l) ? Copy(l) : [];

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
        _shutdown.Dispose();
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

    /// <summary>
    /// Checks the approval key of a message (notes §11 item 3). Natural expiry only stops a key from binding a NEW
    /// session: KIS uses the key once at connect (notes §1.1, "365일 내내"). <see cref="InvalidateApprovalKeys"/> hits
    /// every message. Binds the session to the key's app key at its first valid message; a second live session on the
    /// same app key (or a locked app key) gets OPSP8996 with rt_cd "9" (notes §4.3, §8.1).
    /// </summary>
    internal ControlReply? Authorize(SimulatorSession session, string? approvalKey, ref string? boundApprovalKey)
    {
        if (approvalKey is null || !_approvalKeys.TryGetValue(approvalKey, out ApprovalRecord? rec) || rec.Invalidated)
        {
            return ControlReply.InvalidApproval(approvalKey);
        }

        if (session.AppKey is not null)
        {
            if (approvalKey == boundApprovalKey)
            {
                return null;
            }

            if (rec.AppKey != session.AppKey || Expired(rec))
            {
                return ControlReply.InvalidApproval(approvalKey);
            }

            boundApprovalKey = approvalKey;
            return null;
        }

        if (Expired(rec))
        {
            return ControlReply.InvalidApproval(approvalKey);
        }

        lock (_bindGate)
        {
            bool lockedOut = _appKeyLockedUntil.TryGetValue(rec.AppKey, out DateTimeOffset until) && Time.GetUtcNow() < until;
            if (lockedOut || _sessions.Values.Any(s => s != session && s.AppKey == rec.AppKey))
            {
                Log.AlreadyInUse(Logger, session.Id, Redact.Key(rec.AppKey));
                Interlocked.Increment(ref _alreadyInUseReplies);
                return ControlReply.AlreadyInUse;
            }

            session.AppKey = rec.AppKey;
        }

        boundApprovalKey = approvalKey;
        Log.Bound(Logger, session.Id, Redact.Key(rec.AppKey));
        return null;
    }

    private bool Expired(ApprovalRecord rec) => Time.GetUtcNow() - rec.IssuedAt >= Options.ApprovalKeyLifetime;

    private static List<SimulatorLedgerEntry> Copy(List<SimulatorLedgerEntry> l)
    {
        lock (l)
        {
            return [.. l];
        }
    }

    private static TaskCompletionSource NewOpenGate()
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        tcs.SetResult();
        return tcs;
    }

    private void TickSafe(int? forced)
    {
        try
        {
            Tick(forced);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.TickFailed(Logger, ex);
        }
    }

    private void Tick(int? forced)
    {
        if (IsStalled || Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        lock (_tickGate)
        {
            SimulatorSession[] sessions = [.. _sessions.Values.OrderBy(s => s.Id)];
            var regs = sessions.Select(s => (Session: s, Regs: s.Registrations())).ToArray();
            var wanted = new HashSet<(Venue, string)>();
            foreach ((_, SimulatorRegistration[] rs) in regs)
            {
                foreach (SimulatorRegistration r in rs)
                {
                    if (TrIds.TryGetVenue(r.TrId, out Venue v))
                    {
                        wanted.Add((v, r.TrKey));
                    }
                }
            }

            if (wanted.Count == 0 && !_market.HasInstruments)
            {
                return;
            }

            double expected = Options.UpdatesPerSecond * Options.TickInterval.TotalSeconds;
            Dictionary<(Venue Venue, string Code), List<string[]>> produced = _market.Tick(Time.GetUtcNow(), wanted, expected, forced);
            foreach ((SimulatorSession session, SimulatorRegistration[] rs) in regs)
            {
                foreach (IGrouping<string, SimulatorRegistration> byTr in rs.GroupBy(r => r.TrId))
                {
                    if (!TrIds.TryGetVenue(byTr.Key, out Venue venue))
                    {
                        continue;
                    }

                    if (Options.MixCodesInFrames)
                    {
                        // Fault: all pending records of one TR for one session in ONE frame, whatever their codes.
                        var mixed = new List<string[]>();
                        foreach (SimulatorRegistration r in byTr)
                        {
                            if (produced.TryGetValue((venue, r.TrKey), out List<string[]>? list))
                            {
                                mixed.AddRange(list);
                            }
                        }

                        EnqueueData(session, byTr.Key, mixed);
                        continue;
                    }

                    // Default: the pending records of one (TR, code) go out together in one frame (notes §6 paging);
                    // codes never share a frame (no capture shows KIS doing that).
                    foreach (SimulatorRegistration r in byTr)
                    {
                        if (produced.TryGetValue((venue, r.TrKey), out List<string[]>? list))
                        {
                            EnqueueData(session, byTr.Key, list);
                        }
                    }
                }
            }
        }
    }

    private static void EnqueueData(SimulatorSession session, string trId, List<string[]> records)
    {
        // Split only beyond NNN = 999 (three digits on the wire).
        foreach (string[][] chunk in records.Chunk(999))
        {
            List<string[]> frameRecords = [.. chunk];
            session.Enqueue(new Outgoing(OutKind.Data, SimulatorSession.FormatDataFrame(trId, frameRecords), trId, frameRecords));
        }
    }

    private async Task HandleFallbackAsync(HttpContext context)
    {
        IHttpUpgradeFeature? upgrade = context.Features.Get<IHttpUpgradeFeature>();
        string? wsKey = context.Request.Headers["Sec-WebSocket-Key"];
        if (upgrade is not { IsUpgradableRequest: true }
            || !HttpMethods.IsGet(context.Request.Method)
            || !string.Equals(context.Request.Headers.Upgrade, "websocket", StringComparison.OrdinalIgnoreCase)
            || string.IsNullOrEmpty(wsKey))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        // Any path is accepted: the TR is chosen by the subscribe JSON, not the URL (notes §2).
        // The RFC 6455 handshake is done here (not by UseWebSockets) so the stream can be wrapped to see the client's
        // PING/PONG control frames. No RFC pings from the server: PINGPONG is the heartbeat (notes §5).
        context.Response.Headers.Connection = "Upgrade";
        context.Response.Headers.Upgrade = "websocket";
        context.Response.Headers["Sec-WebSocket-Accept"] = Convert.ToBase64String(
            System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.ASCII.GetBytes(wsKey + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
        Stream opaque = await upgrade.UpgradeAsync().ConfigureAwait(false);
        long id = Interlocked.Increment(ref _nextSessionId);
        SimulatorSession? session = null;
        var sniffer = new ControlFrameSniffer(opaque, (op, payload) => session?.OnControlFrame(op, payload));
        using WebSocket socket = WebSocket.CreateFromStream(sniffer, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
        var ledger = new List<SimulatorLedgerEntry>();
        _ledgers[id] = ledger;
        session = new SimulatorSession(this, id, context, socket, ledger);
        _sessions[id] = session;
        Log.SessionConnected(Logger, id, context.Connection.RemoteIpAddress?.ToString());
        bool clean = false;
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _shutdown.Token);
            clean = await session.RunAsync(cts.Token).ConfigureAwait(false);
        }
        finally
        {
            lock (_bindGate)
            {
                _sessions.TryRemove(id, out _);
                if (!clean && session.AppKey is { } appKey && Options.AppKeyLockAfterAbnormalClose > TimeSpan.Zero)
                {
                    // Notes §8.1/§10: after an abnormal close KIS keeps the app key "in use" for a while.
                    _appKeyLockedUntil[appKey] = Time.GetUtcNow() + Options.AppKeyLockAfterAbnormalClose;
                }
            }

            Log.SessionEnded(Logger, id, clean);
            session.MarkEnded();
            if (!clean)
            {
                context.Abort();
            }
        }
    }

    private async Task HandleApprovalAsync(HttpContext context)
    {
        // Notes §1.1: body {grant_type:"client_credentials", appkey, secretkey}. Error bodies are KIS gateway style
        // {"error_description":..., "error_code":"EGW…"}; HTTP 403 is seen for EGW00103/EGW00105/EGW00133 in
        // community reports; the other codes' status and texts are inferred.
        string? grantType = null, appKey = null, secret = null;
        try
        {
            using JsonDocument doc = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted).ConfigureAwait(false);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                grantType = Get(doc.RootElement, "grant_type");
                appKey = Get(doc.RootElement, "appkey");
                secret = Get(doc.RootElement, "secretkey");
            }
        }
        catch (JsonException)
        {
            await GatewayErrorAsync(context, "EGW00101", "유효하지 않은 요청입니다.", appKey).ConfigureAwait(false);
            return;
        }

        if (grantType != "client_credentials")
        {
            await GatewayErrorAsync(context, "EGW00101", "유효하지 않은 요청입니다.", appKey).ConfigureAwait(false);
            return;
        }

        if (string.IsNullOrEmpty(appKey))
        {
            await GatewayErrorAsync(context, "EGW00102", "AppKey는 필수입니다.", appKey).ConfigureAwait(false);
            return;
        }

        SimulatorCredential? cred = Options.Credentials.FirstOrDefault(c => c.AppKey == appKey);
        if (cred is null)
        {
            await GatewayErrorAsync(context, "EGW00103", "유효하지 않은 AppKey입니다.", appKey).ConfigureAwait(false);
            return;
        }

        if (string.IsNullOrEmpty(secret))
        {
            await GatewayErrorAsync(context, "EGW00104", "AppSecret은 필수입니다.", appKey).ConfigureAwait(false);
            return;
        }

        if (secret != cred.AppSecret)
        {
            await GatewayErrorAsync(context, "EGW00105", "유효하지 않은 AppSecret입니다.", appKey).ConfigureAwait(false);
            return;
        }

        if (!TryTakeApprovalSlot(appKey))
        {
            // Notes §1.1: 접속키 발급 초당 1건; no error string is documented (code/text inferred).
            await GatewayErrorAsync(context, "EGW00201", "초당 거래건수를 초과하였습니다.", appKey).ConfigureAwait(false);
            return;
        }

        string key = Guid.NewGuid().ToString(); // 36 characters, UUID-shaped like real keys (notes §1.1)
        _approvalKeys[key] = new ApprovalRecord(appKey, Time.GetUtcNow(), false);
        Interlocked.Increment(ref _approvalsIssued);
        Log.ApprovalIssued(Logger, Redact.Key(key), Redact.Key(appKey));
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json; charset=UTF-8";
        await context.Response.WriteAsync("{\"approval_key\":\"" + key + "\"}", context.RequestAborted).ConfigureAwait(false);

        static string? Get(JsonElement e, string name) =>
            e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    }

    private bool TryTakeApprovalSlot(string appKey) => TryTakeSlot(_approvalTimes, appKey, Options.ApprovalRateLimitPerSecond);

    /// <summary>A one-second sliding window per app key: true and counted when fewer than <paramref name="limit"/> calls fell in the last second (0: no limit).</summary>
    private bool TryTakeSlot(Dictionary<string, Queue<DateTimeOffset>> windows, string appKey, int limit)
    {
        if (limit <= 0)
        {
            return true;
        }

        DateTimeOffset now = Time.GetUtcNow();
        lock (windows)
        {
            if (!windows.TryGetValue(appKey, out Queue<DateTimeOffset>? q))
            {
                q = new Queue<DateTimeOffset>();
                windows[appKey] = q;
            }

            while (q.Count > 0 && now - q.Peek() >= TimeSpan.FromSeconds(1))
            {
                q.Dequeue();
            }

            if (q.Count >= limit)
            {
                return false;
            }

            q.Enqueue(now);
            return true;
        }
    }

    private async Task GatewayErrorAsync(HttpContext context, string code, string description, string? appKey)
    {
        Log.ApprovalRefused(Logger, code, Redact.Key(appKey));
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        context.Response.ContentType = "application/json; charset=UTF-8";
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("error_description", description);
            w.WriteString("error_code", code);
            w.WriteEndObject();
        }

        await context.Response.Body.WriteAsync(ms.ToArray(), context.RequestAborted).ConfigureAwait(false);
    }

    private sealed record ApprovalRecord(string AppKey, DateTimeOffset IssuedAt, bool Invalidated);
}
