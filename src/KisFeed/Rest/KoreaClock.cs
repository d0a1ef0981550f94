namespace KisFeed.Rest;

/// <summary>Korea Standard Time (UTC+9, no daylight saving), the clock of KIS's times of day.</summary>
internal static class KoreaClock
{
    public static readonly TimeSpan Offset = TimeSpan.FromHours(9);

    public static DateTimeOffset ToKst(DateTimeOffset t) => t.ToOffset(Offset);
}
