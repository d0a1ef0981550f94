namespace KisFeed.Cli;

/// <summary>Trading sessions by the KST clock.</summary>
internal static class MarketSessions
{
    /// <summary>"pre", "main", "after" or "closed" for <paramref name="venue"/> at <paramref name="kst"/>.</summary>
    public static string StateOf(Venue venue, DateTimeOffset kst)
    {
        if (kst.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday)
        {
            return "closed";
        }

        TimeSpan t = kst.TimeOfDay;
        static bool In(TimeSpan t, int h1, int m1, int s1, int h2, int m2) => t >= new TimeSpan(h1, m1, s1) && t < new TimeSpan(h2, m2, 0);
        return venue switch
        {
            Venue.Nxt when In(t, 8, 0, 0, 8, 50) => "pre",
            Venue.Nxt when In(t, 9, 0, 30, 15, 20) => "main",
            Venue.Nxt when In(t, 15, 40, 0, 20, 0) => "after",
            Venue.Krx when In(t, 9, 0, 0, 15, 30) => "main",
            Venue.Krx when In(t, 16, 0, 0, 20, 0) => "after",
            _ => "closed",
        };
    }
}
