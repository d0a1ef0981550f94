using System.Globalization;
using System.Text;

using KisFeed.Protocol;

namespace KisFeed.Tests.Protocol;

/// <summary>
/// The parser reads ordinary records on a fast path (field bounds found with SIMD, numbers converted eight digits at a
/// time) and anything unusual on an exact path. Both must agree with a plain reference reading, and ordinary records
/// must actually take the fast path: a fast path that silently never runs costs half the speed and no test of the
/// values would notice.
/// </summary>
public class PlainPathTests
{
    private static readonly string[] Codes = ["005930", "000660", "Q500001", "1", "ABCDEFGH", "12345", "0000001"];

    [Fact]
    public void OrdinaryRecordsTakeTheFastPath()
    {
        var parser = new ProgramTradeParser();
        var output = new List<ProgramTrade>();
        foreach (string frame in new[] { Samples.Official, Samples.Nxt3, Samples.TrailingCaret })
        {
            Assert.Equal(FrameError.None, parser.ParseFrame(Samples.Bytes(frame), Samples.ReceivedAt, output).Error);
        }

        // Times whose digits OR to more than 9 (0|9 = 9 but 9|3 = 11) were once rejected by the fast path's check.
        foreach (string time in new[] { "000000", "093015", "235959", "125959", "090000", "153000" })
        {
            string frame = $"0|H0NXPGM0|001|005930^{time}^1^2^3^4^5^6^7^8^9";
            Assert.Equal(FrameError.None, parser.ParseFrame(Samples.Bytes(frame), Samples.ReceivedAt, output).Error);
        }

        Assert.Equal(0, parser.FallbackRecords);
    }

    [Fact]
    public void UnusualRecordsTakeTheExactPathAndStillParse()
    {
        var parser = new ProgramTradeParser();
        var output = new List<ProgramTrade>();
        string[] frames =
        [
            "0|H0NXPGM0|001|005930^093015^(null)^2^3^4^5^6^7^8^9",     // (null)
            "0|H0NXPGM0|001|005930^093015^^2^3^4^5^6^7^8^9",           // empty
            "0|H0NXPGM0|001|005930^093015^12345678901234567^2^3^4^5^6^7^8^9", // 17 digits
        ];
        foreach (string frame in frames)
        {
            Assert.Equal(FrameError.None, parser.ParseFrame(Samples.Bytes(frame), Samples.ReceivedAt, output).Error);
        }

        Assert.Equal(3, parser.FallbackRecords);
        Assert.Equal(12_345_678_901_234_567, output[2].SellVolume);
        Assert.Equal(ProgramTradeFields.SellVolume, output[0].Missing);
    }

    [Fact]
    public void ATrailingCaretAfterASecondRecordIsStillACountMismatch()
    {
        // Header says 1, the payload holds 2 records and the second one's last field is empty: not one wide record.
        const string Frame = "0|H0STPGM0|001|005930^093000^1^2^3^4^5^6^7^8^9^005930^093000^1^2^3^4^5^6^7^8^";
        var output = new List<ProgramTrade>();
        Assert.Equal(FrameError.CountMismatch, new ProgramTradeParser().ParseFrame(Samples.Bytes(Frame), Samples.ReceivedAt, output).Error);
        Assert.Empty(output);
    }

    [Fact]
    public void ACodeWithAZeroByteIsNotTakenForTheCodeItPadsTo()
    {
        var codes = new CodeCache();
        Assert.Equal("005930", codes.Get("005930"u8));
        Assert.Null(codes.Get("005930\0"u8));
        Assert.Null(codes.GetPacked(0x303339353030UL, "005930\0"u8));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void RandomRecordsOfEveryDigitLengthMatchAReferenceReading(int seed)
    {
        var rng = new Random(seed);
        var parser = new ProgramTradeParser();
        var output = new List<ProgramTrade>();
        long expectedFallbacks = 0;
        for (int round = 0; round < 2_000; round++)
        {
            int count = rng.Next(1, 12);
            var fields = new List<string>();
            for (int r = 0; r < count; r++)
            {
                fields.Add(Codes[rng.Next(Codes.Length)]);
                fields.Add(new TimeOnly(rng.NextInt64(TimeSpan.TicksPerDay)).ToString("HHmmss", CultureInfo.InvariantCulture));
                bool fits = true;
                for (int f = 0; f < 9; f++)
                {
                    string number = RandomNumber(rng);
                    fits &= number.TrimStart('-', '+').Length <= 16;
                    fields.Add(number);
                }

                expectedFallbacks += fits ? 0 : 1;
            }

            string frame = $"0|H0UNPGM0|{count:D3}|" + string.Join('^', fields) + (rng.Next(4) == 0 ? "^" : "");
            output.Clear();
            ParseResult result = parser.ParseFrame(Encoding.ASCII.GetBytes(frame), Samples.ReceivedAt, output);
            Assert.True(result.IsClean, frame + " -> " + result.Detail);
            Assert.Equal(count, output.Count);
            for (int r = 0; r < count; r++)
            {
                ProgramTrade t = output[r];
                string[] expected = fields.GetRange(r * 11, 11).ToArray();
                Assert.Equal(expected[0], t.Code);
                Assert.Equal(expected[1], t.Time.ToString("HHmmss", CultureInfo.InvariantCulture));
                long[] values = [t.SellVolume, t.SellValue, t.BuyVolume, t.BuyValue, t.NetBuyVolume, t.NetBuyValue, t.AskResidual, t.BidResidual, t.NetBidResidual];
                for (int f = 0; f < 9; f++)
                {
                    Assert.True(long.Parse(expected[f + 2], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) == values[f], $"{frame}: record {r}, field {f + 2}: {expected[f + 2]} read as {values[f]}");
                }

                Assert.True(t.IsComplete);
            }
        }

        // Exactly the records with a number of 17–18 digits leave the fast path (it reads 1–16).
        Assert.Equal(expectedFallbacks, parser.FallbackRecords);
    }

    /// <summary>1–18 digits (each length equally likely, so the 8/9 and 16/17 boundaries are hit), sometimes signed, sometimes with leading zeros.</summary>
    private static string RandomNumber(Random rng)
    {
        int digits = rng.Next(1, 19);
        var sb = new StringBuilder();
        switch (rng.Next(6))
        {
            case 0: sb.Append('-'); break;
            case 1: sb.Append('+'); break;
        }

        for (int i = 0; i < digits; i++)
        {
            sb.Append((char)('0' + rng.Next(10)));
        }

        return sb.ToString();
    }
}
