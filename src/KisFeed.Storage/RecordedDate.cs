namespace KisFeed.Storage;

/// <summary>One trading date in a recording (see <see cref="ProgramTradeCatalog.ListDatesAsync"/>).</summary>
/// <param name="Date">The trading date (KST).</param>
/// <param name="Records">Number of updates recorded for the date.</param>
/// <param name="Codes">Number of distinct codes.</param>
/// <param name="FirstReceivedAt">Earliest <c>received_at</c> of the date.</param>
/// <param name="LastReceivedAt">Latest <c>received_at</c> of the date.</param>
public readonly record struct RecordedDate(DateOnly Date, long Records, long Codes, DateTimeOffset FirstReceivedAt, DateTimeOffset LastReceivedAt);
