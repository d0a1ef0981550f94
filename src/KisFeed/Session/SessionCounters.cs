namespace KisFeed.Session;

/// <summary>The session's counters. Every field is written with <see cref="Interlocked"/> and read with <c>Interlocked.Read</c>.</summary>
internal sealed class SessionCounters
{
    public long Frames;
    public long Records;
    public long Rejected;
    public long Damaged;
    public long Controls;
    public long PingPongs;
    public long Reconnects;
    public long Dropped;
    public long Gaps;
}
