using KisFeed.Protocol;
using KisFeed.Tests.Transport;
using KisFeed.Transport;

namespace KisFeed.Tests.Protocol;

/// <summary>
/// Every wire sample, sent as a server text frame, is read through the transport whole, split into two reads at every
/// byte offset, and as two WebSocket fragments split at every payload offset; the parsed records must be the same.
/// </summary>
public class SplitPointTests
{
    public static TheoryData<string> AllSamples =>
    [
        Samples.Official, Samples.Nxt3, Samples.TrailingCaret, Samples.NullsAndEmpties, Samples.ExtraFields,
        Samples.TooFew, Samples.CountTooHigh, Samples.CountTooLow,
    ];

    private static async Task<(ParseResult, List<ProgramTrade>)> ReadAndParseAsync(Stream serverBytes)
    {
        await using var connection = new WebSocketConnection(serverBytes, WebSocketConnectionOptions.Default);
        WebSocketMessage message = await connection.ReceiveAsync(TestContext.Current.CancellationToken);
        Assert.Equal(WebSocketMessageKind.Text, message.Kind);
        var records = new List<ProgramTrade>();
        ParseResult result = new ProgramTradeParser().ParseFrame(message.Payload.Span, Samples.ReceivedAt, records);
        return (result, records);
    }

    [Theory]
    [MemberData(nameof(AllSamples))]
    public async Task SameRecordsWholeAndAtEverySplit(string sample)
    {
        byte[] payload = Samples.Bytes(sample);
        byte[] frame = Frames.Server(0x1, payload);
        (ParseResult expectedResult, List<ProgramTrade> expected) = await ReadAndParseAsync(ScriptedStream.SplitAt(frame));

        for (int split = 1; split < frame.Length; split++)
        {
            (ParseResult result, List<ProgramTrade> records) = await ReadAndParseAsync(ScriptedStream.SplitAt(frame, split));
            Assert.Equal(expectedResult, result);
            Assert.Equal(expected, records);
        }

        for (int split = 1; split < payload.Length; split++)
        {
            byte[] fragmented = [.. Frames.Server(0x1, payload.AsSpan(0, split), fin: false), .. Frames.Server(0x0, payload.AsSpan(split))];
            (ParseResult result, List<ProgramTrade> records) = await ReadAndParseAsync(ScriptedStream.SplitAt(fragmented));
            Assert.Equal(expectedResult, result);
            Assert.Equal(expected, records);
        }
    }
}
