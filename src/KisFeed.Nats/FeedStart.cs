namespace KisFeed.Nats;

/// <summary>Where a <see cref="FeedConsumer"/> starts reading.</summary>
public abstract record FeedStart
{
    private FeedStart()
    {
    }

    /// <summary>From the first record of a trading day (KST midnight; default today), then live.</summary>
    public static FeedStart StartOfDay(DateOnly? day = null) => new StartOfDayStart(day);

    /// <summary>After stream sequence <paramref name="sequence"/> (0 = the whole stream), then live. Used by the recorder, whose database holds the last sequence it stored.</summary>
    public static FeedStart AfterSequence(ulong sequence) => new AfterSequenceStart(sequence);

    /// <summary>
    /// A durable consumer named <paramref name="name"/> on the server: it resumes where the last reader with that name
    /// stopped (a message counts as consumed when the reader asks for the next one). A new name starts at today's first record.
    /// </summary>
    public static FeedStart Durable(string name) => new DurableStart(name);

    /// <summary>Only records stored from now on.</summary>
    public static FeedStart Live { get; } = new LiveStart();

    internal sealed record StartOfDayStart(DateOnly? Day) : FeedStart;

    internal sealed record AfterSequenceStart(ulong Sequence) : FeedStart;

    internal sealed record DurableStart(string Name) : FeedStart;

    internal sealed record LiveStart : FeedStart;
}
