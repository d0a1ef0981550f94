using System.Globalization;

namespace KisFeed.Benchmarks;

/// <summary>
/// `quick [--seconds S] [--memory-seconds M] [--records N] [--rounds R] [--only parse,e2e,latency,memory,storage]`: every figure of the performance issue in one short
/// table (figure, target, met/missed), side by side in one run. BenchmarkDotNet (`--filter '*'`) gives the rigorous numbers.
/// </summary>
internal static class QuickReport
{
    public static async Task<int> RunAsync(string[] args)
    {
        double seconds = Arg(args, "--seconds", 4);
        double memorySeconds = Arg(args, "--memory-seconds", 120); // "while streaming for minutes"
        int storageRecords = (int)Arg(args, "--records", 2_000_000);
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}, load {Load()}");

        var rows = new List<(string What, string Figure, string Target, bool Met)>();
        int only = Array.IndexOf(args, "--only");
        string? pick = only >= 0 && only + 1 < args.Length ? args[only + 1] : null;
        bool Run(string name) => pick is null || pick.Split(',').Contains(name);

        if (Run("parse"))
        {
            Scenarios.ParseFigures p1 = Scenarios.Parse(1, TimeSpan.FromSeconds(1.5));
            Scenarios.ParseFigures p10 = Scenarios.Parse(10, TimeSpan.FromSeconds(1.5));
            rows.Add(("parse",
                $"10-rec {p10.KisFeedPerCpuSecond / 1e6:F1} M/s ({p10.KisFeedPerCpuSecond / p10.NaivePerCpuSecond:F1}x naive {p10.NaivePerCpuSecond / 1e6:F2} M/s), 1-rec {p1.KisFeedPerCpuSecond / 1e6:F1} M/s ({p1.KisFeedPerCpuSecond / p1.NaivePerCpuSecond:F1}x); {Math.Max(p1.KisFeedBytesPerRecord, p10.KisFeedBytesPerRecord):F1} B/rec",
                ">= 10 M/s, 0 B/rec, >= 2x naive",
                p10.KisFeedPerCpuSecond >= 10e6 && p1.KisFeedPerCpuSecond >= 10e6 && p10.KisFeedBytesPerRecord < 0.5 && p1.KisFeedBytesPerRecord < 0.5
                    && p10.KisFeedPerCpuSecond >= 2 * p10.NaivePerCpuSecond && p1.KisFeedPerCpuSecond >= 2 * p1.NaivePerCpuSecond));

        }

        if (Run("e2e"))
        {
            _ = await Scenarios.EndToEndAsync(10, TimeSpan.FromSeconds(1)); // warm-up: the client's JIT tiers up here, not in the figures
            Scenarios.EndToEndFigures e10 = await Scenarios.EndToEndAsync(10, TimeSpan.FromSeconds(seconds));
            Scenarios.EndToEndFigures e1 = await Scenarios.EndToEndAsync(1, TimeSpan.FromSeconds(seconds));
            rows.Add(("end to end",
                $"10-rec {e10.RecordsPerSecond / 1e6:F2} M rec/s ({e10.ClientCpuMicrosPerRecord:F2} us CPU/rec, {e10.Dropped} dropped); 1-rec {e1.FramesPerSecond / 1e3:F0} k frames/s ({e1.ClientCpuMicrosPerRecord:F2} us CPU/rec)",
                ">= 1 M rec/s (10-rec), >= 200 k frames/s (1-rec)",
                e10.RecordsPerSecond >= 1e6 && e1.FramesPerSecond >= 200e3 && e10.Dropped == 0 && e1.Dropped == 0));

        }

        if (Run("latency"))
        {
            Scenarios.LatencyFigures lat = await Scenarios.LatencyAsync(10_000, TimeSpan.FromSeconds(seconds));
            rows.Add(("latency", $"p50 {lat.P50Micros:F0} us, p99 {lat.P99Micros:F0} us, max {lat.MaxMicros:F0} us ({lat.Samples} records; to receive p50/p99 {lat.ReceiveP50Micros:F0}/{lat.ReceiveP99Micros:F0}, receive to consumer {lat.DeliverP50Micros:F0}/{lat.DeliverP99Micros:F0})", "p99 < 1 ms at 10 k rec/s", lat.P99Micros < 1000));

        }

        // Memory before storage: the storage rows leave a 256 MB input array and DuckDB's native memory in the working set.
        if (Run("memory"))
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            Scenarios.EndToEndFigures mem = await Scenarios.EndToEndAsync(10, TimeSpan.FromSeconds(memorySeconds), MemoryRate);
            List<long> ws = mem.WorkingSetSamples;
            (double early, double late, bool flat) = Flatness(ws);
            (double heapEarly, double heapLate, _) = Flatness(mem.ManagedHeapSamples);
            rows.Add(("memory", $"working set {early / 1e6:F0} -> {late / 1e6:F0} MB (max {ws.DefaultIfEmpty().Max() / 1e6:F0} MB), managed heap {heapEarly / 1e6:F1} -> {heapLate / 1e6:F1} MB, over {memorySeconds:F0} s at {MemoryRate / 1e3:F0} k rec/s, {mem.Received:N0} records", "flat", flat));

        }

        if (Run("storage"))
        {
            Scenarios.StorageFigures st = await Scenarios.StorageAsync(storageRecords, (int)Arg(args, "--rounds", 5));
            rows.Add(("ingest",
                $"{st.IngestPerSecond / 1e6:F2} M rec/s = {st.IngestToRaw:P0} of raw appender {st.RawIngestPerSecond / 1e6:F2} M rec/s; bins folded in SQL (before) {st.SqlFoldIngestPerSecond / 1e6:F2} M rec/s = {st.SqlFoldToRaw:P0}; no bins {st.NoBinsIngestPerSecond / 1e6:F2} M rec/s = {st.NoBinsToRaw:P0}; {st.BytesPerRecord:F1} B on disk/rec ({storageRecords:N0} records, median of {st.Rounds} rounds; cold first run {st.ColdIngestPerSecond / 1e6:F2})",
                ">= 1 M rec/s, >= 80 % of raw appender",
                st.IngestPerSecond >= 1e6 && st.IngestToRaw >= 0.8));
            rows.Add(("replay",
                $"{st.ReplayPerSecond / 1e6:F2} M rec/s = {st.ReplayToScan:P0} of bare scan {st.BareScanPerSecond / 1e6:F2} M rec/s (seq order: {(st.ReplayInOrder ? "yes" : "NO")}; cold first run {st.ColdReplayPerSecond / 1e6:F2})",
                ">= 2 M rec/s, >= 80 % of bare scan",
                st.ReplayPerSecond >= 2e6 && st.ReplayToScan >= 0.8 && st.ReplayInOrder));
        }

        Console.WriteLine();
        Console.WriteLine($"{"what",-11} {"figure (as measured)",-100} {"target",-48} result");
        foreach ((string what, string figure, string target, bool met) in rows)
        {
            Console.WriteLine($"{what,-11} {figure,-100} {target,-48} {(met ? "met" : "MISSED")}");
        }

        return 0;
    }

    /// <summary>The memory row streams at a steady rate the consumer keeps up with, so growth means a leak, not a backlog.</summary>
    private const double MemoryRate = 500_000;

    /// <summary>Mean working set of the second quarter vs the last quarter of the samples (the first quarter is warm-up); flat = grew less than 10 %.</summary>
    private static (double Early, double Late, bool Flat) Flatness(List<long> ws)
    {
        if (ws.Count < 4)
        {
            return (ws.DefaultIfEmpty().Average(), ws.DefaultIfEmpty().Average(), false);
        }

        int q = ws.Count / 4;
        double early = ws.Skip(q).Take(q).Average();
        double late = ws.Skip(ws.Count - q).Average();
        return (early, late, late <= early * 1.10);
    }

    private static double Arg(string[] args, string name, double fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? double.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";
}
