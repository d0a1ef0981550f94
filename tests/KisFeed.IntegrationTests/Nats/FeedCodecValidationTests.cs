using System.Buffers.Binary;

using KisFeed.Nats;

namespace KisFeed.IntegrationTests.Nats;

/// <summary>
/// Every check of <see cref="FeedCodec.TryDecode"/>, on payloads forged from a good one by changing one field: each is
/// rejected with its reason and a detail naming the field, and nothing throws (the old reader threw
/// ArgumentOutOfRangeException from <c>new TimeOnly(-1)</c> and stored well-formed nonsense).
/// </summary>
public sealed class FeedCodecValidationTests
{
    private const string Subject = "kisfeed.pgm.nxt.005930";

    // Offsets in an encoded trade of a 6-character code: header 7 + code 6, then the body.
    private const int Date = 13, Ticks = 17, SellVolume = 25, SellValue = 33, BuyVolume = 41, BuyValue = 49, NetVolume = 57, NetValue = 65, Ask = 73, NetResidual = 89, Received = 97;

    private static readonly DateTimeOffset StoredAt = NatsTestKit.TradeBase.AddSeconds(5);

    private static byte[] Good() => FeedCodec.EncodeTrade(NatsTestKit.Trade(Venue.Nxt, "005930", 3));

    private static byte[] With(Action<byte[]> change)
    {
        byte[] b = Good();
        change(b);
        return b;
    }

    private static Action<byte[]> I64(int at, long value) => b => BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(at), value);

    private static (FeedRejectReason Reason, string Detail) Check(byte[] payload, string subject = Subject, DateTimeOffset? storedAt = null)
    {
        bool ok = FeedCodec.TryDecode(payload, subject, storedAt ?? StoredAt, out _, out _, out FeedRejectReason reason, out string detail);
        Assert.Equal(ok, reason == FeedRejectReason.None);
        return (reason, detail);
    }

    [Fact]
    public void AGoodTradeIsReadBackExactly()
    {
        ProgramTrade t = NatsTestKit.Trade(Venue.Nxt, "005930", 3);
        Assert.True(FeedCodec.TryDecode(FeedCodec.EncodeTrade(t), Subject, StoredAt, out FeedItem item, out _, out FeedRejectReason reason, out _));
        Assert.Equal(FeedRejectReason.None, reason);
        Assert.Equal(t, item.Trade);
    }

    public static TheoryData<string, FeedRejectReason, string> Forged() => new()
    {
        { "empty", FeedRejectReason.Empty, "empty" },
        { "version 9", FeedRejectReason.UnknownVersion, "version 9" },
        { "kind 7", FeedRejectReason.UnknownKind, "kind 7" },
        { "healing kind in version 1", FeedRejectReason.UnknownKind, "kind 3" },
        { "header cut", FeedRejectReason.Truncated, "header" },
        { "last byte cut", FeedRejectReason.Truncated, "trade body" },
        { "a byte too many", FeedRejectReason.TrailingBytes, "after the" },
        { "venue 5", FeedRejectReason.BadHeader, "venue byte 5" },
        { "code with a dot", FeedRejectReason.BadHeader, "code byte 0x2e" },
        { "source 9", FeedRejectReason.BadHeader, "source byte 9" },
        { "time -1 tick", FeedRejectReason.BadTime, "-1 ticks" },
        { "time 24:00", FeedRejectReason.BadTime, "time of day" },
        { "time not a whole second", FeedRejectReason.BadTime, "whole seconds" },
        { "date day 0", FeedRejectReason.BadDate, "trading date" },
        { "date a week after it was stored", FeedRejectReason.BadDate, "trading date" },
        { "received-at beyond the calendar", FeedRejectReason.BadReceivedAt, "not a valid instant" },
        { "received-at offset 20 h", FeedRejectReason.BadReceivedAt, "offset" },
        { "received an hour after it was stored", FeedRejectReason.BadReceivedAt, "after the server stored it" },
        { "received on another day", FeedRejectReason.BadReceivedAt, "not on trading day" },
        { "sell volume int64.MaxValue", FeedRejectReason.OutOfRange, "sell volume" },
        { "negative buy value", FeedRejectReason.OutOfRange, "buy value" },
        { "negative ask residual", FeedRejectReason.OutOfRange, "ask residual" },
        { "net volume off by one", FeedRejectReason.Inconsistent, "net buy volume" },
        { "net value off by one", FeedRejectReason.Inconsistent, "net buy value" },
        { "net residual off by one", FeedRejectReason.Inconsistent, "net bid residual" },
        { "subject of another venue", FeedRejectReason.SubjectMismatch, "krx" },
        { "subject of another code", FeedRejectReason.SubjectMismatch, "000660" },
        { "trade on a gap subject", FeedRejectReason.SubjectMismatch, "gap" },
        { "subject outside KisFeed's shape", FeedRejectReason.SubjectMismatch, "kisfeed.pgm" },
    };

    [Theory]
    [MemberData(nameof(Forged))]
    public void AForgedTradeIsRejectedWithItsReasonAndNothingThrows(string forgery, FeedRejectReason expected, string detailNames)
    {
        long day = NatsTestKit.Trade(Venue.Nxt, "005930", 3).TradingDate.DayNumber;
        (byte[] payload, string subject) = forgery switch
        {
            "empty" => ([], Subject),
            "version 9" => (With(b => b[0] = 9), Subject),
            "kind 7" => (With(b => b[1] = 7), Subject),
            "healing kind in version 1" => (With(b => b[1] = FeedCodec.HealingKind), Subject),
            "header cut" => (Good()[..5], Subject),
            "last byte cut" => (Good()[..^1], Subject),
            "a byte too many" => ([.. Good(), 0], Subject),
            "venue 5" => (With(b => b[2] = 5), Subject),
            "code with a dot" => (With(b => b[10] = (byte)'.'), Subject),
            "source 9" => (With(b => b[3] = 9), Subject),
            "time -1 tick" => (With(I64(Ticks, -1)), Subject),
            "time 24:00" => (With(I64(Ticks, TimeSpan.TicksPerDay)), Subject),
            "time not a whole second" => (With(I64(Ticks, TimeSpan.TicksPerHour * 9 + 1)), Subject),
            "date day 0" => (With(b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(Date), 0)), Subject),
            "date a week after it was stored" => (With(b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(Date), (int)day + 7)), Subject),
            "received-at beyond the calendar" => (With(I64(Received, long.MaxValue)), Subject),
            "received-at offset 20 h" => (With(b => BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(Received + 8), 1200)), Subject),
            "received an hour after it was stored" => (With(I64(Received, StoredAt.AddHours(1).UtcTicks)), Subject),
            "received on another day" => (With(I64(Received, StoredAt.AddDays(-3).UtcTicks)), Subject),
            "sell volume int64.MaxValue" => (With(I64(SellVolume, long.MaxValue)), Subject),
            "negative buy value" => (With(I64(BuyValue, -5)), Subject),
            "negative ask residual" => (With(I64(Ask, -1)), Subject),
            "net volume off by one" => (With(b => BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(NetVolume), BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(NetVolume)) + 1)), Subject),
            "net value off by one" => (With(b => BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(NetValue), BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(NetValue)) + 1)), Subject),
            "net residual off by one" => (With(b => BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(NetResidual), BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(NetResidual)) + 1)), Subject),
            "subject of another venue" => (Good(), "kisfeed.pgm.krx.005930"),
            "subject of another code" => (Good(), "kisfeed.pgm.nxt.000660"),
            "trade on a gap subject" => (Good(), "kisfeed.gap.nxt.005930"),
            _ => (Good(), "kisfeed.pgm"),
        };

        (FeedRejectReason reason, string detail) = Check(payload, subject);
        Assert.Equal(expected, reason);
        Assert.Contains(detailNames, detail, StringComparison.Ordinal);

        // Decode (no subject, no server time) throws a FormatException naming the reason for what it can see alone.
        if (!FeedCodec.TryDecode(payload, null, null, out _, out _, out FeedRejectReason alone, out _))
        {
            FormatException thrown = Assert.Throws<FormatException>(() => FeedCodec.Decode(payload));
            Assert.StartsWith(alone.ToString(), thrown.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void FieldsFlaggedMissingAreNotCheckedTheOthersAre()
    {
        // REST rows carry no residuals: flagged missing, zero; the net check of the residuals is skipped, the others kept.
        ProgramTrade rest = NatsTestKit.Trade(Venue.Nxt, "005930", 3) with { AskResidual = 0, BidResidual = 0, NetBidResidual = 5, Missing = ProgramTrade.ResidualFields, Source = TradeSource.Rest };
        Assert.Equal(FeedRejectReason.None, Check(FeedCodec.EncodeTrade(rest)).Reason);
        Assert.Equal(FeedRejectReason.Inconsistent, Check(FeedCodec.EncodeTrade(rest with { NetBuyValue = rest.NetBuyValue + 1 })).Reason);
        Assert.Equal(FeedRejectReason.None, Check(FeedCodec.EncodeTrade(rest with { NetBuyValue = rest.NetBuyValue + 1, Missing = rest.Missing | ProgramTradeFields.NetBuyValue })).Reason);

        // A negative net is normal (more program selling than buying).
        ProgramTrade selling = NatsTestKit.Trade(Venue.Nxt, "005930", 3) with { SellVolume = 5000, NetBuyVolume = 2003 - 5000 };
        Assert.Equal(FeedRejectReason.None, Check(FeedCodec.EncodeTrade(selling)).Reason);
    }

    [Fact]
    public void GapsAndHealingOutcomesAreCheckedToo()
    {
        DateTimeOffset from = NatsTestKit.TradeBase;
        var registration = new Registration(Venue.Nxt, "005930");
        var gap = new DataGap(1, from, from.AddSeconds(3), [registration], "drop");
        Assert.Equal(FeedRejectReason.None, Check(FeedCodec.EncodeGap(gap, registration), "kisfeed.gap.nxt.005930").Reason);
        Assert.Equal(FeedRejectReason.BadGap, Check(FeedCodec.EncodeGap(gap with { From = from.AddSeconds(9) }, registration), "kisfeed.gap.nxt.005930").Reason);
        Assert.Equal(FeedRejectReason.BadGap, Check(FeedCodec.EncodeGap(gap with { To = StoredAt.AddHours(2) }, registration), "kisfeed.gap.nxt.005930").Reason);
        Assert.Equal(FeedRejectReason.SubjectMismatch, Check(FeedCodec.EncodeGap(gap, registration), Subject).Reason);

        var report = new GapHealingReport(1, registration, GapHealing.Healed, 4, null, null, "ok");
        byte[] healing = FeedCodec.EncodeHealing(report, from, from.AddSeconds(3));
        Assert.Equal(FeedRejectReason.None, Check(healing, "kisfeed.heal.nxt.005930").Reason);
        healing[FeedDecoderOffsets.HealingOutcome] = 9;
        Assert.Equal(FeedRejectReason.BadHealing, Check(healing, "kisfeed.heal.nxt.005930").Reason);
        Assert.Equal(FeedRejectReason.BadHealing, Check(FeedCodec.EncodeHealing(report with { Rows = -1 }, from, from.AddSeconds(3)), "kisfeed.heal.nxt.005930").Reason);
    }

    private static class FeedDecoderOffsets
    {
        // Header 7 + code 6, then gap from (8), gap to (8), id (8): the outcome byte.
        public const int HealingOutcome = 13 + 24;
    }
}
