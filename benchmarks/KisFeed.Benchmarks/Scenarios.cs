using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Threading.Channels;

using KisFeed.Protocol;
using KisFeed.Simulator;
using KisFeed.Storage;

namespace KisFeed.Benchmarks;

/// <summary>The measurements behind `quick` and the BenchmarkDotNet classes (each returns plain figures).</summary>
internal static class Scenarios
{
    /// <summary>41 registrations: 41 codes on NXT (the per-session cap).</summary>
    public static readonly string[] Codes = [.. Enumerable.Range(0, 41).Select(i => (5930 + (i * 1117)).ToString("D6", CultureInfo.InvariantCulture))];

    public sealed record ParseFigures(double KisFeedPerCpuSecond, double NaivePerCpuSecond, double KisFeedBytesPerRecord, double NaiveBytesPerRecord);

    /// <summary>
    /// Parse, KisFeed and naive interleaved in short rounds on this thread; records per second of this thread's CPU
    /// time (what "one core" means on a shared machine: time the thread was not running is not counted).
    /// </summary>
    public static ParseFigures Parse(int recordsPerFrame, TimeSpan budget)
    {
        byte[] frame = Frames.Build(recordsPerFrame);
        var output = new List<ProgramTrade>(16);
        var now = DateTimeOffset.UtcNow;
        var parser = new ProgramTradeParser();
        void Fast()
        {
            output.Clear();
            parser.ParseFrame(frame, now, output);
        }

        void Naive()
        {
            output.Clear();
            NaiveParser.Parse(frame, now, output);
        }

        for (int i = 0; i < 300_000; i++)
        {
            Fast();
            Naive();
        }

        double fastCpu = 0, naiveCpu = 0;
        long fastCalls = 0, naiveCalls = 0, fastAlloc = 0, naiveAlloc = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < budget)
        {
            (double cpu, long alloc) = Round(Fast, 20_000);
            fastCpu += cpu;
            fastAlloc += alloc;
            fastCalls += 20_000;
            (cpu, alloc) = Round(Naive, 4_000);
            naiveCpu += cpu;
            naiveAlloc += alloc;
            naiveCalls += 4_000;
        }

        double fr = fastCalls * (double)recordsPerFrame, nr = naiveCalls * (double)recordsPerFrame;
        return new ParseFigures(fr / fastCpu, nr / naiveCpu, fastAlloc / fr, naiveAlloc / nr);

        static (double Cpu, long Alloc) Round(Action action, int calls)
        {
            long a = GC.GetAllocatedBytesForCurrentThread();
            double c = ThreadCpu.Seconds();
            for (int i = 0; i < calls; i++)
            {
                action();
            }

            return (ThreadCpu.Seconds() - c, GC.GetAllocatedBytesForCurrentThread() - a);
        }
    }

    public sealed record EndToEndFigures(long Sent, long Received, long Dropped, double RecordsPerSecond, double FramesPerSecond, double ClientCpuMicrosPerRecord, List<long> WorkingSetSamples, List<long> ManagedHeapSamples);

    /// <summary>
    /// The simulator runs in a child process (this executable, `sim-child`) pushing frames with
    /// <see cref="KisSimulator.FirehoseAsync"/>; this process is the client plus one consumer draining its subscription.
    /// Client CPU per record = this process's CPU time over the streaming window / records received.
    /// </summary>
    public static async Task<EndToEndFigures> EndToEndAsync(int recordsPerFrame, TimeSpan duration, double recordsPerSecond = 0)
    {
        using Process child = StartChild(recordsPerFrame, duration, recordsPerSecond);
        string ready = await child.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("the simulator child printed nothing: " + await child.StandardError.ReadToEndAsync());
        string[] uris = ready.Split(' ');
        var options = KisOptions.Default with
        {
            AppKey = SimulatorCredential.Demo.AppKey,
            AppSecret = SimulatorCredential.Demo.AppSecret,
            WebSocketUri = new Uri(new Uri(uris[1]), "/tryitout"),
            RestUri = new Uri(uris[2]),
            ConsumerBufferCapacity = 1_000_000,
        };
        await using var client = new KisRealtimeClient(options);
        await client.ConnectAsync();
        await using IKisSubscription<ProgramTrade> sub = await client.SubscribeAsync(Registration.Of(Codes, [Venue.Nxt]));

        long received = 0;
        long firstAt = 0, lastAt = 0;
        TimeSpan cpuAtFirst = TimeSpan.Zero;
        using var proc = Process.GetCurrentProcess();
        var consumer = Task.Run(async () =>
        {
            ChannelReader<ProgramTrade> reader = sub.Reader;
            while (await reader.WaitToReadAsync())
            {
                while (reader.TryRead(out ProgramTrade t))
                {
                    if (received++ == 0)
                    {
                        firstAt = Stopwatch.GetTimestamp();
                        proc.Refresh();
                        cpuAtFirst = proc.TotalProcessorTime;
                    }

                    GC.KeepAlive(t.Code);
                }

                Volatile.Write(ref lastAt, Stopwatch.GetTimestamp());
            }
        });

        var samples = new List<long>();
        var heap = new List<long>();
        string? done = null;
        Task<string?> doneLine = child.StandardOutput.ReadLineAsync();
        while (!doneLine.IsCompleted)
        {
            await Task.WhenAny(doneLine, Task.Delay(500));
            proc.Refresh();
            samples.Add(proc.WorkingSet64);
            heap.Add(GC.GetTotalMemory(false));
        }

        done = await doneLine ?? throw new InvalidOperationException("the simulator child ended early: " + await child.StandardError.ReadToEndAsync());
        long sent = long.Parse(done.Split(' ')[2], CultureInfo.InvariantCulture);
        long frames = long.Parse(done.Split(' ')[1], CultureInfo.InvariantCulture);
        var settle = Stopwatch.StartNew();
        while (Volatile.Read(ref received) + sub.Dropped < sent && settle.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(20);
        }

        proc.Refresh();
        TimeSpan cpu = proc.TotalProcessorTime - cpuAtFirst;
        double seconds = Stopwatch.GetElapsedTime(firstAt, Volatile.Read(ref lastAt)).TotalSeconds;
        long got = Volatile.Read(ref received);
        await child.WaitForExitAsync();
        return new EndToEndFigures(sent, got, sub.Dropped, got / seconds, got / seconds / recordsPerFrame, cpu.TotalMicroseconds / got, samples, heap);
    }

    private static Process StartChild(int recordsPerFrame, TimeSpan duration, double rate)
    {
        string self = typeof(Scenarios).Assembly.Location;
        string host = Environment.ProcessPath!;
        var psi = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            psi.ArgumentList.Add(self);
        }

        foreach (string a in new[] { "sim-child", recordsPerFrame.ToString(CultureInfo.InvariantCulture), duration.TotalSeconds.ToString(CultureInfo.InvariantCulture), rate.ToString(CultureInfo.InvariantCulture) })
        {
            psi.ArgumentList.Add(a);
        }

        return Process.Start(psi)!;
    }

    /// <summary>`sim-child N seconds rate`: start a simulator, print its URIs, wait for 41 registrations, firehose, print the result.</summary>
    public static async Task<int> SimChildAsync(string[] args)
    {
        int n = int.Parse(args[0], CultureInfo.InvariantCulture);
        double seconds = double.Parse(args[1], CultureInfo.InvariantCulture);
        double rate = double.Parse(args[2], CultureInfo.InvariantCulture);
        await using KisSimulator sim = await KisSimulator.StartAsync(SimulatorOptions.Default with
        {
            UpdatesPerSecond = 0,
            ApprovalRateLimitPerSecond = 0,
            LedgerCapacityPerSession = 0,
            SendQueueCapacity = 8192,
        });
        Console.WriteLine($"READY {sim.WebSocketUri} {sim.RestBaseUri}");
        var wait = Stopwatch.StartNew();
        while (sim.Sessions.Sum(s => s.Registrations.Count) < Codes.Length)
        {
            if (wait.Elapsed > TimeSpan.FromSeconds(30))
            {
                await Console.Error.WriteLineAsync("no client subscribed");
                return 1;
            }

            await Task.Delay(20);
        }

        await Task.Delay(200);
        FirehoseResult r = await sim.FirehoseAsync(new FirehoseOptions { RecordsPerFrame = n, Duration = TimeSpan.FromSeconds(seconds), RecordsPerSecond = rate });
        Console.WriteLine($"DONE {r.Frames} {r.Records} {r.Elapsed.TotalMilliseconds:F0}");
        await Task.Delay(500);
        return 0;
    }

    /// <summary>Latency from the simulator's socket write to the consumer, and its two parts: to the client's receive stamp
    /// (<see cref="ProgramTrade.ReceivedAt"/>: socket, receive loop) and from there to the consumer (parse, channel, hand-off).</summary>
    public sealed record LatencyFigures(int Samples, double P50Micros, double P99Micros, double MaxMicros, double ReceiveP50Micros, double ReceiveP99Micros, double DeliverP50Micros, double DeliverP99Micros);

    /// <summary>
    /// In one process: the simulator pushes unique 1-record frames at <paramref name="recordsPerSecond"/>; each record
    /// is matched through its sell volume to the simulator ledger's SentAt (taken just before the socket write), and
    /// the consumer stamps the time it reads the record. Both clocks are this machine's UTC clock.
    /// </summary>
    public static async Task<LatencyFigures> LatencyAsync(double recordsPerSecond, TimeSpan duration)
    {
        await using KisSimulator sim = await KisSimulator.StartAsync(SimulatorOptions.Default with
        {
            UpdatesPerSecond = 0,
            ApprovalRateLimitPerSecond = 0,
        });
        var options = KisOptions.Default with
        {
            AppKey = SimulatorCredential.Demo.AppKey,
            AppSecret = SimulatorCredential.Demo.AppSecret,
            WebSocketUri = new Uri(sim.WebSocketUri, "/tryitout"),
            RestUri = sim.RestBaseUri,
        };
        await using var client = new KisRealtimeClient(options);
        await client.ConnectAsync();
        await using IKisSubscription<ProgramTrade> sub = await client.SubscribeAsync(Registration.Of(Codes, [Venue.Nxt]));
        int capacity = (int)(recordsPerSecond * duration.TotalSeconds * 1.2) + 1000;
        long[] seqs = new long[capacity];
        long[] at = new long[capacity];
        long[] receivedAt = new long[capacity];
        int count = 0;
        var consumer = Task.Run(async () =>
        {
            await foreach (ProgramTrade t in sub.ReadAllAsync())
            {
                long now = DateTimeOffset.UtcNow.UtcTicks;
                if (count < capacity)
                {
                    seqs[count] = t.SellVolume;
                    receivedAt[count] = t.ReceivedAt.UtcTicks;
                    at[count++] = now;
                }
            }
        });

        FirehoseResult r = await sim.FirehoseAsync(new FirehoseOptions { RecordsPerFrame = 1, RecordsPerSecond = recordsPerSecond, Duration = duration, UniqueRecords = true });
        var settle = Stopwatch.StartNew();
        while (Volatile.Read(ref count) < r.Records && settle.Elapsed < TimeSpan.FromSeconds(3))
        {
            await Task.Delay(10);
        }

        var sentAt = new Dictionary<long, long>();
        foreach (SimulatorLedgerEntry e in sim.GetLedger())
        {
            sentAt[long.Parse(e.Fields[2], CultureInfo.InvariantCulture)] = e.SentAt.UtcTicks;
        }

        int n = Volatile.Read(ref count);
        var lat = new List<double>(n);
        var receive = new List<double>(n);
        var deliver = new List<double>(n);
        int skip = n / 10; // the first 10 % warm up the JIT and the socket
        for (int i = skip; i < n; i++)
        {
            if (sentAt.TryGetValue(seqs[i], out long s))
            {
                lat.Add((at[i] - s) / 10.0);
                receive.Add((receivedAt[i] - s) / 10.0);
                deliver.Add((at[i] - receivedAt[i]) / 10.0);
            }
        }

        if (lat.Count == 0)
        {
            return new LatencyFigures(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        }

        lat.Sort();
        receive.Sort();
        deliver.Sort();
        return new LatencyFigures(lat.Count, P(lat, 0.5), P(lat, 0.99), lat[^1], P(receive, 0.5), P(receive, 0.99), P(deliver, 0.5), P(deliver, 0.99));

        static double P(List<double> sorted, double q) => sorted[(int)(sorted.Count * q)];
    }

    public sealed record StorageFigures(long Records, double IngestPerSecond, double BytesPerRecord, double ReplayPerSecond, bool ReplayInOrder, double ColdIngestPerSecond, double ColdReplayPerSecond);

    /// <summary>
    /// Ingest <paramref name="records"/> records (41 codes, 3 venues) through the recorder into a temp file, then replay
    /// it. A first, cold pass over a quarter of them (its own file) warms the JIT up; its rates are returned too, so the
    /// cost of a process's first seconds is visible next to the sustained figures.
    /// </summary>
    public static async Task<StorageFigures> StorageAsync(int records)
    {
        ProgramTrade[] trades = BuildTrades(records);
        (double coldIngest, _, double coldReplay, _) = await IngestAndReplayAsync(trades.AsMemory(0, Math.Max(1, records / 4)));
        (double ingest, double bytes, double replay, bool inOrder) = await IngestAndReplayAsync(trades);
        return new StorageFigures(records, ingest, bytes, replay, inOrder, coldIngest, coldReplay);
    }

    private static async Task<(double Ingest, double BytesPerRecord, double Replay, bool InOrder)> IngestAndReplayAsync(ReadOnlyMemory<ProgramTrade> input)
    {
        string dir = Path.Combine(Path.GetTempPath(), "kisfeed-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, "bench.duckdb");
        try
        {
            var sw = Stopwatch.StartNew();
            await using (ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(path))
            {
                AppendAll(recorder, input.Span);

                recorder.Flush();
            }

            double ingest = input.Length / sw.Elapsed.TotalSeconds;
            long bytes = Directory.EnumerateFiles(dir).Sum(f => new FileInfo(f).Length);

            sw.Restart();
            long read = 0;
            bool inOrder = true;
            await foreach (ProgramTrade t in ProgramTradeReplay.ReadAsync(path))
            {
                if (read >= input.Length || t.SellVolume != input.Span[(int)read].SellVolume)
                {
                    inOrder = false;
                }

                read++;
            }

            double replay = read / sw.Elapsed.TotalSeconds;
            return (ingest, (double)bytes / input.Length, replay, inOrder && read == input.Length);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>The timed ingest loop: one span for all records, not a Memory-to-Span conversion per record.</summary>
    private static void AppendAll(ProgramTradeRecorder recorder, ReadOnlySpan<ProgramTrade> trades)
    {
        foreach (ref readonly ProgramTrade t in trades)
        {
            recorder.Append(in t);
        }
    }

    public static ProgramTrade[] BuildTrades(int records)
    {
        var rng = new Random(11);
        var start = new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero);
        var trades = new ProgramTrade[records];
        for (int i = 0; i < records; i++)
        {
            long sell = 1_000_000 + i;
            long buy = sell + rng.Next(0, 100_000);
            long price = 60_000;
            trades[i] = new ProgramTrade(
                (Venue)(i % 3), Codes[i % Codes.Length], new DateOnly(2026, 11, 24), new TimeOnly(9, 0).Add(TimeSpan.FromMilliseconds(i)),
                sell, sell * price, buy, buy * price, buy - sell, (buy - sell) * price, rng.Next(0, 50_000), rng.Next(0, 50_000), 0,
                start.AddTicks(i * 10L));
        }

        return trades;
    }
}

/// <summary>CPU time of the calling thread (Linux: clock_gettime(CLOCK_THREAD_CPUTIME_ID); elsewhere wall time).</summary>
internal static partial class ThreadCpu
{
    private const int ClockThreadCpuTimeId = 3;

    public static double Seconds()
    {
        if (OperatingSystem.IsLinux() && ClockGetTime(ClockThreadCpuTimeId, out TimeSpec ts) == 0)
        {
            return ts.Seconds + (ts.Nanoseconds / 1e9);
        }

        return Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clockId, out TimeSpec ts);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
