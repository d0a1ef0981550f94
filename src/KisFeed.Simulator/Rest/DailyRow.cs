namespace KisFeed.Simulator;

/// <summary>One trading day of one (venue, stock): its program totals (the day so far, today), close and previous close.</summary>
internal readonly record struct DailyRow(DateOnly Date, ProgramFields State, long Close, long PreviousClose);
