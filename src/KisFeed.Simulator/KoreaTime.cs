namespace KisFeed.Simulator;

/// <summary>Korea Standard Time (UTC+9, no daylight saving) and whether a venue is in session at an instant.</summary>
internal static class KoreaTime
{
    public static readonly TimeSpan Offset = TimeSpan.FromHours(9);

    public static DateTimeOffset ToKst(DateTimeOffset utc) => utc.ToOffset(Offset);

    /// <summary>Midnight KST of the day <paramref name="now"/> falls on: where a trading day's cumulative values start.</summary>
    public static DateTimeOffset DayStart(DateTimeOffset now) => new(ToKst(now).Date, Offset);

    /// <summary>Whether <paramref name="venue"/> is in session at <paramref name="now"/> (see <see cref="SessionHours"/>).</summary>
    public static bool IsOpen(MarketHours hours, Venue venue, DateTimeOffset now)
    {
        DateTimeOffset kst = ToKst(now);
        return SessionHours.IsOpen(hours, venue, DateOnly.FromDateTime(kst.DateTime), (int)kst.TimeOfDay.TotalSeconds);
    }
}
