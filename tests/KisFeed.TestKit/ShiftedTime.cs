namespace KisFeed.TestKit;

/// <summary>
/// The system clock moved by a fixed offset: time runs at its real pace (timers and delays are real ones) but reads as
/// another date and hour, so a test that needs real time (a CLI run of a few seconds) can still choose the hour it
/// runs at, whatever the wall clock says.
/// </summary>
public sealed class ShiftedTime : TimeProvider
{
    private readonly TimeSpan _offset;

    private ShiftedTime(TimeSpan offset) => _offset = offset;

    /// <summary>A clock that reads <paramref name="now"/> at the moment it is made, and runs on from there.</summary>
    public static ShiftedTime StartingAt(DateTimeOffset now) => new(now - System.GetUtcNow());

    /// <summary>A clock reading the coming (or current) day at <paramref name="kstTimeOfDay"/> KST (UTC+9), then running on.</summary>
    public static ShiftedTime AtKst(TimeSpan kstTimeOfDay)
    {
        DateTimeOffset kst = System.GetUtcNow().ToOffset(TimeSpan.FromHours(9));
        return StartingAt(new DateTimeOffset(kst.Date + kstTimeOfDay, TimeSpan.FromHours(9)));
    }

    /// <inheritdoc/>
    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + _offset;
}
