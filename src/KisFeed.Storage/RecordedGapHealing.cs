namespace KisFeed.Storage;

/// <summary>
/// How healing one registration of a recorded gap ended (a row of <c>gap_healing</c>, schema version 3; see
/// <see cref="ProgramTradeRecorder.RecordHealing(GapHealingReport, DateTimeOffset, DateTimeOffset)"/>).
/// </summary>
/// <param name="GapFrom">Start of the gap it belongs to (equals <see cref="RecordingGap.From"/> of that gap).</param>
/// <param name="GapTo">End of the gap (equals <see cref="RecordingGap.To"/>).</param>
/// <param name="Registration">The venue and code healed.</param>
/// <param name="Outcome">Healed, partly healed or not healed.</param>
/// <param name="RestRows">Rows REST gave back for it (recorded as trades with <see cref="TradeSource.Rest"/>).</param>
/// <param name="StillMissingFrom">Start of what is still missing; null when healed.</param>
/// <param name="StillMissingTo">End of what is still missing; null when healed.</param>
/// <param name="Detail">What happened, in words.</param>
public sealed record RecordedGapHealing(
    DateTimeOffset GapFrom, DateTimeOffset GapTo, Registration Registration, GapHealing Outcome, int RestRows,
    DateTimeOffset? StillMissingFrom, DateTimeOffset? StillMissingTo, string Detail);
