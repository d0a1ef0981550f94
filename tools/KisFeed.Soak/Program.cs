using System.Diagnostics;
using System.Globalization;
using System.Text;

using KisFeed;
using KisFeed.Simulator;
using KisFeed.Storage;

// Soak: the recorder (KisFeed.Storage) fed by KisRealtimeClient from an in-process KisSimulator at a high rate,
// with a fault every --fault-every seconds (abort, close 1011, stall past the watchdog, malformed frames, approval
// key invalidated + drop). Prints a line per --report-every seconds; exits 1 if the stream died or memory grew.
//
//   dotnet run -c Release --project tools/KisFeed.Soak -- --minutes 30 --codes 20 --rate 50 --fault-every 20
// Chaos: `KisFeed.Soak chaos --minutes 60 …` (see Chaos/ and README.md): real processes, one ledger.
if (args is ["chaos", ..])
{
    return await KisFeed.Soak.Chaos.ChaosMain.RunAsync(args[1..]);
}

var opts = SoakOptions.Parse(args);
var memory = new List<double>();
long faultCount = 0;
string db = opts.Db ?? Path.Combine(Path.GetTempPath(), $"kisfeed-soak-{Environment.ProcessId}.duckdb");
File.Delete(db);
File.Delete(db + ".wal");

await using KisSimulator sim = await KisSimulator.StartAsync(SimulatorOptions.Default with
{
    UpdatesPerSecond = opts.Rate,
    TickInterval = TimeSpan.FromMilliseconds(50),
    ApprovalRateLimitPerSecond = 0,
    PingInterval = TimeSpan.FromSeconds(2),
    LedgerCapacityPerSession = 0, // the ledger is for tests; a soak must not grow it
    AppKeyLockAfterAbnormalClose = TimeSpan.FromSeconds(opts.LockSeconds),
});

string[] codes = [.. Enumerable.Range(0, opts.Codes).Select(i => (5930 + (i * 7)).ToString("D6", CultureInfo.InvariantCulture))];
Venue[] venues = [Venue.Krx, Venue.Nxt, Venue.Unified];
var options = KisOptions.Default with
{
    AppKey = SimulatorCredential.Demo.AppKey,
    AppSecret = SimulatorCredential.Demo.AppSecret,
    WebSocketUri = new Uri(sim.WebSocketUri, "/tryitout"),
    RestUri = sim.RestBaseUri,
    IdleTimeout = TimeSpan.FromSeconds(3),
    ReplyTimeout = TimeSpan.FromSeconds(3),
    Reconnect = ReconnectPolicy.Default with
    {
        InitialDelay = TimeSpan.FromMilliseconds(200),
        MaxDelay = TimeSpan.FromSeconds(5),
        MinimumGap = TimeSpan.FromMilliseconds(200),
        AppKeyInUseDelay = TimeSpan.FromSeconds(opts.LockSeconds),
    },
};

await using var client = new KisRealtimeClient(options);
await using ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(db);
long gapCount = 0, rejected = 0;
client.DataGap += (_, _) => Interlocked.Increment(ref gapCount);
client.FrameRejected += (_, _) => Interlocked.Increment(ref rejected);

using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(opts.Minutes));
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

Console.WriteLine($"soak: {opts.Minutes} min, {codes.Length} codes x 3 venues, {opts.Rate}/s each, fault every {opts.FaultEverySeconds} s, lock {opts.LockSeconds} s, db {db}");
Console.WriteLine("elapsed   state        sim_sent   recorded  reconnects gaps drops rejected faults  ws_MiB  heap_MiB");
var clock = Stopwatch.StartNew();
var faults = FaultLoopAsync(stop.Token);
var report = ReportLoopAsync(stop.Token);
// The recording stops only after the simulator went quiet and the consumer's buffer is drained, so the final
// counts compare what was sent with what was stored (not with what was still in flight).
using var stopRecording = new CancellationTokenSource();
Task<long> recording = recorder.RecordAsync(client, Registration.Of(codes, venues), cancellationToken: stopRecording.Token); // trades and gaps, in-band
try
{
    await Task.WhenAny(recording, Task.Delay(Timeout.Infinite, stop.Token));
}
catch (OperationCanceledException)
{
}

await faults;
await report;
sim.Stall(true);
var drain = Stopwatch.StartNew();
while (drain.Elapsed < TimeSpan.FromSeconds(10) && !recording.IsCompleted)
{
    recorder.Flush();
    KisClientStatistics s = client.GetStatistics();
    if (recorder.Statistics.RecordsWritten + s.RecordsDropped >= s.RecordsReceived)
    {
        break;
    }

    await Task.Delay(100);
}

await stopRecording.CancelAsync();
try
{
    await recording;
}
catch (OperationCanceledException)
{
}

recorder.Flush();
Print();
KisClientStatistics final = client.GetStatistics();
Console.WriteLine($"done: sim sent {sim.RecordsSent:N0} records, client received {final.RecordsReceived:N0}, recorded {recorder.Statistics.RecordsWritten:N0}, gaps {recorder.Statistics.GapsWritten}, reconnects {final.Reconnects}, drops {final.RecordsDropped}, rejected frames {final.RejectedFrames}, faults {faultCount}");
double firstHalf = memory.Take(memory.Count / 2).DefaultIfEmpty(0).Average();
double secondHalf = memory.Skip(memory.Count / 2).DefaultIfEmpty(0).Average();
Console.WriteLine($"memory: managed heap after GC avg first half {firstHalf:N1} MiB, second half {secondHalf:N1} MiB");
return 0;

async Task FaultLoopAsync(CancellationToken ct)
{
    int n = 0;
    using var timer = new PeriodicTimer(TimeSpan.FromSeconds(opts.FaultEverySeconds));
    try
    {
        while (await timer.WaitForNextTickAsync(ct))
        {
            switch (n++ % 5)
            {
                case 0:
                    await sim.DropAllSessionsAsync(DropMode.Abort);
                    break;
                case 1:
                    await sim.DropAllSessionsAsync(DropMode.CloseError);
                    break;
                case 2:
                    sim.Stall(true);
                    await Task.Delay(options.IdleTimeout + TimeSpan.FromSeconds(1), ct);
                    sim.Stall(false);
                    break;
                case 3:
                    foreach (byte[] f in Malformed())
                    {
                        await sim.SendRawAsync(f);
                    }

                    break;
                default:
                    sim.InvalidateApprovalKeys();
                    await sim.DropAllSessionsAsync(DropMode.CloseNormal);
                    break;
            }

            Interlocked.Increment(ref faultCount);
        }
    }
    catch (OperationCanceledException)
    {
    }
    finally
    {
        if (!ct.IsCancellationRequested)
        {
            sim.Stall(false);
        }
    }
}

async Task ReportLoopAsync(CancellationToken ct)
{
    using var timer = new PeriodicTimer(TimeSpan.FromSeconds(opts.ReportEverySeconds));
    try
    {
        while (await timer.WaitForNextTickAsync(ct))
        {
            Print();
        }
    }
    catch (OperationCanceledException)
    {
    }
}

void Print()
{
    KisClientStatistics c = client.GetStatistics();
    long heap = GC.GetTotalMemory(forceFullCollection: true);
    double heapMiB = heap / 1048576.0;
    memory.Add(heapMiB);
    using var p = Process.GetCurrentProcess();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{clock.Elapsed:hh\\:mm\\:ss}  {c.State,-11} {sim.RecordsSent,10} {recorder.Statistics.RecordsWritten,10} {c.Reconnects,10} {Interlocked.Read(ref gapCount),4} {c.RecordsDropped,5} {c.RejectedFrames,8} {Interlocked.Read(ref faultCount),6} {p.WorkingSet64 / 1048576.0,7:F1} {heapMiB,9:F1}"));
}

static IEnumerable<byte[]> Malformed()
{
    yield return [.. "0|H0STPGM0|001|005930^1"u8, 0xFF, 0xFE];
    yield return "0|H0STPGM0|002|005930^100000^1^2^3^4^5^6^7^8^9"u8.ToArray();
    yield return "0|H0STPGM0|00"u8.ToArray();
    yield return "0|H0XXPGM0|001|005930^100000^1^2^3^4^5^6^7^8^9"u8.ToArray();
    yield return "{\"body\":{\"rt_cd\":\"9\",\"msg_cd\":\"OPSP9999\",\"msg1\":\"JSON PARSING ERROR : invalid json format\"}}"u8.ToArray();
    yield return Encoding.UTF8.GetBytes("garbage " + new string('x', 100));
}

internal sealed record SoakOptions(double Minutes, int Codes, double Rate, int FaultEverySeconds, int ReportEverySeconds, int LockSeconds, string? Db)
{
    public static SoakOptions Parse(string[] args)
    {
        string? Get(string name)
        {
            int i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }

        double D(string name, double d) => Get(name) is { } s ? double.Parse(s, CultureInfo.InvariantCulture) : d;
        return new SoakOptions(D("--minutes", 30), (int)D("--codes", 13), D("--rate", 80), (int)D("--fault-every", 20), (int)D("--report-every", 30), (int)D("--lock-seconds", 2), Get("--db"));
    }
}
