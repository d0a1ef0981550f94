namespace KisFeed.Tests.Storage;

public sealed class ProgramTradeFlowTests
{
    private static readonly DateOnly Day1 = new(2026, 11, 23);
    private static readonly DateOnly Day2 = new(2026, 11, 24);

    private static ProgramTrade Trade(
        DateOnly date, int second, long sellVolume, long sellValue, long buyVolume, long buyValue,
        long ask = 0, long bid = 0, Venue venue = Venue.Nxt, string code = "005930",
        ProgramTradeFields missing = ProgramTradeFields.None) =>
        new(venue, code, date, new TimeOnly(9, 0).Add(TimeSpan.FromSeconds(second)),
            sellVolume, sellValue, buyVolume, buyValue, buyVolume - sellVolume, buyValue - sellValue,
            ask, bid, bid - ask, new DateTimeOffset(date.ToDateTime(new TimeOnly(0, 0)), TimeSpan.Zero).AddSeconds(second), missing);

    [Fact]
    public void FirstUpdateOfTheDayIsTheCumulativeValues()
    {
        ProgramTradeFlow flow = new();
        ProgramTrade t = Trade(Day1, 1, 100, 1_000, 300, 3_000, ask: 50, bid: 70);

        ProgramTradeDelta d = flow.Next(t);

        Assert.Equal(ProgramTradeDeltaKind.FirstOfDay, d.Kind);
        Assert.True(d.IsFirstOfDay);
        Assert.Equal(t, d.Trade);
        Assert.Equal((100L, 1_000L, 300L, 3_000L), (d.SellVolume, d.SellValue, d.BuyVolume, d.BuyValue));
        Assert.Equal((200L, 2_000L), (d.NetBuyVolume, d.NetBuyValue));
        Assert.Equal((50L, 70L, 20L), (d.AskResidualChange, d.BidResidualChange, d.NetBidResidualChange));
    }

    [Fact]
    public void ContinuationIsTheDifferenceAndResidualChangesMayBeNegative()
    {
        ProgramTradeFlow flow = new();
        flow.Next(Trade(Day1, 1, 100, 1_000, 300, 3_000, ask: 50, bid: 70));

        ProgramTradeDelta d = flow.Next(Trade(Day1, 2, 150, 1_600, 300, 3_000, ask: 20, bid: 90));

        Assert.Equal(ProgramTradeDeltaKind.Continuation, d.Kind);
        Assert.Equal((50L, 600L, 0L, 0L), (d.SellVolume, d.SellValue, d.BuyVolume, d.BuyValue));
        Assert.Equal((-50L, -600L), (d.NetBuyVolume, d.NetBuyValue));
        Assert.Equal((-30L, 20L, 50L), (d.AskResidualChange, d.BidResidualChange, d.NetBidResidualChange));
        Assert.False(d.IsEmpty);
    }

    [Fact]
    public void AcrossAReconnectGapTheDeltaSpansTheGap()
    {
        ProgramTradeFlow flow = new();
        flow.Next(Trade(Day1, 1, 100, 1_000, 300, 3_000));

        // 40 minutes later, after a reconnect: no special treatment.
        ProgramTradeDelta d = flow.Next(Trade(Day1, 2_400, 900, 9_000, 1_300, 13_000));

        Assert.Equal(ProgramTradeDeltaKind.Continuation, d.Kind);
        Assert.Equal((800L, 8_000L, 1_000L, 10_000L), (d.SellVolume, d.SellValue, d.BuyVolume, d.BuyValue));
    }

    [Fact]
    public void ANewTradingDayStartsFromTheCumulativeValues()
    {
        ProgramTradeFlow flow = new();
        flow.Next(Trade(Day1, 1, 100_000, 1_000_000, 300_000, 3_000_000, ask: 10, bid: 10));

        ProgramTradeDelta d = flow.Next(Trade(Day2, 1, 5, 50, 7, 70, ask: 3, bid: 4));

        Assert.Equal(ProgramTradeDeltaKind.FirstOfDay, d.Kind);
        Assert.Equal((5L, 50L, 7L, 70L), (d.SellVolume, d.SellValue, d.BuyVolume, d.BuyValue));
        Assert.Equal((3L, 4L, 1L), (d.AskResidualChange, d.BidResidualChange, d.NetBidResidualChange));
    }

    [Fact]
    public void ADecreaseWithinTheDayIsAResetNeverANegativeDelta()
    {
        ProgramTradeFlow flow = new();
        flow.Next(Trade(Day1, 1, 100, 1_000, 300, 3_000));

        ProgramTradeDelta d = flow.Next(Trade(Day1, 2, 10, 100, 320, 3_200));

        Assert.Equal(ProgramTradeDeltaKind.Reset, d.Kind);
        Assert.True(d.IsReset);
        Assert.Equal((10L, 100L, 320L, 3_200L), (d.SellVolume, d.SellValue, d.BuyVolume, d.BuyValue));

        ProgramTradeDelta after = flow.Next(Trade(Day1, 3, 15, 150, 320, 3_200));
        Assert.Equal(ProgramTradeDeltaKind.Continuation, after.Kind);
        Assert.Equal((5L, 50L, 0L, 0L), (after.SellVolume, after.SellValue, after.BuyVolume, after.BuyValue));
        Assert.True(after.SellVolume >= 0 && after.BuyVolume >= 0);
    }

    [Fact]
    public void AnEarlierTradingDateIsAReset()
    {
        ProgramTradeFlow flow = new();
        flow.Next(Trade(Day2, 1, 100, 1_000, 300, 3_000));

        ProgramTradeDelta d = flow.Next(Trade(Day1, 1, 500, 5_000, 600, 6_000));

        Assert.Equal(ProgramTradeDeltaKind.Reset, d.Kind);
        Assert.Equal((500L, 5_000L, 600L, 6_000L), (d.SellVolume, d.SellValue, d.BuyVolume, d.BuyValue));
    }

    [Fact]
    public void AMissingFieldGivesAZeroDeltaAndIsNotAReset()
    {
        ProgramTradeFlow flow = new();
        flow.Next(Trade(Day1, 1, 100, 1_000, 300, 3_000, ask: 5));

        // SELN_CNQN and SELN_RSQN empty on the wire: they read as 0.
        ProgramTradeDelta d = flow.Next(Trade(Day1, 2, 0, 1_200, 310, 3_100, ask: 0, missing: ProgramTradeFields.SellVolume | ProgramTradeFields.AskResidual));
        Assert.Equal(ProgramTradeDeltaKind.Continuation, d.Kind);
        Assert.Equal((0L, 200L, 10L, 100L), (d.SellVolume, d.SellValue, d.BuyVolume, d.BuyValue));
        Assert.Equal(0L, d.AskResidualChange);

        // The next complete update is measured against the last known value.
        ProgramTradeDelta next = flow.Next(Trade(Day1, 3, 130, 1_300, 310, 3_100, ask: 9));
        Assert.Equal(ProgramTradeDeltaKind.Continuation, next.Kind);
        Assert.Equal(30L, next.SellVolume);
        Assert.Equal(4L, next.AskResidualChange);
    }

    [Fact]
    public void KeysAreIndependentPerVenueAndCode()
    {
        ProgramTradeFlow flow = new();
        flow.Next(Trade(Day1, 1, 100, 1_000, 300, 3_000, venue: Venue.Nxt, code: "005930"));

        ProgramTradeDelta krx = flow.Next(Trade(Day1, 1, 10, 100, 30, 300, venue: Venue.Krx, code: "005930"));
        ProgramTradeDelta other = flow.Next(Trade(Day1, 1, 1, 10, 3, 30, venue: Venue.Nxt, code: "000660"));
        ProgramTradeDelta nxt = flow.Next(Trade(Day1, 2, 110, 1_100, 300, 3_000, venue: Venue.Nxt, code: "005930"));

        Assert.Equal(ProgramTradeDeltaKind.FirstOfDay, krx.Kind);
        Assert.Equal(ProgramTradeDeltaKind.FirstOfDay, other.Kind);
        Assert.Equal(ProgramTradeDeltaKind.Continuation, nxt.Kind);
        Assert.Equal(10L, nxt.SellVolume);
        Assert.Equal(3, flow.Count);

        Assert.True(flow.Forget(Venue.Nxt, "005930"));
        Assert.Equal(ProgramTradeDeltaKind.FirstOfDay, flow.Next(Trade(Day1, 3, 120, 1_200, 300, 3_000)).Kind);
    }

    [Fact]
    public async Task DeltasAsyncMapsAStream()
    {
        ProgramTrade[] trades = [Trade(Day1, 1, 1, 10, 2, 20), Trade(Day1, 2, 3, 30, 2, 20), Trade(Day2, 1, 1, 10, 1, 10)];
        List<ProgramTradeDelta> deltas = [];
        await foreach (ProgramTradeDelta d in ProgramTradeFlow.DeltasAsync(trades.ToAsyncEnumerable(), TestContext.Current.CancellationToken))
        {
            deltas.Add(d);
        }

        Assert.Equal(
            [ProgramTradeDeltaKind.FirstOfDay, ProgramTradeDeltaKind.Continuation, ProgramTradeDeltaKind.FirstOfDay],
            deltas.Select(d => d.Kind));
        Assert.Equal([1L, 2L, 1L], deltas.Select(d => d.SellVolume));
    }
}
