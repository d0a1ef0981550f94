using System.Diagnostics;

using KisFeed.Protocol;

namespace KisFeed.Benchmarks;

/// <summary>
/// `quick`: a short side-by-side run printing one table of figures (records/s, bytes allocated per record).
/// BenchmarkDotNet (`--filter *`) gives the rigorous numbers; this is the few-seconds check.
/// </summary>
internal static class QuickReport
{
    public static int Run(string[] args)
    {
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
        Console.WriteLine($"{"what",-34} {"records/s",14} {"B alloc/record",15}");
        foreach (int records in new[] { 1, 10 })
        {
            byte[] frame = Frames.Build(records);
            var output = new List<ProgramTrade>(16);
            var now = DateTimeOffset.UtcNow;
            var parser = new ProgramTradeParser();
            Row($"parse KisFeed ({records}-record frames)", records, () => { output.Clear(); parser.ParseFrame(frame, now, output); });
            Row($"parse naive split ({records}-record frames)", records, () => { output.Clear(); NaiveParser.Parse(frame, now, output); });
        }

        return 0;
    }

    private static void Row(string name, int recordsPerCall, Action action)
    {
        for (int i = 0; i < 200_000; i++)
        {
            action(); // warm up (tiered JIT)
        }

        long calls = 0;
        long allocBefore = GC.GetAllocatedBytesForCurrentThread();
        var sw = Stopwatch.StartNew();
        while (sw.ElapsedMilliseconds < 1500)
        {
            for (int i = 0; i < 10_000; i++)
            {
                action();
            }

            calls += 10_000;
        }

        sw.Stop();
        long alloc = GC.GetAllocatedBytesForCurrentThread() - allocBefore;
        double records = (double)calls * recordsPerCall;
        Console.WriteLine($"{name,-34} {records / sw.Elapsed.TotalSeconds,14:N0} {alloc / records,15:N1}");
    }
}
