using System.Threading.Channels;

using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;

using KisFeed.Simulator;
using KisFeed.Storage;

namespace KisFeed.Benchmarks;

/// <summary>
/// Simulator firehose → loopback WebSocket → client → one consumer, 41 registrations, all in this process.
/// Reported per record (OperationsPerInvoke); the allocation column is process-wide, so it includes the simulator.
/// The client's own CPU per record is measured by `quick` (simulator in a child process).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 2, iterationCount: 8)]
public class EndToEndBenchmarks
{
    private const int RecordsPerInvoke = 200_000;
    private KisSimulator _sim = null!;
    private KisRealtimeClient _client = null!;
    private IKisSubscription<ProgramTrade> _sub = null!;

    [Params(1, 10)]
    public int RecordsPerFrame { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _sim = KisSimulator.StartAsync(SimulatorOptions.Default with { UpdatesPerSecond = 0, ApprovalRateLimitPerSecond = 0, LedgerCapacityPerSession = 0 }).GetAwaiter().GetResult();
        _client = new KisRealtimeClient(KisOptions.Default with
        {
            AppKey = SimulatorCredential.Demo.AppKey,
            AppSecret = SimulatorCredential.Demo.AppSecret,
            WebSocketUri = new Uri(_sim.WebSocketUri, "/tryitout"),
            RestUri = _sim.RestBaseUri,
            ConsumerBufferCapacity = 1_000_000,
        });
        _client.ConnectAsync().GetAwaiter().GetResult();
        _sub = _client.SubscribeAsync(Registration.Of(Scenarios.Codes, [Venue.Nxt])).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sub.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _client.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _sim.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(OperationsPerInvoke = RecordsPerInvoke)]
    public async Task<long> Stream()
    {
        Task<FirehoseResult> push = _sim.FirehoseAsync(new FirehoseOptions { RecordsPerFrame = RecordsPerFrame, MaxRecordsPerSession = RecordsPerInvoke, Duration = TimeSpan.FromMinutes(1) });
        ChannelReader<ProgramTrade> reader = _sub.Reader;
        long received = 0;
        while (received < RecordsPerInvoke && await reader.WaitToReadAsync())
        {
            while (received < RecordsPerInvoke && reader.TryRead(out _))
            {
                received++;
            }
        }

        await push;
        return received;
    }
}

/// <summary>Records → DuckDB through the recorder (default options), and the recording back through replay. Per record.</summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class StorageBenchmarks
{
    private const int Records = 500_000;
    private ProgramTrade[] _trades = [];
    private string _dir = "";
    private string _replayPath = "";
    private string _ingestPath = "";

    [GlobalSetup]
    public void Setup()
    {
        _trades = Scenarios.BuildTrades(Records);
        _dir = Path.Combine(Path.GetTempPath(), "kisfeed-bdn-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
        _replayPath = Path.Combine(_dir, "replay.duckdb");
        Write(_replayPath);
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dir, true);

    [IterationSetup(Target = nameof(Ingest))]
    public void NewFile() => _ingestPath = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".duckdb");

    [Benchmark(OperationsPerInvoke = Records)]
    public void Ingest() => Write(_ingestPath);

    [Benchmark(OperationsPerInvoke = Records)]
    public async Task<long> Replay()
    {
        long n = 0;
        await foreach (ProgramTrade t in ProgramTradeReplay.ReadAsync(_replayPath))
        {
            n += t.SellVolume & 1;
        }

        return n;
    }

    private void Write(string path)
    {
        using ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(path);
        foreach (ref readonly ProgramTrade t in _trades.AsSpan())
        {
            recorder.Append(in t);
        }
    }
}
