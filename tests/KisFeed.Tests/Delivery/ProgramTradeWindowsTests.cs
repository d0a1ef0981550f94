namespace KisFeed.Tests.Delivery;

/// <summary>Issue 19 item 2: Δ1m/Δ5m only when the data covers the window.</summary>
public sealed class ProgramTradeWindowsTests
{
    private static readonly DateOnly Day = new(2026, 11, 24);
    private static readonly Registration Samsung = new(Venue.Krx, "005930");

    private static DateTimeOffset Kst(int h, int m, int s = 0) => new(2026, 11, 24, h, m, s, TimeSpan.FromHours(9));

    private static ProgramTrade Trade(int h, int m, int s, long net, TradeSource source = TradeSource.WebSocket) =>
        new(Venue.Krx, "005930", Day, new TimeOnly(h, m, s), 0, 0, 0, 0, 0, net, 0, 0, 0, Kst(h, m, s), ProgramTradeFields.None, source);

    [Fact]
    public void A_board_started_mid_day_says_nothing_about_a_window_it_has_not_seen()
    {
        var w = new ProgramTradeWindows();
        // The first record of the session carries the day's cumulative value so far: 636억 bought "in the last 5 minutes" is false.
        w.Observe(Trade(10, 0, 0, 63_600_000_000));
        w.Observe(Trade(10, 2, 0, 63_700_000_000));
        Assert.Null(w.Change(Samsung, ProgramTradeWindows.FiveMinutes, Kst(10, 3)));
        Assert.Equal(100_000_000, w.Change(Samsung, ProgramTradeWindows.OneMinute, Kst(10, 2, 30))); // 10:02 − the value at 10:01:30 (10:00's)
        Assert.Equal(0, w.Change(Samsung, ProgramTradeWindows.OneMinute, Kst(10, 3)));

        w.Observe(Trade(10, 5, 30, 64_000_000_000));
        Assert.Equal(400_000_000, w.Change(Samsung, ProgramTradeWindows.FiveMinutes, Kst(10, 5, 30))); // 10:05:30 − 10:00:00
        Assert.Equal(0, w.Change(Samsung, ProgramTradeWindows.OneMinute, Kst(10, 7)));                 // quiet for a minute: no change, known
    }

    [Fact]
    public void A_feed_seeded_from_rest_is_exact_from_its_first_live_record()
    {
        var w = new ProgramTradeWindows();
        var seed = new DataGap(1, Kst(9, 0), Kst(10, 0), [Samsung], "seed") { IsSeed = true };
        w.Observe(seed);
        for (int m = 0; m < 60; m++)
        {
            w.Observe(Trade(9, m, 0, m * 10_000_000L, TradeSource.Rest));
        }

        Assert.Null(w.Change(Samsung, ProgramTradeWindows.FiveMinutes, Kst(10, 0))); // rows are in, but the seed is not reported healed yet
        w.Observe(new GapHealingReport(1, Samsung, GapHealing.Healed, 60, null, null, "REST reached 09:00"));
        w.Observe(Trade(10, 0, 1, 600_000_000));
        Assert.Equal(600_000_000 - 550_000_000, w.Change(Samsung, ProgramTradeWindows.FiveMinutes, Kst(10, 0, 1))); // 10:00:01 − 09:55
    }

    [Fact]
    public void A_gap_blanks_the_windows_it_overlaps_until_healed_and_a_partial_heal_keeps_what_is_missing()
    {
        var w = new ProgramTradeWindows();
        for (int m = 0; m <= 10; m++)
        {
            w.Observe(Trade(10, m, 0, m * 1_000_000L));
        }

        // The connection dropped from 10:10 to 10:12; records arrive again from 10:12.
        w.Observe(new DataGap(7, Kst(10, 10, 0), Kst(10, 12, 0), [Samsung], "reconnect"));
        w.Observe(Trade(10, 12, 0, 15_000_000));
        w.Observe(Trade(10, 14, 0, 16_000_000));
        Assert.Null(w.Change(Samsung, ProgramTradeWindows.FiveMinutes, Kst(10, 14)));      // 10:09 .. 10:14 overlaps the gap
        Assert.Equal(1_000_000, w.Change(Samsung, ProgramTradeWindows.OneMinute, Kst(10, 14))); // 10:13 .. 10:14: after it (value at 10:13 = 10:12's)

        // Partly healed: REST gave back 10:10–10:11, 10:11–10:12 is still missing.
        w.Observe(Trade(10, 11, 0, 12_000_000, TradeSource.Rest));
        w.Observe(new GapHealingReport(7, Samsung, GapHealing.PartlyHealed, 1, Kst(10, 11, 0), Kst(10, 12, 0), "REST window too short"));
        Assert.Null(w.Change(Samsung, ProgramTradeWindows.FiveMinutes, Kst(10, 14)));

        // Later, the still-missing minute is behind the window: known again.
        w.Observe(Trade(10, 18, 0, 20_000_000));
        Assert.Equal(20_000_000 - 15_000_000, w.Change(Samsung, ProgramTradeWindows.FiveMinutes, Kst(10, 18))); // 10:13's value = 10:12's

        // A healed gap closes its hole entirely.
        var other = new ProgramTradeWindows();
        for (int m = 0; m <= 10; m++)
        {
            other.Observe(Trade(10, m, 0, m * 1_000_000L));
        }

        other.Observe(new DataGap(3, Kst(10, 10, 0), Kst(10, 12, 0), [Samsung], "reconnect"));
        other.Observe(Trade(10, 11, 0, 11_000_000, TradeSource.Rest));
        other.Observe(Trade(10, 12, 0, 15_000_000));
        Assert.Null(other.Change(Samsung, ProgramTradeWindows.FiveMinutes, Kst(10, 12)));
        other.Observe(new GapHealingReport(3, Samsung, GapHealing.Healed, 1, null, null, "healed"));
        Assert.Equal(15_000_000 - 7_000_000, other.Change(Samsung, ProgramTradeWindows.FiveMinutes, Kst(10, 12)));
    }

    [Fact]
    public void A_gap_of_another_registration_or_yesterday_does_not_blank_this_one()
    {
        var w = new ProgramTradeWindows();
        w.Observe(new DataGap(1, Kst(9, 0).AddDays(-1), Kst(9, 30).AddDays(-1), [Samsung], "yesterday"));
        w.Observe(new DataGap(2, Kst(10, 1), Kst(10, 2), [new Registration(Venue.Nxt, "005930")], "other venue"));
        w.Observe(Trade(10, 0, 0, 0));
        w.Observe(Trade(10, 6, 0, 5_000_000));
        Assert.Equal(5_000_000, w.Change(Samsung, ProgramTradeWindows.FiveMinutes, Kst(10, 6)));
    }

    [Fact]
    public void Over_a_day_of_updates_the_windows_stay_exact_and_longer_ones_are_not_claimed()
    {
        var w = new ProgramTradeWindows();
        for (int s = 0; s < 6 * 3600; s++)
        {
            w.Observe(Trade(9 + (s / 3600), s / 60 % 60, s % 60, s));
        }

        // 14:59:59 − 14:54:59 (one update a second).
        Assert.Equal(300, w.Change(Samsung, ProgramTradeWindows.FiveMinutes, Kst(14, 59, 59)));
        Assert.Null(w.Change(Samsung, TimeSpan.FromMinutes(6), Kst(14, 59, 59))); // longer than it keeps: not claimed
    }
}
