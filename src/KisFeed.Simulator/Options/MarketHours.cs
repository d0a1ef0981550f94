namespace KisFeed.Simulator;

/// <summary>Which trading hours the market model honours.</summary>
public enum MarketHours
{
    /// <summary>Every venue is open at every instant (demos and most tests).</summary>
    AlwaysOpen,

    /// <summary>
    /// Per-venue session hours in Korea time (protocol notes §8.3, community sources): NXT pre 08:00–08:50,
    /// main 09:00:30–15:20, after 15:40–20:00; KRX main 09:00–15:30, after-market 16:00–20:00; unified = union;
    /// weekends and KRX holidays (<c>data/krx-holidays.csv</c>) closed, no NXT before 2025-03-04. Subscribing still
    /// succeeds outside hours; no data is sent.
    /// </summary>
    Real,
}
