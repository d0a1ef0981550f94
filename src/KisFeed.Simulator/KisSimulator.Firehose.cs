using System.Diagnostics;
using System.Globalization;

namespace KisFeed.Simulator;

/// <summary>How <see cref="KisSimulator.FirehoseAsync"/> pushes data.</summary>
public sealed record FirehoseOptions
{
    /// <summary>Records per data frame (the <c>NNN</c> of <c>0|TR|NNN|…</c>), 1–999. Default 10.</summary>
    public int RecordsPerFrame { get; init; } = 10;

    /// <summary>Records per second over all sessions; 0 (default) = as fast as the sockets take them.</summary>
    public double RecordsPerSecond { get; init; }

    /// <summary>Stop after this long (default 5 s).</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Stop after this many records per session; 0 = no limit.</summary>
    public long MaxRecordsPerSession { get; init; }

    /// <summary>
    /// False (default): a fixed set of frames, built once, is sent over and over (cheapest for the simulator).
    /// True: every record carries new cumulative values (its sell volume is the session's running record number),
    /// so each record can be matched to its <see cref="SimulatorLedgerEntry"/> (and its <c>SentAt</c>).
    /// </summary>
    public bool UniqueRecords { get; init; }

    /// <summary>Frames a session may have queued but not yet written before the pusher waits (backpressure). Default 256.</summary>
    public int Window { get; init; } = 256;
}

/// <summary>What <see cref="KisSimulator.FirehoseAsync"/> sent.</summary>
/// <param name="Sessions">Sessions that were pushed to.</param>
/// <param name="Frames">Data frames written.</param>
/// <param name="Records">Data records written.</param>
/// <param name="Elapsed">Wall time from the first frame to the last write.</param>
public sealed record FirehoseResult(int Sessions, long Frames, long Records, TimeSpan Elapsed);

public sealed partial class KisSimulator
{
    /// <summary>
    /// Pushes program-trading data frames for every live session's registrations as fast as the sockets take them
    /// (or at <see cref="FirehoseOptions.RecordsPerSecond"/>), bypassing the market model's timer. Frames are ordinary
    /// KIS data frames (notes §6) built by the simulator and written through each session's queue, so counters and the
    /// ledger see them like market data. Backpressure: at most <see cref="FirehoseOptions.Window"/> frames per session
    /// are queued unwritten; the pusher awaits the writes rather than overflowing the queue.
    /// </summary>
    /// <param name="options">What to push; <see langword="null"/> = defaults.</param>
    /// <param name="cancellationToken">Stops the push early (a normal end: the result counts what was sent).</param>
    public async Task<FirehoseResult> FirehoseAsync(FirehoseOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new FirehoseOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.RecordsPerFrame, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.RecordsPerFrame, 999);
        ArgumentOutOfRangeException.ThrowIfNegative(options.RecordsPerSecond);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Window, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Window, Math.Max(2, Options.SendQueueCapacity - 16));

        SimulatorSession[] sessions = [.. _sessions.Values.Where(s => s.Registrations().Any(r => TrIds.TryGetVenue(r.TrId, out _))).OrderBy(s => s.Id)];
        if (sessions.Length == 0)
        {
            return new FirehoseResult(0, 0, 0, TimeSpan.Zero);
        }

        double perSessionRate = options.RecordsPerSecond / sessions.Length;
        long start = Stopwatch.GetTimestamp();
        Task<(long Frames, long Records)>[] pushers = [.. sessions.Select(s => Task.Run(() => PushAsync(s, options, perSessionRate, cancellationToken), CancellationToken.None))];
        (long Frames, long Records)[] done = await Task.WhenAll(pushers).ConfigureAwait(false);
        return new FirehoseResult(sessions.Length, done.Sum(d => d.Frames), done.Sum(d => d.Records), Stopwatch.GetElapsedTime(start));
    }

    private static async Task<(long Frames, long Records)> PushAsync(SimulatorSession session, FirehoseOptions options, double rate, CancellationToken ct)
    {
        // Per TR, the subscribed codes in registration order; frames take consecutive codes round-robin.
        (string TrId, string[] Codes)[] trs = [.. session.Registrations()
            .Where(r => TrIds.TryGetVenue(r.TrId, out _))
            .GroupBy(r => r.TrId)
            .Select(g => (g.Key, g.Select(r => r.TrKey).ToArray()))];
        int n = options.RecordsPerFrame;
        var generator = new FirehoseFrames(trs, n);
        Outgoing[] fixedFrames = options.UniqueRecords ? [] : generator.BuildFixedSet();

        int half = options.Window / 2;
        var inFlight = new Queue<Task>();
        long frames = 0;
        long records = 0;
        long started = Stopwatch.GetTimestamp();
        long deadline = started + (long)(options.Duration.TotalSeconds * Stopwatch.Frequency);
        while (!ct.IsCancellationRequested && Stopwatch.GetTimestamp() < deadline
               && (options.MaxRecordsPerSession == 0 || records < options.MaxRecordsPerSession))
        {
            if (rate > 0)
            {
                // Pace: frame k is due at k·n/rate seconds after the start.
                double dueSeconds = records / rate;
                double ahead = dueSeconds - Stopwatch.GetElapsedTime(started).TotalSeconds;
                if (ahead > 0.001)
                {
                    try
                    {
                        await Task.Delay(TimeSpan.FromSeconds(ahead), ct).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
            }

            Outgoing frame = options.UniqueRecords ? generator.Next() : fixedFrames[frames % fixedFrames.Length];
            bool mark = (frames + 1) % half == 0 || rate > 0;
            if (mark)
            {
                var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                frame = frame with { Written = written };
                inFlight.Enqueue(written.Task);
            }

            if (!session.Enqueue(frame))
            {
                break; // the session is gone (or overflowed and was aborted)
            }

            frames++;
            records += frame.Records!.Count;
            if (inFlight.Count > (rate > 0 ? options.Window : 2))
            {
                await inFlight.Dequeue().ConfigureAwait(false);
            }
        }

        while (inFlight.Count > 0)
        {
            await inFlight.Dequeue().ConfigureAwait(false);
        }

        return (frames, records);
    }

    /// <summary>Builds firehose frames: plausible cumulative program-trading values in KIS wire format.</summary>
    private sealed class FirehoseFrames((string TrId, string[] Codes)[] trs, int recordsPerFrame)
    {
        private readonly (string TrId, string[] Codes)[] _trs = trs;
        private long _sequence;
        private int _tr;
        private int _offset;

        /// <summary>One frame per (TR, starting code), values fixed: a cycle that covers every registration.</summary>
        public Outgoing[] BuildFixedSet()
        {
            var frames = new List<Outgoing>();
            foreach ((string trId, string[] codes) in _trs)
            {
                for (int k = 0; k < codes.Length; k++)
                {
                    var records = new List<string[]>(recordsPerFrame);
                    for (int r = 0; r < recordsPerFrame; r++)
                    {
                        records.Add(Record(codes[(k + r) % codes.Length], 1_000_000 + (k * 1000) + r));
                    }

                    frames.Add(new Outgoing(OutKind.Data, SimulatorSession.FormatDataFrame(trId, records), trId, records));
                }
            }

            return [.. frames];
        }

        /// <summary>The next frame with new values (sell volume = running record number, from 1).</summary>
        public Outgoing Next()
        {
            (string trId, string[] codes) = _trs[_tr];
            var records = new List<string[]>(recordsPerFrame);
            bool wrapped = false;
            for (int r = 0; r < recordsPerFrame; r++)
            {
                records.Add(Record(codes[_offset], ++_sequence));
                _offset = (_offset + 1) % codes.Length;
                wrapped |= _offset == 0;
            }

            if (wrapped)
            {
                // A frame stays on one TR; the next frame moves on to the next TR's codes.
                _tr = (_tr + 1) % _trs.Length;
                _offset = 0;
            }

            return new Outgoing(OutKind.Data, SimulatorSession.FormatDataFrame(trId, records), trId, records);
        }

        private static string[] Record(string code, long sellVolume)
        {
            long price = 50_000 + (sellVolume % 97 * 100);
            long buyVolume = sellVolume + (sellVolume % 1_000);
            long sellValue = sellVolume * price;
            long buyValue = buyVolume * price;
            long ask = sellVolume % 50_000;
            long bid = (sellVolume * 7) % 50_000;
            long[] values = [sellVolume, sellValue, buyVolume, buyValue, buyVolume - sellVolume, buyValue - sellValue, ask, bid, bid - ask];
            string[] fields = new string[11];
            fields[0] = code;
            fields[1] = "093015";
            for (int i = 0; i < values.Length; i++)
            {
                fields[i + 2] = values[i].ToString(CultureInfo.InvariantCulture);
            }

            return fields;
        }
    }
}
