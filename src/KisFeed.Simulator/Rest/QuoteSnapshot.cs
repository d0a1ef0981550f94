namespace KisFeed.Simulator;

/// <summary>What inquire-price shows: the state now, the previous close, the day's open / high / low, the previous day's volume and past closes.</summary>
internal sealed record QuoteSnapshot(DateOnly Date, ProgramFields State, long PreviousClose, long Open, long High, long Low, long PreviousVolume, IReadOnlyList<(DateOnly Date, long Close)> Closes);
