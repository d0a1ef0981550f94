namespace KisFeed.Simulator;

/// <summary>
/// Venue session hours in KST by second of the day (protocol notes §8.3, community sources): NXT pre 08:00–08:50, main
/// 09:00:30–15:20, after 15:40–20:00; KRX main 09:00–15:30 and the after-market 16:00–20:00 (from 2026-09-14; whether the
/// program-trading TRs publish in it is not documented, the simulator assumes they do [inferred]); unified = either.
/// With <see cref="MarketHours.Real"/> nothing trades on weekends and KRX holidays, and NXT not before 2025-03-04.
/// </summary>
internal static class SessionHours
{
    public static bool IsOpen(MarketHours hours, Venue venue, DateOnly date, int second)
    {
        if (hours == MarketHours.AlwaysOpen)
        {
            return true;
        }

        return venue switch
        {
            Venue.Nxt => KrxCalendar.IsNxtTradingDay(date)
                && (In(second, 8, 0, 0, 8, 50, 0) || In(second, 9, 0, 30, 15, 20, 0) || In(second, 15, 40, 0, 20, 0, 0)),
            Venue.Krx => KrxCalendar.IsTradingDay(date) && (In(second, 9, 0, 0, 15, 30, 0) || In(second, 16, 0, 0, 20, 0, 0)),
            _ => IsOpen(hours, Venue.Krx, date, second) || IsOpen(hours, Venue.Nxt, date, second),
        };
    }

    /// <summary>The sessions of <paramref name="venue"/> on <paramref name="date"/> as [start, end) seconds of the day (empty when it does not trade).</summary>
    public static IReadOnlyList<(int Start, int End)> Intervals(MarketHours hours, Venue venue, DateOnly date)
    {
        if (hours == MarketHours.AlwaysOpen)
        {
            return [(0, DayProfile.DaySeconds)];
        }

        static int S(int h, int m, int s) => (h * 3600) + (m * 60) + s;
        return venue switch
        {
            Venue.Nxt when KrxCalendar.IsNxtTradingDay(date) => [(S(8, 0, 0), S(8, 50, 0)), (S(9, 0, 30), S(15, 20, 0)), (S(15, 40, 0), S(20, 0, 0))],
            Venue.Krx when KrxCalendar.IsTradingDay(date) => [(S(9, 0, 0), S(15, 30, 0)), (S(16, 0, 0), S(20, 0, 0))],
            _ => [],
        };
    }

    /// <summary>Whether <paramref name="second"/> lies in KRX's main session (where prices move most).</summary>
    public static bool IsKrxMain(MarketHours hours, DateOnly date, int second) =>
        hours == MarketHours.Real && KrxCalendar.IsTradingDay(date) && In(second, 9, 0, 0, 15, 30, 0);

    private static bool In(int s, int h1, int m1, int s1, int h2, int m2, int s2) =>
        s >= (h1 * 3600) + (m1 * 60) + s1 && s < (h2 * 3600) + (m2 * 60) + s2;
}
