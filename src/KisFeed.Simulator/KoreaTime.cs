namespace KisFeed.Simulator;

/// <summary>Korea Standard Time (UTC+9, no daylight saving) and venue session hours.</summary>
internal static class KoreaTime
{
    public static readonly TimeSpan Offset = TimeSpan.FromHours(9);

    public static DateTimeOffset ToKst(DateTimeOffset utc) => utc.ToOffset(Offset);

    /// <summary>Midnight KST of the day <paramref name="now"/> falls on: where a trading day's cumulative values start.</summary>
    public static DateTimeOffset DayStart(DateTimeOffset now) => new(ToKst(now).Date, Offset);

    public static bool IsOpen(MarketHours hours, Venue venue, DateTimeOffset now)
    {
        if (hours == MarketHours.AlwaysOpen)
        {
            return true;
        }

        DateTimeOffset kst = ToKst(now);
        if (kst.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday)
        {
            return false;
        }

        TimeSpan t = kst.TimeOfDay;
        return venue switch
        {
            // Notes §8.3 (community sources): NXT pre 08:00–08:50, main 09:00:30–15:20, after 15:40–20:00.
            Venue.Nxt => In(t, 8, 0, 0, 8, 50, 0) || In(t, 9, 0, 30, 15, 20, 0) || In(t, 15, 40, 0, 20, 0, 0),
            // KRX main 09:00–15:30 and the after-market 16:00–20:00 introduced on 2026-09-14 (notes §8.3). Whether the PGM
            // TRs publish during the after-market is not documented; the simulator assumes they do [inferred].
            Venue.Krx => In(t, 9, 0, 0, 15, 30, 0) || In(t, 16, 0, 0, 20, 0, 0),
            _ => IsOpen(hours, Venue.Krx, now) || IsOpen(hours, Venue.Nxt, now),
        };
    }

    private static bool In(TimeSpan t, int h1, int m1, int s1, int h2, int m2, int s2) =>
        t >= new TimeSpan(h1, m1, s1) && t < new TimeSpan(h2, m2, s2);
}

/// <summary>The three program-trading venues and their TR ids (notes §7).</summary>
internal enum Venue
{
    Krx,
    Nxt,
    Unified,
}

internal static class TrIds
{
    public const string Krx = "H0STPGM0";
    public const string Nxt = "H0NXPGM0";
    public const string Unified = "H0UNPGM0";

    public static bool TryGetVenue(string trId, out Venue venue)
    {
        switch (trId)
        {
            case Krx: venue = Venue.Krx; return true;
            case Nxt: venue = Venue.Nxt; return true;
            case Unified: venue = Venue.Unified; return true;
            default: venue = default; return false;
        }
    }

    public static string Of(Venue venue) => venue switch
    {
        Venue.Krx => Krx,
        Venue.Nxt => Nxt,
        _ => Unified,
    };

    /// <summary>
    /// Other documented real-time TR ids (notes §9). Accepted (subscribe succeeds, counts toward the cap) but no data is
    /// produced for them [inferred: the simulator models program trading only].
    /// </summary>
    public static readonly HashSet<string> OtherAccepted = new(StringComparer.Ordinal)
    {
        "H0STCNT0", "H0NXCNT0", "H0UNCNT0", "H0STASP0", "H0NXASP0", "H0UNASP0",
        "H0STANC0", "H0NXANC0", "H0UNANC0", "H0STMBC0", "H0NXMBC0", "H0UNMBC0",
        "H0STMKO0", "H0NXMKO0", "H0UNMKO0", "H0STOUP0", "H0STOAA0", "H0STOAC0",
        "H0STNAV0", "H0UPCNT0", "H0UPANC0", "H0UPPGM0",
    };
}
