using System.Globalization;

using KisFeed.Simulator;

using SimVenue = KisFeed.Simulator.Venue;

namespace KisFeed.IntegrationTests.Simulator;

/// <summary>The market model and the session-hours table, without sockets.</summary>
public sealed class SimulatorMarketModelTests
{
    private static readonly TimeSpan Kst = TimeSpan.FromHours(9);

    [Theory]
    [InlineData("07:59:59", "Nxt", false)]
    [InlineData("08:00:00", "Nxt", true)]
    [InlineData("08:50:00", "Nxt", false)]
    [InlineData("09:00:29", "Nxt", false)]
    [InlineData("09:00:30", "Nxt", true)]
    [InlineData("15:19:59", "Nxt", true)]
    [InlineData("15:20:00", "Nxt", false)]
    [InlineData("15:40:00", "Nxt", true)]
    [InlineData("20:00:00", "Nxt", false)]
    [InlineData("08:59:59", "Krx", false)]
    [InlineData("09:00:00", "Krx", true)]
    [InlineData("15:29:59", "Krx", true)]
    [InlineData("15:30:00", "Krx", false)]
    [InlineData("15:59:59", "Krx", false)]
    [InlineData("16:00:00", "Krx", true)]
    [InlineData("19:59:59", "Krx", true)]
    [InlineData("20:00:00", "Krx", false)]
    [InlineData("08:55:00", "Unified", false)]
    [InlineData("09:00:00", "Unified", true)]
    [InlineData("15:25:00", "Unified", true)]
    [InlineData("15:35:00", "Unified", false)]
    [InlineData("16:00:00", "Unified", true)]
    [InlineData("19:59:59", "Unified", true)]
    [InlineData("20:00:00", "Unified", false)]
    public void Real_hours_follow_the_venue_sessions_in_KST(string kstTime, string venue, bool open)
    {
        var at = new DateTimeOffset(new DateOnly(2026, 7, 8), TimeOnly.Parse(kstTime, CultureInfo.InvariantCulture), Kst); // Wednesday
        SimVenue v = Enum.Parse<SimVenue>(venue);
        Assert.Equal(open, KisFeed.Simulator.KoreaTime.IsOpen(MarketHours.Real, v, at));
        Assert.Equal(open, KisFeed.Simulator.KoreaTime.IsOpen(MarketHours.Real, v, at.ToUniversalTime())); // the offset of the input does not matter
        Assert.False(KisFeed.Simulator.KoreaTime.IsOpen(MarketHours.Real, v, at.AddDays(3))); // Saturday
        Assert.True(KisFeed.Simulator.KoreaTime.IsOpen(MarketHours.AlwaysOpen, v, at.AddDays(3)));
    }

    [Fact]
    public void Ten_thousand_updates_keep_every_invariant()
    {
        var feed = new MarketFeed(new MarketModel(42, MarketHours.AlwaysOpen, SimulatorUniverse.Default), new StepPlan(42, 0));
        var wanted = new HashSet<(SimVenue, string)>
        {
            (SimVenue.Krx, "005930"), (SimVenue.Nxt, "005930"), (SimVenue.Unified, "005930"), (SimVenue.Krx, "000660"), (SimVenue.Nxt, "100123"),
        };
        var last = new Dictionary<(SimVenue, string), long[]>();
        var start = new DateTimeOffset(2026, 7, 8, 9, 30, 0, Kst);
        for (int tick = 0; tick < 2000; tick++)
        {
            Dictionary<(SimVenue Venue, string Code), List<string[]>> produced = feed.Tick(start.AddMilliseconds(100 * tick), wanted, 1);
            foreach (((SimVenue venue, string code), List<string[]> records) in produced)
            {
                foreach (string[] r in records)
                {
                    Assert.Equal(11, r.Length);
                    long[] v = [.. r.Skip(2).Select(s => long.Parse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture))];
                    Assert.Equal(v[2] - v[0], v[4]);
                    Assert.Equal(v[3] - v[1], v[5]);
                    Assert.Equal(v[7] - v[6], v[8]);
                    Assert.True(v[6] >= 0 && v[7] >= 0);
                    if (last.TryGetValue((venue, code), out long[]? p))
                    {
                        Assert.True(v[0] >= p[0] && v[1] >= p[1] && v[2] >= p[2] && v[3] >= p[3]);
                        long dq = v[0] - p[0] + v[2] - p[2];
                        long dv = v[1] - p[1] + v[3] - p[3];
                        if (dq > 1000 && code == "005930")
                        {
                            Assert.InRange((double)dv / dq, 80_000, 125_000); // value grows by volume × a price near the 100,000 level
                        }
                    }

                    last[(venue, code)] = v;
                }
            }
        }

        Assert.Equal(5, last.Count);
        Assert.True(last[(SimVenue.Nxt, "005930")][0] < last[(SimVenue.Krx, "005930")][0]);
    }

    [Fact]
    public void Price_levels_are_plausible_KRX_prices()
    {
        // Known large caps start from their level in data/large-caps.csv (embedded in the simulator).
        Assert.Equal(100_000, SimulatorUniverse.Default.Stocks.Single(s => s.Code == "005930").PriceLevel);
        Assert.Equal(550_000, SimulatorUniverse.Default.Stocks.Single(s => s.Code == "000660").PriceLevel);
        foreach (SimulatedStock s in SimulatorUniverse.Default.Stocks)
        {
            Assert.InRange(s.PriceLevel, 500, 1_500_000);
            Assert.Equal(s.PriceLevel, TickGrid.Round(s.PriceLevel));
        }
    }
}
