using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Threading.Channels;

using DuckDB.NET.Data;

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

    /// <summary>
    /// The storage rows, each the median of <c>Rounds</c> interleaved rounds: the recorder (bins folded from each batch in
    /// memory), the recorder with the bins folded in SQL over the appended rows (the path before, behind an internal
    /// option), the recorder without bins (what the bins cost; a file that way is not valid), and the raw appender ceiling; replay and the bare scan of the recorder's file. Ratios are medians of the
    /// per-round ratios (both sides measured next to each other).
    /// </summary>
    public sealed record StorageFigures(
        long Records, int Rounds, double IngestPerSecond, double SqlFoldIngestPerSecond, double NoBinsIngestPerSecond, double RawIngestPerSecond,
        double IngestToRaw, double SqlFoldToRaw, double NoBinsToRaw, double BytesPerRecord, double ReplayPerSecond, double BareScanPerSecond,
        double ReplayToScan, bool ReplayInOrder, double ColdIngestPerSecond, double ColdReplayPerSecond);

    /// <summary>
    /// Ingest <paramref name="records"/> records (41 codes, 3 venues) through the recorder into a temp file, then replay
    /// it; next to each, its ceiling in the same round: the same rows through a bare <see cref="DuckDBAppender"/> into the
    /// same schema (<c>program_trades</c> only, no bins, the recorder's batch size, one transaction per batch), and the
    /// replay's query read by a plain reader loop into <see cref="ProgramTrade"/>. A first, cold pass over a quarter of
    /// the records (its own file) warms the JIT up; its rates are returned too.
    /// </summary>
    public static async Task<StorageFigures> StorageAsync(int records, int rounds = 5)
    {
        ProgramTrade[] trades = BuildTrades(records);
        ReadOnlyMemory<ProgramTrade> cold = trades.AsMemory(0, Math.Max(1, records / 4));
        (double coldIngest, _, double coldReplay, _, _) = await IngestAndReplayAsync(cold, RecorderOptions.Default, replayFirst: true);
        _ = RawIngest(cold.Span);
        var memory = new List<double>();
        var sql = new List<double>();
        var raw = new List<double>();
        var replay = new List<double>();
        var scan = new List<double>();
        var toRaw = new List<double>();
        var sqlToRaw = new List<double>();
        var noBins = new List<double>();
        var noBinsToRaw = new List<double>();
        var toScan = new List<double>();
        double bytes = 0;
        bool inOrder = true;
        for (int round = 0; round < rounds; round++)
        {
            double m = 0, q = 0, r = 0, n = 0;
            for (int step = 0; step < 4; step++)
            {
                switch ((round + step) % 4) // the variants take turns at the head of the order
                {
                    case 3:
                        (n, _, _, _, _) = await IngestAndReplayAsync(trades, RecorderOptions.Default with { KeepBins = false }, replayFirst: null);
                        break;
                    case 0:
                        r = RawIngest(trades);
                        break;
                    case 1:
                        (q, _, _, _, _) = await IngestAndReplayAsync(trades, RecorderOptions.Default with { FoldBinsInSql = true }, replayFirst: null);
                        break;
                    default:
                        (m, bytes, double rp, double sc, bool ok) = await IngestAndReplayAsync(trades, RecorderOptions.Default, replayFirst: round % 2 == 0);
                        replay.Add(rp);
                        scan.Add(sc);
                        toScan.Add(rp / sc);
                        inOrder &= ok;
                        break;
                }
            }

            memory.Add(m);
            sql.Add(q);
            raw.Add(r);
            toRaw.Add(m / r);
            sqlToRaw.Add(q / r);
            noBins.Add(n);
            noBinsToRaw.Add(n / r);
        }

        return new StorageFigures(records, rounds, Median(memory), Median(sql), Median(noBins), Median(raw), Median(toRaw), Median(sqlToRaw), Median(noBinsToRaw), bytes,
            Median(replay), Median(scan), Median(toScan), inOrder, coldIngest, coldReplay);

        static double Median(List<double> values)
        {
            values.Sort();
            return values[values.Count / 2];
        }
    }

    /// <summary>
    /// Records <paramref name="input"/> with <paramref name="options"/> into an empty recording (made first, not timed;
    /// timed from opening the recorder to its close); then (unless
    /// <paramref name="replayFirst"/> is null) replays it and runs the bare scan over it, in the order given.
    /// </summary>
    private static async Task<(double Ingest, double BytesPerRecord, double Replay, double Scan, bool InOrder)> IngestAndReplayAsync(
        ReadOnlyMemory<ProgramTrade> input, RecorderOptions options, bool? replayFirst)
    {
        string dir = Path.Combine(Path.GetTempPath(), "kisfeed-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, "bench.duckdb");
        try
        {
            ProgramTradeRecorder.Open(path).Dispose(); // an empty recording, as the raw appender starts from (not timed)
            var sw = Stopwatch.StartNew();
            await using (ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(path, options))
            {
                AppendAll(recorder, input.Span);

                recorder.Flush();
            }

            double ingest = input.Length / sw.Elapsed.TotalSeconds;
            long bytes = Directory.EnumerateFiles(dir).Sum(f => new FileInfo(f).Length);
            if (replayFirst is not bool first)
            {
                return (ingest, (double)bytes / input.Length, 0, 0, true);
            }

            double replay = 0, scan = 0;
            bool inOrder = true;
            if (!first)
            {
                scan = BareScan(path, input.Length);
            }

            sw.Restart();
            long read = 0;
            await foreach (ProgramTrade t in ProgramTradeReplay.ReadAsync(path))
            {
                if (read >= input.Length || t.SellVolume != input.Span[(int)read].SellVolume)
                {
                    inOrder = false;
                }

                read++;
            }

            replay = read / sw.Elapsed.TotalSeconds;
            if (first)
            {
                scan = BareScan(path, input.Length);
            }

            return (ingest, (double)bytes / input.Length, replay, scan, inOrder && read == input.Length);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>
    /// The raw appender ceiling: a file with the recorder's schema (made by opening and closing a recorder, not timed),
    /// then the rows through a bare <see cref="DuckDBAppender"/> into <c>program_trades</c>, the columns the recorder
    /// appends, in batches of the recorder's default size, one transaction each; timed from opening the connection to
    /// closing it (the recorder's figure also includes its open and close). No bins, no lock, no buffer copy.
    /// </summary>
    private static double RawIngest(ReadOnlySpan<ProgramTrade> input)
    {
        string dir = Path.Combine(Path.GetTempPath(), "kisfeed-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, "raw.duckdb");
        try
        {
            ProgramTradeRecorder.Open(path).Dispose();
            int batch = RecorderOptions.Default.BatchSize;
            var sw = Stopwatch.StartNew();
            using (var connection = new DuckDBConnection($"Data Source={path}"))
            {
                connection.Open();
                long seq = 1;
                for (int from = 0; from < input.Length; from += batch)
                {
                    ReadOnlySpan<ProgramTrade> rows = input.Slice(from, Math.Min(batch, input.Length - from));
                    using DuckDBTransaction tx = connection.BeginTransaction();
                    using (DuckDBAppender appender = connection.CreateAppender(StorageSchema.ProgramTradesTable))
                    {
                        foreach (ref readonly ProgramTrade t in rows)
                        {
                            appender.CreateRow()
                                .AppendValue(seq++)
                                .AppendValue(t.TradingDate)
                                .AppendValue(t.Venue)
                                .AppendValue(t.Venue)
                                .AppendValue(t.Code)
                                .AppendValue(t.Time)
                                .AppendValue(t.ReceivedAt)
                                .AppendValue(t.SellVolume)
                                .AppendValue(t.SellValue)
                                .AppendValue(t.BuyVolume)
                                .AppendValue(t.BuyValue)
                                .AppendValue(t.NetBuyVolume)
                                .AppendValue(t.NetBuyValue)
                                .AppendValue(t.AskResidual)
                                .AppendValue(t.BidResidual)
                                .AppendValue(t.NetBidResidual)
                                .AppendValue((int)t.Missing)
                                .AppendValue((sbyte)t.Source)
                                .EndRow();
                        }
                    }

                    tx.Commit();
                }
            }

            return input.Length / sw.Elapsed.TotalSeconds;
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>
    /// The bare scan: the replay's query (the same columns and expressions, <c>ORDER BY seq</c>, codes through the same
    /// hash so rows allocate no strings) read by a plain synchronous reader loop into <see cref="ProgramTrade"/>, without
    /// the async iterator, the snapshot transaction, the venue check or pacing. Timed from opening the connection.
    /// </summary>
    private static double BareScan(string path, int expected)
    {
        const long UnixEpochTicks = 621_355_968_000_000_000;
        const int UnixEpochDayNumber = 719_162;
        var sw = Stopwatch.StartNew();
        long read = 0;
        using (var connection = new DuckDBConnection($"Data Source={path};ACCESS_MODE=READ_ONLY"))
        {
            connection.Open();
            using DuckDBCommand command = connection.CreateCommand();
            var codes = new Dictionary<long, string>();
            command.CommandText = "SELECT DISTINCT code, CAST(hash(code) >> 1 AS BIGINT) FROM program_trades";
            using (DuckDBDataReader r = command.ExecuteReader())
            {
                while (r.Read())
                {
                    codes[r.GetInt64(1)] = r.GetString(0);
                }
            }

            command.CommandText =
                "SELECT CASE venue WHEN 'krx' THEN 0 WHEN 'nxt' THEN 1 WHEN 'unified' THEN 2 ELSE -1 END, CAST(hash(code) >> 1 AS BIGINT), " +
                "trading_date - DATE '1970-01-01', epoch_us(kis_time), " +
                "sell_volume, sell_value, buy_volume, buy_value, net_buy_volume, net_buy_value, " +
                "ask_residual, bid_residual, net_bid_residual, epoch_us(received_at), missing_fields, CAST(coalesce(source, 0) AS INTEGER) " +
                "FROM program_trades ORDER BY seq";
            using DuckDBDataReader reader = command.ExecuteReader();
            while (reader.Read())
            {
                ProgramTrade trade = new(
                    (Venue)reader.GetInt32(0),
                    codes[reader.GetInt64(1)],
                    DateOnly.FromDayNumber(UnixEpochDayNumber + (int)reader.GetInt64(2)),
                    new TimeOnly(reader.GetInt64(3) * TimeSpan.TicksPerMicrosecond),
                    reader.GetInt64(4),
                    reader.GetInt64(5),
                    reader.GetInt64(6),
                    reader.GetInt64(7),
                    reader.GetInt64(8),
                    reader.GetInt64(9),
                    reader.GetInt64(10),
                    reader.GetInt64(11),
                    reader.GetInt64(12),
                    new DateTimeOffset(UnixEpochTicks + (reader.GetInt64(13) * TimeSpan.TicksPerMicrosecond), TimeSpan.Zero),
                    (ProgramTradeFields)reader.GetInt32(14),
                    (TradeSource)reader.GetInt32(15));
                GC.KeepAlive(trade.Code);
                read++;
            }
        }

        if (read != expected)
        {
            throw new InvalidOperationException($"the bare scan read {read} rows, expected {expected}");
        }

        return read / sw.Elapsed.TotalSeconds;
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
