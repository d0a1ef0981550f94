using System.Globalization;

namespace KisFeed;

/// <summary>
/// Korea Standard Time (UTC+9, no daylight saving): the clock of every KIS time field and of the trading day. A
/// record's <see cref="ProgramTrade.TradingDate"/>, the day a recording, a stream or a seed means, and every time
/// KisFeed shows, are KST. The one place KisFeed turns instants into Korean dates and back.
/// </summary>
public static class KoreaTime
{
    /// <summary>UTC+9.</summary>
    public static TimeSpan Offset { get; } = TimeSpan.FromHours(9);

    /// <summary>Now, in KST, on <paramref name="time"/> (default the system clock).</summary>
    public static DateTimeOffset Now(TimeProvider? time = null) => ToKst((time ?? TimeProvider.System).GetUtcNow());

    /// <summary>Today's date in Korea on <paramref name="time"/> (default the system clock): the trading day.</summary>
    public static DateOnly Today(TimeProvider? time = null) => DateOf((time ?? TimeProvider.System).GetUtcNow());

    /// <summary>The same instant with the KST offset.</summary>
    public static DateTimeOffset ToKst(DateTimeOffset instant) => instant.ToOffset(Offset);

    /// <summary>
    /// The date in Korea at <paramref name="instant"/> (whatever its offset). Never throws: an instant within nine hours
    /// of <see cref="DateTimeOffset.MaxValue"/> (a forged or damaged time) is <see cref="DateOnly.MaxValue"/>.
    /// </summary>
    public static DateOnly DateOf(DateTimeOffset instant) =>
        instant.UtcTicks > DateTime.MaxValue.Ticks - Offset.Ticks
            ? DateOnly.MaxValue
            : DateOnly.FromDateTime(new DateTime(instant.UtcTicks + Offset.Ticks, DateTimeKind.Unspecified));

    /// <summary>The instant of <paramref name="time"/> on <paramref name="date"/> in Korea.</summary>
    public static DateTimeOffset At(DateOnly date, TimeOnly time) => new(date.ToDateTime(time), Offset);

    /// <summary>Midnight KST at the start of <paramref name="date"/>.</summary>
    public static DateTimeOffset StartOf(DateOnly date) => At(date, TimeOnly.MinValue);

    /// <summary>A short KST time of day for one-line messages, e.g. <c>13:05:07</c>.</summary>
    internal static string Format(DateTimeOffset instant) => ToKst(instant).ToString("HH:mm:ss", CultureInfo.InvariantCulture);
}
