namespace KisFeed.Session;

/// <summary>
/// Decides which rejected frames are reported one by one. Every rejected frame is counted (statistics and the
/// <c>kisfeed.frames.rejected</c> counter, by reason); per reason (<see cref="FrameError"/>), the first of each
/// <see cref="Window"/> is logged and raised as <see cref="KisRealtimeClient.FrameRejected"/> with its raw frame, and the
/// others of that window are only counted, their number carried by the next report. So a server that sends nothing but
/// broken frames costs a log line and an event a second per reason, not one per frame.
/// </summary>
internal sealed class RejectionThrottle(TimeProvider time)
{
    /// <summary>At most one report per reason in this long.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(1);

    private static readonly int Reasons = Enum.GetValues<FrameError>().Length;
    private readonly long[] _last = [.. Enumerable.Repeat(long.MinValue, Reasons)]; // Interlocked: per reason, when it was last reported
    private readonly long[] _suppressed = new long[Reasons]; // Interlocked: per reason, counted since then and not reported

    /// <summary>
    /// True when this frame is to be reported; then <paramref name="suppressedBefore"/> is how many of its reason were
    /// not reported since the previous report (and that count starts again).
    /// </summary>
    public bool ShouldReport(FrameError error, out long suppressedBefore)
    {
        int i = (int)error;
        long now = time.GetTimestamp();
        long last = Interlocked.Read(ref _last[i]);
        if ((last == long.MinValue || time.GetElapsedTime(last, now) >= Window) && Interlocked.CompareExchange(ref _last[i], now, last) == last)
        {
            suppressedBefore = Interlocked.Exchange(ref _suppressed[i], 0);
            return true;
        }

        Interlocked.Increment(ref _suppressed[i]);
        suppressedBefore = 0;
        return false;
    }
}
