using KisFeed.Web;

namespace KisFeed.IntegrationTests.Web;

/// <summary>The board's rows (changes over 1 and 5 minutes, price from a price source), without a server.</summary>
public sealed class BoardStateTests
{
    private static readonly DateOnly Day = new(2026, 11, 24);

    private static ProgramTrade T(string time, long buyVolume, long buyValue, long sellVolume = 0, long sellValue = 0, Venue venue = Venue.Krx, DateOnly? day = null) =>
        new(venue, "005930", day ?? Day, TimeOnly.Parse(time, System.Globalization.CultureInfo.InvariantCulture), sellVolume, sellValue, buyVolume, buyValue,
            buyVolume - sellVolume, buyValue - sellValue, 0, 0, 0, DateTimeOffset.UnixEpoch);

    [Fact]
    public void Rows_carry_the_change_of_net_over_the_last_one_and_five_minutes()
    {
        BoardState board = new(64, new NoPriceSource("none"), Day);
        board.Apply(T("09:00:00", 10, 1_000));
        board.Apply(T("09:03:00", 20, 2_000));
        board.Apply(T("09:04:30", 30, 3_000));
        board.Apply(T("09:05:10", 35, 3_500));

        RowDto row = Assert.Single(board.Snapshot().Rows);
        Assert.Equal(3_500, row.Net);
        Assert.Equal(1_500, row.D1); // at 09:04:10 the last update was 09:03:00 (2,000)
        Assert.Equal(2_500, row.D5); // at 09:00:10 the last was 09:00:00's 1,000
        Assert.Equal(4, row.Updates);
    }

    [Fact]
    public void A_new_quote_sends_the_codes_rows_again_with_its_price_and_change_and_nothing_is_derived_from_trades()
    {
        var prices = new SettablePrices();
        BoardState board = new(64, prices, Day);
        board.Apply(T("09:00:00", 10, 1_000));
        board.Apply(T("09:00:05", 10, 1_000, 10, 1_100, Venue.Nxt));
        Assert.All(board.Snapshot().Rows, r => Assert.Null(r.Price)); // program trades carry no price: none is made up
        long seq = board.Seq;

        prices.Set("005930", 70_100, 70_000);
        RowDto[] rows = [.. board.Snapshot().Rows];
        Assert.Equal(2, rows.Length);
        Assert.All(rows, r => Assert.Equal(70_100, r.Price));
        Assert.All(rows, r => Assert.Equal(Math.Round(100 * 100.0 / 70_000, 2), r.Chg!.Value, 6)); // sent with 2 decimals
        Assert.True(board.Seq >= seq + 2, "the rows were sent again"); // so open pages get the price at once
    }

    private sealed class SettablePrices : IPriceSource
    {
        private readonly Dictionary<string, PriceQuote> _quotes = [];

        public string Label => "test prices";

        public event Action<string>? Changed;

        public void Set(string code, long price, long reference)
        {
            _quotes[code] = new PriceQuote(price, reference, Label);
            Changed?.Invoke(code);
        }

        public PriceQuote? Get(string code) => _quotes.TryGetValue(code, out PriceQuote q) ? q : null;

        public IReadOnlyList<PriceSample> Samples(string code) => [];
    }

    [Fact]
    public void A_gap_is_missing_until_every_registration_is_healed_and_partly_healed_in_between()
    {
        BoardState board = new(64, new NoPriceSource("none"), Day);
        DateTimeOffset from = new(2026, 11, 24, 10, 0, 0, TimeSpan.FromHours(9));
        Registration krx = new(Venue.Krx, "005930"), nxt = new(Venue.Nxt, "005930");
        board.Apply(FeedItem.FromGap(new DataGap(7, from, from.AddMinutes(2), [krx, nxt], "reconnect")));
        GapDto gap = Assert.Single(board.Snapshot().Gaps);
        Assert.Equal("missing", gap.Healing);
        Assert.Equal(["krx", "nxt"], gap.Venues);
        Assert.Equal(["005930"], gap.Codes);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds(), gap.From); // KST wall clock on the chart axis

        board.Apply(FeedItem.FromHealing(new GapHealingReport(7, krx, GapHealing.Healed, 12, null, null, "REST covered it")));
        Assert.Equal("partly", Assert.Single(board.Snapshot().Gaps).Healing);
        board.Apply(FeedItem.FromHealing(new GapHealingReport(7, nxt, GapHealing.Healed, 9, null, null, "REST covered it")));
        Assert.Equal("healed", Assert.Single(board.Snapshot().Gaps).Healing);

        // Each change is in the stream a resuming page reads.
        (long _, List<RowDto> rows, List<GapDto> gaps) = board.CollectSince(0)!.Value;
        Assert.Empty(rows);
        Assert.Equal(["missing", "partly", "healed"], gaps.Select(g => g.Healing));
    }

    [Fact]
    public void An_outcome_goes_to_the_gap_that_hit_its_registration_when_two_gateways_use_the_same_gap_id()
    {
        // A board fed from NATS: two gateways each number their gaps from 1.
        BoardState board = new(64, new NoPriceSource("none"), Day);
        DateTimeOffset from = new(2026, 11, 24, 10, 0, 0, TimeSpan.FromHours(9));
        Registration a = new(Venue.Krx, "005930"), b = new(Venue.Krx, "000660");
        board.Apply(FeedItem.FromGap(new DataGap(1, from, from.AddMinutes(1), [a], "gateway 1 reconnect")));
        board.Apply(FeedItem.FromGap(new DataGap(1, from.AddMinutes(5), from.AddMinutes(6), [b], "gateway 2 reconnect")));

        board.Apply(FeedItem.FromHealing(new GapHealingReport(1, b, GapHealing.Healed, 4, null, null, "REST covered it")));

        List<GapDto> gaps = board.Snapshot().Gaps;
        Assert.Equal(2, gaps.Count);
        Assert.Equal("missing", Assert.Single(gaps, g => g.Codes.SequenceEqual(["005930"])).Healing);
        Assert.Equal("healed", Assert.Single(gaps, g => g.Codes.SequenceEqual(["000660"])).Healing);
    }

    [Fact]
    public void Gaps_seeded_from_a_recording_carry_how_each_was_healed()
    {
        BoardState board = new(64, new NoPriceSource("none"), Day);
        DateTimeOffset from = new(2026, 11, 24, 10, 0, 0, TimeSpan.FromHours(9)), to = from.AddMinutes(2);
        Registration krx = new(Venue.Krx, "005930"), nxt = new(Venue.Nxt, "005930"), other = new(Venue.Krx, "000660");
        board.SeedGaps(
            [
                new KisFeed.Storage.RecordingGap(from, to, Venue.Krx, ["005930", "000660"], "reconnect"),
                new KisFeed.Storage.RecordingGap(from, to, Venue.Nxt, ["005930"], "reconnect"),
                new KisFeed.Storage.RecordingGap(from.AddHours(1), from.AddHours(1).AddMinutes(1), null, [], "server closed"),
            ],
            [
                new KisFeed.Storage.RecordedGapHealing(from, to, krx, GapHealing.Healed, 12, null, null, "REST covered it"),
                new KisFeed.Storage.RecordedGapHealing(from, to, other, GapHealing.Healed, 3, null, null, "REST covered it"),
                new KisFeed.Storage.RecordedGapHealing(from, to, nxt, GapHealing.PartlyHealed, 4, from.AddSeconds(30), to, "REST reached back to 10:00:30"),
                new KisFeed.Storage.RecordedGapHealing(from.AddMinutes(1), to, nxt, GapHealing.Healed, 1, null, null, "another gap's"),
            ]);

        List<GapDto> gaps = board.Snapshot().Gaps;
        Assert.Equal(["healed", "partly", "missing"], gaps.Select(g => g.Healing));
        Assert.Equal((ChartTime.Of(from.AddSeconds(30)), ChartTime.Of(to)), (gaps[1].MissingFrom, gaps[1].MissingTo));
        Assert.Equal((null, null), (gaps[0].MissingFrom, gaps[0].MissingTo));

        // One of two registrations healed: partly.
        BoardState half = new(64, new NoPriceSource("none"), Day);
        half.SeedGaps([new KisFeed.Storage.RecordingGap(from, to, Venue.Krx, ["005930", "000660"], "reconnect")],
            [new KisFeed.Storage.RecordedGapHealing(from, to, krx, GapHealing.Healed, 12, null, null, "REST covered it")]);
        Assert.Equal("partly", Assert.Single(half.Snapshot().Gaps).Healing);
    }
}
