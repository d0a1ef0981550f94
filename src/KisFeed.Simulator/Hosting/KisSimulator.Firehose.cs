using System.Diagnostics;

namespace KisFeed.Simulator;

// Pushing data as fast as the sockets take it (FirehoseAsync).
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
}
