using KisFeed.Nats;

namespace KisFeed.IntegrationTests.Nats;

/// <summary>Version 3 of the payload: data from a simulator, marked in the payload itself (docs/scale-out.md, "Encoding").</summary>
public sealed class SimulatedPayloadTests
{
    private static readonly DateTimeOffset StoredAt = NatsTestKit.TradeBase.AddSeconds(5);

    [Fact]
    public void A_marked_trade_gap_and_healing_read_back_the_same_and_say_simulated_while_live_payloads_stay_version_1()
    {
        ProgramTrade trade = NatsTestKit.Trade(Venue.Nxt, "005930", 3) with { Source = TradeSource.Rest, Missing = ProgramTradeFields.AskResidual };
        byte[] live = FeedCodec.EncodeTrade(trade);
        byte[] marked = [.. live];
        FeedCodec.MarkSimulated(marked);

        Assert.Equal(FeedCodec.Version, live[0]);
        Assert.False(FeedCodec.IsSimulated(live));
        Assert.Equal(FeedCodec.SimulatedVersion, marked[0]);
        Assert.True(FeedCodec.IsSimulated(marked));
        Assert.True(FeedCodec.TryDecode(marked, "kisfeed.pgm.nxt.005930", StoredAt, out FeedItem item, out _, out FeedRejectReason reason, out string detail), $"{reason}: {detail}");
        Assert.Equal(trade, item.Trade); // the source byte (REST) survives the flag beside it
        Assert.NotEqual(FeedCodec.TradeMessageId(trade, live), FeedCodec.TradeMessageId(trade, marked));

        var gap = new DataGap(5, StoredAt.AddSeconds(-30), StoredAt.AddSeconds(-10), [new Registration(Venue.Krx, "000660")], "seed") { IsSeed = true };
        byte[] gapBytes = FeedCodec.EncodeGap(gap, gap.Registrations[0]);
        FeedCodec.MarkSimulated(gapBytes);
        DataGap back = FeedCodec.Decode(gapBytes).Gap!;
        Assert.True(back.IsSeed);
        Assert.True(FeedCodec.IsSimulated(gapBytes));

        var report = new GapHealingReport(5, gap.Registrations[0], GapHealing.Healed, 4, null, null, "ok");
        byte[] healing = FeedCodec.EncodeHealing(report, gap.From, gap.To);
        FeedCodec.MarkSimulated(healing);
        Assert.Equal(report, FeedCodec.Decode(healing).Healing);
    }

    [Fact]
    public void Version_3_without_the_flag_and_the_flag_under_version_1_are_rejected_as_bad_headers()
    {
        byte[] noFlag = FeedCodec.EncodeTrade(NatsTestKit.Trade(Venue.Nxt, "005930", 3));
        noFlag[0] = FeedCodec.SimulatedVersion;
        Assert.False(FeedCodec.TryDecode(noFlag, null, null, out _, out _, out FeedRejectReason reason, out string detail));
        Assert.Equal(FeedRejectReason.BadHeader, reason);
        Assert.Contains("simulated flag", detail, StringComparison.Ordinal);

        // What a reader before version 3 does with a simulated payload: the flag is a source byte it does not know.
        byte[] flagInV1 = FeedCodec.EncodeTrade(NatsTestKit.Trade(Venue.Nxt, "005930", 3));
        flagInV1[3] |= FeedCodec.SimulatedFlag;
        Assert.False(FeedCodec.TryDecode(flagInV1, null, null, out _, out _, out reason, out _));
        Assert.Equal(FeedRejectReason.BadHeader, reason);
    }
}
