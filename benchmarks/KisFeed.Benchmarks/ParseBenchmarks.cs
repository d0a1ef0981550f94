using BenchmarkDotNet.Attributes;

using KisFeed.Protocol;

namespace KisFeed.Benchmarks;

/// <summary>Frame bytes → ProgramTrade. Reported per frame; divide by Records for per-record figures.</summary>
[MemoryDiagnoser]
public class ParseBenchmarks
{
    private readonly ProgramTradeParser _parser = new();
    private readonly List<ProgramTrade> _output = new(16);
    private readonly DateTimeOffset _now = new(2026, 11, 24, 0, 30, 15, TimeSpan.Zero);
    private byte[] _frame = [];

    [Params(1, 10)]
    public int Records { get; set; }

    [GlobalSetup]
    public void Setup() => _frame = Frames.Build(Records);

    [Benchmark(Baseline = true)]
    public int Naive()
    {
        _output.Clear();
        return NaiveParser.Parse(_frame, _now, _output);
    }

    [Benchmark]
    public int KisFeed()
    {
        _output.Clear();
        return _parser.ParseFrame(_frame, _now, _output).Records;
    }
}
