using System.Text;

using KisFeed.Fuzz;
using KisFeed.Protocol;

namespace KisFeed.Tests.Reliability;

/// <summary>Regression tests for what the fuzzer (tests/KisFeed.Fuzz) found, and a few-second smoke run of it.</summary>
public sealed class FuzzFindingsTests
{
    [Fact]
    public void AControlReplyWithInvalidUtf8InsideAStringIsNotAReplyAndDoesNotThrow()
    {
        // Finding 1 (seed 1, input #7): Utf8JsonReader.GetString threw InvalidOperationException, which escaped
        // ControlReply.TryParse and ended the receive loop (a reconnect and a data gap for one bad byte).
        byte[] json = [.. "{\"header\":{\"tr_id\":\"(null)\"},\"body\":{\"rt_cd\":\"9\",\"msg_cd\":\"OPSP"u8, 0xFE, .. "\",\"msg1\":\"x\"}}"u8];
        Assert.Null(ControlReply.TryParse(json));

        byte[] inName = [.. "{\"header\":{\"tr_id\":\"H0STPGM0\"},\"body\":{\"r"u8, 0xFE, .. "_cd\":\"9\"}}"u8];
        Assert.Null(ControlReply.TryParse(inName));
    }

    // Fuzz finding 2: a code field of 10-16 characters (code and time merged by a lost separator) was delivered as a code.
    [Fact]
    public void ARecordWithACodeLongerThanNineCharactersIsRejected()
    {
        var parser = new ProgramTradeParser();
        var output = new List<ProgramTrade>();
        byte[] frame = Encoding.ASCII.GetBytes("0|H0UNPGM0|001|0059300092237^^(null)^1189408^91931710200^-224036^-17227936700^65033^15475^-49558^");
        ParseResult r = parser.ParseFrame(frame, DateTimeOffset.UnixEpoch, output);
        Assert.False(r.IsClean);
        Assert.DoesNotContain(output, t => t.Code.Length > 9);
    }

    [Fact]
    public void TheFuzzHarnessRunsAndFindsNothingNewIn30000Inputs()
    {
        var fuzzer = new FrameFuzzer(seed: 7);
        var findings = new List<Finding>();
        while (fuzzer.Inputs < 30_000)
        {
            if (fuzzer.Step() is { } f && f.Property != "code of 1-9 characters")
            {
                findings.Add(f);
            }
        }

        Assert.True(findings.Count == 0, string.Join("\n", findings.Take(3)));
        Assert.True(fuzzer.GeneratedValid > 5_000 && fuzzer.RejectedParses > 5_000, $"{fuzzer.GeneratedValid} valid, {fuzzer.RejectedParses} rejected");
    }
}
