namespace KisFeed;

/// <summary>How a <see cref="ProgramTradeDelta"/> relates to the previous update of the same (venue, code).</summary>
public enum ProgramTradeDeltaKind
{
    /// <summary>A normal update: the deltas are the change since the previous update of the same key on the same
    /// trading day (across a reconnect gap they simply span the gap).</summary>
    Continuation = 0,

    /// <summary>The first update seen for the key on its trading day (or ever): the deltas are the cumulative values
    /// themselves, because the cumulative counters restart at zero each trading day.</summary>
    FirstOfDay = 1,

    /// <summary>A cumulative sell/buy value or volume went down within a trading day (or the trading date went
    /// backwards), so the counters are taken to have restarted: the deltas are the cumulative values themselves.</summary>
    Reset = 2,
}
