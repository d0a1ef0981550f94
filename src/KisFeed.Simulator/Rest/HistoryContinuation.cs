namespace KisFeed.Simulator;

/// <summary>Where the next page of a paged history request starts: rows strictly before <paramref name="Before"/>, not before <paramref name="Oldest"/>.</summary>
internal sealed record HistoryContinuation(DateTimeOffset Oldest, DateTimeOffset Before);
