namespace KisFeed;

/// <summary>The outcome of healing one registration of a <see cref="DataGap"/>.</summary>
/// <param name="GapId">The <see cref="DataGap.Id"/> healed.</param>
/// <param name="Registration">The registration.</param>
/// <param name="Outcome">Healed, partly healed or not healed.</param>
/// <param name="Rows">REST rows delivered inside the gap (marked <see cref="TradeSource.Rest"/>).</param>
/// <param name="StillMissingFrom">With <see cref="GapHealing.PartlyHealed"/> or <see cref="GapHealing.NotHealed"/>: start of what is still missing.</param>
/// <param name="StillMissingTo">End of what is still missing.</param>
/// <param name="Detail">Why, in words (how far back the REST window reached, or the error).</param>
public sealed record GapHealingReport(
    long GapId,
    Registration Registration,
    GapHealing Outcome,
    int Rows,
    DateTimeOffset? StillMissingFrom,
    DateTimeOffset? StillMissingTo,
    string Detail);
