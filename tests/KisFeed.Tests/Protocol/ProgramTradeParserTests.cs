using KisFeed.Protocol;

namespace KisFeed.Tests.Protocol;

public class ProgramTradeParserTests
{
    private static (ParseResult Result, List<ProgramTrade> Records) Parse(string frame)
    {
        var output = new List<ProgramTrade>();
        ParseResult result = new ProgramTradeParser().ParseFrame(Samples.Bytes(frame), Samples.ReceivedAt, output);
        return (result, output);
    }

    [Fact]
    public void OfficialExampleMapsEveryField()
    {
        (ParseResult result, List<ProgramTrade> records) = Parse(Samples.Official);

        Assert.Equal(FrameError.None, result.Error);
        ProgramTrade t = Assert.Single(records);
        Assert.Equal(Venue.Krx, t.Venue);
        Assert.Equal("005930", t.Code);
        Assert.Equal(new TimeOnly(9, 22, 37), t.Time);
        Assert.Equal(new DateOnly(2026, 11, 24), t.TradingDate);
        Assert.Equal(1_413_444, t.SellVolume);
        Assert.Equal(109_159_646_900, t.SellValue);
        Assert.Equal(1_189_408, t.BuyVolume);
        Assert.Equal(91_931_710_200, t.BuyValue);
        Assert.Equal(-224_036, t.NetBuyVolume);
        Assert.Equal(-17_227_936_700, t.NetBuyValue);
        Assert.Equal(65_033, t.AskResidual);
        Assert.Equal(15_475, t.BidResidual);
        Assert.Equal(-49_558, t.NetBidResidual);
        Assert.Equal(Samples.ReceivedAt, t.ReceivedAt);
        Assert.True(t.IsComplete);
    }

    [Fact]
    public void MultiRecordFrameYieldsEveryRecordInOrder()
    {
        (ParseResult result, List<ProgramTrade> records) = Parse(Samples.Nxt3);

        Assert.True(result.IsClean);
        Assert.Equal(3, records.Count);
        Assert.All(records, r => Assert.Equal(Venue.Nxt, r.Venue));
        Assert.Equal(["005930", "000660", "005930"], records.Select(r => r.Code));
        Assert.Equal(-180_000, records[1].NetBuyValue);
        Assert.Equal(new TimeOnly(9, 0, 2), records[2].Time);
        Assert.Equal(847_000, records[2].SellValue);
    }

    [Fact]
    public void TrailingCaretIsTolerated()
    {
        (ParseResult result, List<ProgramTrade> records) = Parse(Samples.TrailingCaret);
        Assert.True(result.IsClean);
        ProgramTrade t = Assert.Single(records);
        Assert.Equal(Venue.Unified, t.Venue);
        Assert.Equal(1, t.NetBidResidual);
    }

    [Fact]
    public void NullAndEmptyFieldsReadAsZeroAndAreFlagged()
    {
        (ParseResult result, List<ProgramTrade> records) = Parse(Samples.NullsAndEmpties);
        Assert.True(result.IsClean);
        ProgramTrade t = Assert.Single(records);
        Assert.Equal(0, t.SellVolume);
        Assert.Equal(0, t.SellValue);
        Assert.Equal(3, t.BuyVolume);
        Assert.Equal(
            ProgramTradeFields.SellVolume | ProgramTradeFields.SellValue | ProgramTradeFields.NetBuyVolume | ProgramTradeFields.NetBuyValue,
            t.Missing);
        Assert.False(t.IsComplete);
    }

    [Fact]
    public void ExtraTrailingFieldsPerRecordAreSkipped()
    {
        (ParseResult result, List<ProgramTrade> records) = Parse(Samples.ExtraFields);
        Assert.True(result.IsClean);
        Assert.Equal(13, result.FieldsPerRecord);
        Assert.Equal(["005930", "000660"], records.Select(r => r.Code));
        Assert.Equal(new TimeOnly(9, 22, 38), records[1].Time);
        Assert.Equal(1, records[1].NetBidResidual);
    }

    [Fact]
    public void TooFewFieldsIsReportedAndNothingMisread()
    {
        (ParseResult result, List<ProgramTrade> records) = Parse(Samples.TooFew);
        Assert.Equal(FrameError.TooFewFields, result.Error);
        Assert.Empty(records);
        Assert.Contains("11 expected", result.Detail);
    }

    [Theory]
    [InlineData(Samples.CountTooHigh)]
    [InlineData(Samples.CountTooLow)]
    public void CountMismatchIsReported(string frame)
    {
        (ParseResult result, List<ProgramTrade> records) = Parse(frame);
        Assert.Equal(FrameError.CountMismatch, result.Error);
        Assert.Empty(records);
    }

    [Fact]
    public void ADamagedNumberCostsOnlyThatField()
    {
        const string frame = "0|H0NXPGM0|002|005930^092237^1^2^3^4^2^2^5^6^1^000660^092238^1^x2^3^4^2^2^5^6^1";
        (ParseResult result, List<ProgramTrade> records) = Parse(frame);
        Assert.Equal(FrameError.DamagedField, result.Error);
        Assert.Equal(0, result.SkippedRecords);
        Assert.Equal(2, records.Count);
        Assert.Equal(ProgramTradeFields.None, records[0].Missing);
        Assert.Equal(ProgramTradeFields.SellValue, records[1].Missing);
        Assert.Equal(0, records[1].SellValue);
        Assert.Equal(3, records[1].BuyVolume);
        Assert.Contains("record 2 of 2", result.Detail);
    }

    [Theory]
    [InlineData("0|H0NXPGM0|001|005930^2561^1^2^3^4^2^2^5^6^1", "time")]
    [InlineData("0|H0NXPGM0|001|005930^246000^1^2^3^4^2^2^5^6^1", "time")]
    [InlineData("0|H0NXPGM0|001|00 930^092237^1^2^3^4^2^2^5^6^1", "code")]
    public void BadTimeOrCodeIsReported(string frame, string what)
    {
        (ParseResult result, List<ProgramTrade> records) = Parse(frame);
        Assert.Equal(FrameError.BadField, result.Error);
        Assert.Empty(records);
        Assert.Contains(what, result.Detail);
    }

    [Theory]
    [InlineData("", FrameError.BadHeader)]
    [InlineData("0", FrameError.BadHeader)]
    [InlineData("0|H0NXPGM0", FrameError.BadHeader)]
    [InlineData("0|H0NXPGM0|abc|x", FrameError.BadCount)]
    [InlineData("0|H0NXPGM0|000|x", FrameError.BadCount)]
    [InlineData("2|H0NXPGM0|001|x", FrameError.BadHeader)]
    [InlineData("0|H0STCNT0|001|005930^1", FrameError.UnknownTrId)]
    public void MalformedHeadersAreReported(string frame, FrameError expected)
    {
        (ParseResult result, List<ProgramTrade> records) = Parse(frame);
        Assert.Equal(expected, result.Error);
        Assert.Empty(records);
    }

    [Fact]
    public void PayloadMayContainBars()
    {
        // Only the first three '|' separate header parts (as the reference clients do with split('|', 3)).
        (ParseResult result, List<ProgramTrade> records) = Parse("0|H0NXPGM0|001|005930^092237^1^2^3^4^2^2^5^6^1|7");
        Assert.Equal(FrameError.DamagedField, result.Error);
        Assert.Equal(ProgramTradeFields.NetBidResidual, Assert.Single(records).Missing);
    }

    [Fact]
    public void CodesAreSharedStringsAfterFirstSight()
    {
        var parser = new ProgramTradeParser();
        var output = new List<ProgramTrade>();
        parser.ParseFrame(Samples.Bytes(Samples.Nxt3), Samples.ReceivedAt, output);
        Assert.Same(output[0].Code, output[2].Code);
    }

    [Fact]
    public void TradingDateIsKoreanDate()
    {
        // 23:30 UTC on the 23rd is 08:30 KST on the 24th.
        var output = new List<ProgramTrade>();
        new ProgramTradeParser().ParseFrame(Samples.Bytes(Samples.Official), new DateTimeOffset(2026, 11, 23, 23, 30, 0, TimeSpan.Zero), output);
        Assert.Equal(new DateOnly(2026, 11, 24), output[0].TradingDate);
    }

    [Theory]
    [InlineData("0", 0, false)]
    [InlineData("-0", 0, false)]
    [InlineData("+15", 15, false)]
    [InlineData("-17227936700", -17_227_936_700, false)]
    [InlineData("999999999999999999", 999_999_999_999_999_999, false)]
    [InlineData("9223372036854775807", long.MaxValue, false)]
    [InlineData("", 0, true)]
    [InlineData("(null)", 0, true)]
    public void NumbersParse(string text, long expected, bool absent)
    {
        Assert.True(ProgramTradeParser.TryParseNumber(Samples.Bytes(text), out long value, out bool wasAbsent));
        Assert.Equal(expected, value);
        Assert.Equal(absent, wasAbsent);
    }

    [Theory]
    [InlineData("-")]
    [InlineData("1.5")]
    [InlineData("1e3")]
    [InlineData("99999999999999999999")]
    [InlineData("null")]
    public void NonNumbersFail(string text) => Assert.False(ProgramTradeParser.TryParseNumber(Samples.Bytes(text), out _, out _));
}
