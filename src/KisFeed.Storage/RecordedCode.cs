namespace KisFeed.Storage;

/// <summary>One code in a recording (see <see cref="ProgramTradeCatalog.ListCodesAsync"/>).</summary>
/// <param name="Code">The stock code.</param>
/// <param name="Venues">The venues it was recorded on.</param>
/// <param name="Records">Number of updates.</param>
public sealed record RecordedCode(string Code, IReadOnlyList<Venue> Venues, long Records);
