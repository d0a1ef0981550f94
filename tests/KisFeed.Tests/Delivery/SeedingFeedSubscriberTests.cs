using System.Threading.Channels;

using KisFeed.Delivery;

namespace KisFeed.Tests.Delivery;

/// <summary>
/// The seeding buffer of a feed (<see cref="FeedOptions.FromStartOfDay"/>): what arrives while the seed is fetched is
/// held back in order, and REST rows at or after the first live second of their registration are cut, even when that
/// second is before the moment the subscription was live (a registration another consumer already held).
/// </summary>
public sealed class SeedingFeedSubscriberTests
{
    private static readonly DateOnly Day = new(2026, 11, 24);
    private static readonly Registration Samsung = new(Venue.Krx, "005930");
    private static readonly Registration Hynix = new(Venue.Krx, "000660");

    [Fact]
    public async Task Rows_from_the_first_live_second_on_are_cut_and_held_items_follow_the_seed_in_order()
    {
        var s = new FeedSubscriber(100, BoundedChannelFullMode.DropOldest, new DropReporter(TimeProvider.System, (_, _) => { }), seeding: true);
        s.Join(Samsung);
        s.Join(Hynix);
        Assert.True(s.IsSeeding);
        s.Write(Trade(Samsung, 12, 59, 58, 500, TradeSource.WebSocket));
        var reconnect = new DataGap(9, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddSeconds(1), [Samsung], "test");
        s.WriteGap(reconnect);
        s.Write(Trade(Samsung, 12, 59, 59, 510, TradeSource.WebSocket));

        var seed = new DataGap(1, new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.FromHours(9)), new DateTimeOffset(2026, 11, 24, 13, 0, 0, TimeSpan.FromHours(9)), [Samsung, Hynix], "seed") { IsSeed = true };
        ProgramTrade[] rows =
        [
            Trade(Samsung, 12, 59, 57, 490, TradeSource.Rest),
            Trade(Hynix, 12, 59, 57, 70, TradeSource.Rest),
            Trade(Samsung, 12, 59, 58, 500, TradeSource.Rest), // the live record's second: cut
            Trade(Hynix, 12, 59, 59, 80, TradeSource.Rest), // no live record of Hynix yet: kept
        ];
        GapHealingReport[] reports =
        [
            new(1, Samsung, GapHealing.Healed, 2, null, null, "reached 09:00:00"),
            new(1, Hynix, GapHealing.Healed, 2, null, null, "reached 09:00:00"),
        ];
        s.CompleteSeed([(seed, rows, reports)]);
        Assert.False(s.IsSeeding);
        s.Write(Trade(Samsung, 13, 0, 1, 520, TradeSource.WebSocket));
        s.Complete();

        var items = new List<FeedItem>();
        await foreach (FeedItem item in s.ReaderFor(this).ReadAllAsync(TestContext.Current.CancellationToken))
        {
            items.Add(item);
        }

        Assert.Equal(
            [
                "gap 1", "Rest 005930 12:59:57", "Rest 000660 12:59:57", "Rest 000660 12:59:59", "healed 005930 1", "healed 000660 2",
                "WebSocket 005930 12:59:58", "gap 9", "WebSocket 005930 12:59:59", "WebSocket 005930 13:00:01",
            ],
            items.Select(Describe));
    }

    [Fact]
    public async Task A_feed_that_does_not_seed_writes_straight_through()
    {
        var s = new FeedSubscriber(10, BoundedChannelFullMode.DropOldest, new DropReporter(TimeProvider.System, (_, _) => { }));
        s.Join(Samsung);
        Assert.False(s.IsSeeding);
        s.Write(Trade(Samsung, 10, 0, 0, 1, TradeSource.WebSocket));
        s.Complete();
        await foreach (FeedItem item in s.ReaderFor(this).ReadAllAsync(TestContext.Current.CancellationToken))
        {
            Assert.Equal("WebSocket 005930 10:00:00", Describe(item));
        }
    }

    private static string Describe(FeedItem i) => i.Kind switch
    {
        FeedItemKind.Trade => $"{i.Trade.Source} {i.Trade.Code} {i.Trade.Time:HH:mm:ss}",
        FeedItemKind.Gap => $"gap {i.Gap!.Id}",
        _ => $"healed {i.Healing!.Registration.Code} {i.Healing.Rows}",
    };

    private static ProgramTrade Trade(Registration r, int h, int m, int sec, long buy, TradeSource source) => new(
        r.Venue, r.Code, Day, new TimeOnly(h, m, sec), 0, 0, buy, buy * 1000, buy, buy * 1000, 0, 0, 0,
        new DateTimeOffset(Day.ToDateTime(new TimeOnly(h, m, sec)), TimeSpan.FromHours(9)),
        source == TradeSource.Rest ? ProgramTrade.ResidualFields : ProgramTradeFields.None, source);
}
