using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

using KisFeed.IntegrationTests.Nats;
using KisFeed.IntegrationTests.Reliability;
using KisFeed.Nats;
using KisFeed.Simulator;
using KisFeed.TestKit;

using NATS.Client.Core;
using NATS.Client.JetStream;

namespace KisFeed.Soak.Chaos;

/// <summary>
/// An hour (or a few minutes) of chaos against real processes, measured with one ledger: one shared `kisfeed simulate`
/// (demo keys, its ledger in a file), a 3-node JetStream cluster, gateways with <c>--replicas 3</c>, and a
/// `record --from nats://` recorder. Faults in rotation (<see cref="ChaosFaultKind"/>); then the market stops, the
/// recorder drains, and the recording is checked against the ledger.
/// </summary>
public sealed partial class ChaosScenario : IAsyncDisposable
{
    private static readonly string[] KnownCodes =
    [
        "005930", "000660", "373220", "207940", "005380", "000270", "068270", "035420", "105560", "055550",
        "012330", "051910", "006400", "028260", "003670", "032830", "066570", "096770", "034730", "015760",
    ];

    private readonly ChaosOptions _o;
    private readonly TextWriter _out;
    private readonly string _dir;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<ChaosProcess> _all = [];
    private readonly Dictionary<string, ChaosProcess> _current = [];
    private readonly Dictionary<string, List<(TimeSpan At, long Kb)>> _rss = [];
    private readonly List<string> _failures = [];
    private readonly List<ChaosFaultRecord> _faults = [];
    private readonly CancellationTokenSource _stopSampling = new();
    private IReadOnlyList<NatsServer> _nodes = [];
    private NatsConnection? _nats;
    private NatsJSContext _js = null!;
    private AppKeyLeaseStore _leases = null!;
    private NatsFeedOptions _feed = null!;
    private string _url = string.Empty;
    private string _rest = string.Empty;
    private string _db = string.Empty;
    private long _committed;
    private int _poisons;
    private int _unexpectedExits;

    private ChaosScenario(ChaosOptions options, TextWriter output)
    {
        _o = options;
        _out = output;
        _dir = options.Dir ?? Path.Combine(Path.GetTempPath(), "kisfeed-chaos-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Path.Combine(_dir, "logs"));
    }

    /// <summary>Runs the whole scenario and returns its report; every process it started is gone when this returns.</summary>
    public static async Task<ChaosReport> RunAsync(ChaosOptions options, TextWriter output, CancellationToken ct)
    {
        await using var s = new ChaosScenario(options, output);
        ChaosReport report;
        try
        {
            report = await s.RunCoreAsync(ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            s._failures.Add($"the scenario itself failed: {ex.GetType().Name}: {ex.Message}");
            s.Say(ex.ToString());
            report = s.Report(null, null, default, 0, 0);
        }

        if (!report.Passed || options.KeepDir)
        {
            s.Say($"work directory kept: {s._dir}");
        }

        return report;
    }

    private void Say(string line)
    {
        lock (_out)
        {
            _out.WriteLine($"{_clock.Elapsed:hh\\:mm\\:ss} {line}");
            _out.Flush();
        }
    }

    private void Fail(string what)
    {
        lock (_failures)
        {
            _failures.Add(what);
        }

        Say("CHECK FAILED: " + what);
    }

    private string LogOf(string name) => Path.Combine(_dir, "logs", name + ".log");

    private ChaosProcess StartCli(string name, IEnumerable<string> args, Action<string>? onLine = null)
    {
        ChaosProcess p = ChaosProcess.Start(name, _o.CliDll, args, LogOf(name), onLine);
        lock (_all)
        {
            _all.Add(p);
            _current[name] = p;
        }

        return p;
    }

    private async Task<ChaosReport> RunCoreAsync(CancellationToken ct)
    {
        if (!File.Exists(_o.CliDll))
        {
            throw new FileNotFoundException($"The CLI to run is missing: {_o.CliDll} (build src/KisFeed.Cli, or give --cli).");
        }

        Say($"chaos: {_o.Minutes} min, fault every {_o.FaultEverySeconds} s ({string.Join(", ", _o.Faults)}), {_o.Keys} keys, {_o.Codes} codes x 3 venues, {_o.Gateways} gateways, work dir {_dir}");

        // 1. The shared simulator, with its ledger in a file and the stall endpoint.
        string keysFile = Path.Combine(_dir, "keys.json");
        string ledger = Path.Combine(_dir, "ledger.tsv");
        var restUrl = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var keysWritten = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ChaosProcess sim = StartCli("sim",
        [
            "simulate", "--port", "0", "--demo-keys", I(_o.Keys), "--keys-file", keysFile, "--always-open", "--rate", D(_o.Rate),
            "--ping-interval", "1s", "--ping-timeout", "3s", "--ledger", ledger, "--admin",
        ], l =>
        {
            if (RestLine().Match(l) is { Success: true } m)
            {
                restUrl.TrySetResult(m.Groups[1].Value);
            }

            if (l.StartsWith("  Keys file : ", StringComparison.Ordinal))
            {
                keysWritten.TrySetResult();
            }
        });
        _rest = await WithDeadline(restUrl.Task, 60, "the simulator starts", ct);
        await WithDeadline(keysWritten.Task, 30, "the simulator writes its keys file", ct);
        using JsonDocument keysDoc = JsonDocument.Parse(await File.ReadAllTextAsync(keysFile, ct));
        string[] keyIds = [.. keysDoc.RootElement.GetProperty("keys").EnumerateArray().Select(k => AppKeyCredential.IdOf(k.GetProperty("appkey").GetString()!))];

        // 2. Three JetStream nodes, the stream and the desired registrations.
        _nodes = await NatsServer.StartClusterAsync(3, ct, "kisfeed-chaos");
        _url = string.Join(',', _nodes.Select(n => n.Url));
        Say($"nats cluster {_url}; simulator {_rest}");
        _feed = NatsFeedOptions.Default with { Replicas = 3, LeaseTtl = _o.LeaseTtl, KisSilentSessionLifetime = _o.KisSilentLifetime, LeaseRenewInterval = _o.RenewInterval };
        _nats = new NatsConnection(NatsOpts.Default with { Url = _url, Name = "kisfeed-chaos", RequestTimeout = TimeSpan.FromSeconds(5) });
        _js = new NatsJSContext(_nats);
        await RetryAsync(() => FeedPublisher.EnsureStreamAsync(_js, _feed, ct), "create the stream", ct);
        _leases = await RetryAsync(() => AppKeyLeaseStore.OpenAsync(_js, _feed, ct), "open the lease bucket", ct);
        Registration[] registrations = [.. KnownCodes.Take(_o.Codes).SelectMany(c => VenueExtensions.All.Select(v => new Registration(v, c)))];
        DesiredRegistrations desired = await RetryAsync(() => DesiredRegistrations.OpenOrCreateAsync(_js, _feed, ct), "open the desired registrations", ct);
        await RetryAsync(async () => { await desired.AddAsync(registrations, ct); return true; }, "add the registrations", ct);
        IReadOnlyDictionary<string, IReadOnlyList<Registration>> assignment = RegistrationAssignment.Assign(registrations, keyIds, 41, out _);
        int keysWithWork = assignment.Count(a => a.Value.Count > 0);

        // 3. Gateways and the recorder.
        for (int i = 1; i <= _o.Gateways; i++)
        {
            StartGateway($"gw{i}", keysFile);
        }

        _db = Path.Combine(_dir, "recorded.duckdb");
        StartRecorder();
        await WaitAsync(async () =>
        {
            IReadOnlyDictionary<string, string> holders = await _leases.HoldersAsync(ct);
            return holders.Count == keysWithWork && holders.Values.Distinct().Count() >= Math.Min(keysWithWork, _o.Gateways);
        }, 120, $"{keysWithWork} keys with work are held, spread over the gateways", ct);
        await WaitAsync(() => Task.FromResult(Interlocked.Read(ref _committed) > 0), 60, "the recorder commits", ct);
        Say($"steady: {keysWithWork} keys held by {(await _leases.HoldersAsync(ct)).Values.Distinct().Count()} gateways, recorder committing; faults start");

        // RSS from here: start-up is not the baseline.
        using Task sampling = Task.Run(() => SampleRssAsync(_stopSampling.Token), CancellationToken.None);

        // 4. Faults in rotation until the time is up.
        var end = _clock.Elapsed + TimeSpan.FromMinutes(_o.Minutes);
        int n = 0;
        while (_clock.Elapsed < end)
        {
            TimeSpan slot = _clock.Elapsed;
            ChaosFaultKind kind = _o.Faults[n % _o.Faults.Count];
            await RunFaultAsync(kind, n, keysFile, ct);
            n++;
            await CheckUnexpectedExitsAsync(keysFile);
            TimeSpan next = slot + TimeSpan.FromSeconds(_o.FaultEverySeconds);
            TimeSpan wait = (next < end ? next : end) - _clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, ct);
            }
        }

        // 5. Stop the market once everything is back, let the recorder drain, stop everything.
        Say("faults over; waiting for every key to be held again");
        await CheckUnexpectedExitsAsync(keysFile);
        await WaitAsync(async () => (await _leases.HoldersAsync(ct)).Count == keysWithWork, 120, "every key with work is held again", ct);
        SimulatorLedgerFile.Status atStall = await StallAsync(ct);
        Say($"market stopped: {atStall.RecordsSent:N0} records sent, OPSP8996 {atStall.AlreadyInUseReplies}, most sessions on one key {atStall.MostSessionsOnOneKey}");
        ulong last = 0;
        await WaitAsync(async () =>
        {
            ulong now = (await _js.GetStreamAsync(_feed.StreamName, cancellationToken: ct)).Info.State.LastSeq;
            bool drained = now == last && (ulong)Interlocked.Read(ref _committed) >= now;
            last = now;
            return drained;
        }, 120, "the recorder commits the whole stream", ct, every: TimeSpan.FromSeconds(3));
        Say($"drained at stream seq {last}");
        await CheckUnexpectedExitsAsync(keysFile);
        await _stopSampling.CancelAsync();
        await sampling;
        foreach (ChaosProcess p in Current().Where(p => p.Name != "sim"))
        {
            await p.StopAsync(TimeSpan.FromSeconds(20));
        }

        await sim.StopAsync(TimeSpan.FromSeconds(20));

        // 6. The checks.
        (List<SimulatorLedgerEntry> sent, SimulatorLedgerFile.Status? final) = SimulatorLedgerFile.Read(ledger);
        (List<RecordedDb.Row> rows, List<DataGapEventArgs> gaps, _) = RecordedDb.Read(_db);
        long rejected = CountRejected(_db);
        LedgerCheck.Result result = LedgerCheck.Compare(LedgerCheck.Distinct(sent), rows.Select(r => r.Trade), gaps);
        Say("ledger check: " + result);
        if (!result.Holds)
        {
            Fail("the recording is not the ledger minus the reported gaps plus the healed rows: " + result);
        }

        int seqDuplicates = rows.Count - rows.Select(r => r.StreamSeq).Distinct().Count();
        if (seqDuplicates > 0)
        {
            Fail($"{seqDuplicates} stream sequences recorded twice");
        }

        if (atStall.AlreadyInUseReplies > 0)
        {
            Fail($"the simulator refused {atStall.AlreadyInUseReplies} session(s) with OPSP8996: a second session was tried on a key in use");
        }

        if (atStall.MostSessionsOnOneKey > 1)
        {
            Fail($"{atStall.MostSessionsOnOneKey} sessions were bound to one key at once");
        }

        if (rejected < _poisons)
        {
            Fail($"{_poisons} poison messages published, {rejected} kept in the recording's rejected table");
        }

        foreach ((string name, List<(TimeSpan At, long Kb)> series) in _rss)
        {
            if (series.Count > 0 && series.Max(s => s.Kb) > _o.RssLimitMb * 1024)
            {
                Fail($"{name} RSS reached {series.Max(s => s.Kb) / 1024} MB (limit {_o.RssLimitMb} MB)");
            }
        }

        return Report(result, rows, final ?? atStall, gaps.Count, rejected, gaps);
    }

    private ChaosReport Report(LedgerCheck.Result? result, List<RecordedDb.Row>? rows, SimulatorLedgerFile.Status? status, int gapCount, long rejected, List<DataGapEventArgs>? gaps = null)
    {
        TimeSpan? worstTakeover = _faults.Where(f => f.Takeover is not null).Select(f => f.Takeover!.Value).DefaultIfEmpty().Max();
        TimeSpan? worstElection = _faults.Where(f => f.LeaderElection is not null).Select(f => f.LeaderElection!.Value).DefaultIfEmpty().Max();
        TimeSpan worstGap = gaps is { Count: > 0 } ? gaps.Max(g => g.To - g.From) : TimeSpan.Zero;
        var rss = _rss.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => new ChaosRss(kv.Key, kv.Value.FirstOrDefault().Kb, kv.Value.LastOrDefault().Kb, kv.Value.Count == 0 ? 0 : kv.Value.Max(s => s.Kb), kv.Value.Count)).ToList();
        return new ChaosReport(
            _o,
            [.. _failures],
            [.. _faults],
            result?.Sent ?? 0,
            rows?.Count(r => r.Trade.Source == TradeSource.WebSocket) ?? 0,
            rows?.Count(r => r.Trade.Source == TradeSource.Rest) ?? 0,
            gapCount,
            result?.MissingInsideGaps ?? 0,
            worstTakeover,
            worstElection,
            worstGap,
            status?.AlreadyInUseReplies ?? -1,
            status?.MostSessionsOnOneKey ?? -1,
            _poisons,
            rejected,
            _unexpectedExits,
            rss,
            _clock.Elapsed);
    }

    private static long CountRejected(string db)
    {
        using var c = new DuckDB.NET.Data.DuckDBConnection($"Data Source={db};ACCESS_MODE=READ_ONLY");
        c.Open();
        using DuckDB.NET.Data.DuckDBCommand cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM rejected";
        return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private IEnumerable<ChaosProcess> Current()
    {
        lock (_all)
        {
            return [.. _current.Values];
        }
    }

    private void StartGateway(string id, string keysFile) => StartCli(id,
    [
        "gateway", "--nats", _url, "--app-keys", keysFile, "--id", id, "--replicas", "3",
        "--lease-ttl", S(_o.LeaseTtl), "--kis-silent-lifetime", S(_o.KisSilentLifetime), "--renew-interval", S(_o.RenewInterval),
    ]);

    private void StartRecorder()
    {
        StartCli("recorder", ["record", "all", "--venue", "all", "--from", _url, "--db", _db], l =>
        {
            if (CommittedLine().Match(l) is { Success: true } m)
            {
                Interlocked.Exchange(ref _committed, long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
            }
        });
    }

    /// <summary>A process that exited without the scenario killing it is a failure; it is started again so the run goes on.</summary>
    private async Task CheckUnexpectedExitsAsync(string keysFile)
    {
        foreach (ChaosProcess p in Current().Where(p => p.HasExited && !p.Expected))
        {
            _unexpectedExits++;
            Fail($"{p.Name} (pid {p.Pid}) exited by itself, rc {p.ExitCode}:\n{p.Tail}");
            p.Expected = true;
            if (p.Name.StartsWith("gw", StringComparison.Ordinal))
            {
                StartGateway(p.Name, keysFile);
            }
            else if (p.Name == "recorder")
            {
                StartRecorder();
            }
        }

        await Task.CompletedTask;
    }

    private async Task<SimulatorLedgerFile.Status> StallAsync(CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using HttpResponseMessage r = await http.PostAsync(new Uri($"{_rest}/simulator/stall?on=true"), null, ct);
        r.EnsureSuccessStatusCode();
        return (await r.Content.ReadFromJsonAsync<SimulatorLedgerFile.Status>(new JsonSerializerOptions(JsonSerializerDefaults.Web), ct))!;
    }

    private async Task SampleRssAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var samples = new List<(string Name, long? Kb)>();
            samples.AddRange(Current().Select(p => (p.Name, p.RssKb())));
            samples.AddRange(_nodes.Select(n => (n.Name, ChaosProcess.ReadRssKb(n.Pid))));
            samples.Add(("soak", ChaosProcess.ReadRssKb(Environment.ProcessId)));
            lock (_rss)
            {
                foreach ((string name, long? kb) in samples)
                {
                    if (kb is { } v)
                    {
                        if (!_rss.TryGetValue(name, out List<(TimeSpan, long)>? list))
                        {
                            _rss[name] = list = [];
                        }

                        list.Add((_clock.Elapsed, v));
                    }
                }
            }

            try
            {
                await Task.Delay(TimeSpan.FromSeconds(_o.RssEverySeconds), ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static async Task<T> WithDeadline<T>(Task<T> task, double seconds, string what, CancellationToken ct)
    {
        try
        {
            return await task.WaitAsync(TimeSpan.FromSeconds(seconds), ct);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Timed out after {seconds} s waiting until {what}.");
        }
    }

    private static async Task WithDeadline(Task task, double seconds, string what, CancellationToken ct)
    {
        try
        {
            await task.WaitAsync(TimeSpan.FromSeconds(seconds), ct);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Timed out after {seconds} s waiting until {what}.");
        }
    }

    /// <summary>Polls <paramref name="condition"/> (NATS errors count as "not yet") until it holds; false after the deadline.</summary>
    private async Task<bool> TryWaitAsync(Func<Task<bool>> condition, double seconds, CancellationToken ct, TimeSpan? every = null)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            try
            {
                if (await condition())
                {
                    return true;
                }
            }
            catch (Exception ex) when (ex is NatsException or TimeoutException or HttpRequestException)
            {
            }

            await Task.Delay(every ?? TimeSpan.FromMilliseconds(200), ct);
        }

        return false;
    }

    private async Task WaitAsync(Func<Task<bool>> condition, double seconds, string what, CancellationToken ct, TimeSpan? every = null)
    {
        if (!await TryWaitAsync(condition, seconds, ct, every))
        {
            throw new TimeoutException($"Timed out after {seconds} s waiting until {what}.");
        }
    }

    private static async Task<T> RetryAsync<T>(Func<Task<T>> call, string what, CancellationToken ct)
    {
        for (int i = 0; ; i++)
        {
            try
            {
                return await call();
            }
            catch (Exception ex) when (i < 150 && ex is NatsException or TimeoutException)
            {
                await Task.Delay(200, ct);
            }
            catch (Exception ex) when (ex is NatsException or TimeoutException)
            {
                throw new TimeoutException($"Could not {what} in 30 s: {ex.Message}", ex);
            }
        }
    }

    private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);

    private static string D(double v) => v.ToString(CultureInfo.InvariantCulture);

    private static string S(TimeSpan t) => t.TotalSeconds.ToString(CultureInfo.InvariantCulture) + "s";

    [GeneratedRegex(@"REST      : (http://[^\s]+)")]
    private static partial Regex RestLine();

    [GeneratedRegex(@"committed stream seq (\d+)")]
    private static partial Regex CommittedLine();

    public async ValueTask DisposeAsync()
    {
        await _stopSampling.CancelAsync();
        foreach (ChaosProcess p in _all)
        {
            p.Dispose();
        }

        if (_nats is not null)
        {
            await _nats.DisposeAsync();
        }

        foreach (NatsServer node in _nodes)
        {
            await node.DisposeAsync();
        }

        _stopSampling.Dispose();
        if (_failures.Count == 0 && !_o.KeepDir && _o.Dir is null)
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
}
