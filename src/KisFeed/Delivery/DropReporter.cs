namespace KisFeed.Delivery;

/// <summary>
/// Counts a session's consumers' losses and reports them at most once a second (the callback runs on the writing task).
/// </summary>
internal sealed class DropReporter(TimeProvider time, Action<Subscriber, long> report, Action? each = null)
{
    private long _last = long.MinValue; // Interlocked: any writer

    public void Report(Subscriber subscriber, long droppedSoFar)
    {
        each?.Invoke();
        long now = time.GetTimestamp();
        long last = Interlocked.Read(ref _last);
        if ((last == long.MinValue || time.GetElapsedTime(last, now) >= TimeSpan.FromSeconds(1))
            && Interlocked.CompareExchange(ref _last, now, last) == last)
        {
            report(subscriber, droppedSoFar);
        }
    }
}
