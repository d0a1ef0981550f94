namespace KisFeed.Protocol;

/// <summary>Korea Standard Time (UTC+9, no daylight saving), the clock of every KIS time field.</summary>
internal static class KoreaTime
{
    public static readonly TimeSpan Offset = TimeSpan.FromHours(9);

    public static DateTimeOffset ToKst(DateTimeOffset instant) => instant.ToOffset(Offset);

    /// <summary>A short KST time for one-line messages, e.g. <c>13:05:07</c> (with the date when it is not today's).</summary>
    public static string Format(DateTimeOffset instant) => ToKst(instant).ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
}
