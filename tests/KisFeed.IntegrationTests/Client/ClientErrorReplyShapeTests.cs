using KisFeed.Simulator;

using static KisFeed.IntegrationTests.Client.ClientTestKit;

namespace KisFeed.IntegrationTests.Client;

/// <summary>
/// KIS error replies come with a header (tr_id/tr_key or "(null)") or body only, depending on the capture (notes §4.3).
/// The client must read both the same way: the simulator serves each shape.
/// </summary>
public sealed class ClientErrorReplyShapeTests
{
    [Theory]
    [InlineData(ErrorReplyShape.WithHeader)]
    [InlineData(ErrorReplyShape.BodyOnly)]
    public async Task AnInvalidApprovalKeyIsReportedInEitherShape(ErrorReplyShape shape)
    {
        using CancellationTokenSource deadline = Deadline();
        await using KisSimulator sim = await KisSimulator.StartAsync(Sim with { ErrorReplyShape = shape }, deadline.Token);
        await using var client = new KisRealtimeClient(Options(sim) with { AppKey = null, AppSecret = null, ApprovalKey = "062f61cb-c756-4b8f-9fab-92113c6fbea4" });

        KisControlException e = await Assert.ThrowsAsync<KisControlException>(() => client.SubscribeAsync(["005930"], [Venue.Nxt], deadline.Token));

        Assert.Equal(("1", "OPSP0011"), (e.RtCd, e.MsgCd));
    }

    [Theory]
    [InlineData(ErrorReplyShape.WithHeader)]
    [InlineData(ErrorReplyShape.BodyOnly)]
    public async Task ARefusedCodeIsMatchedToItsRequestInEitherShape(ErrorReplyShape shape)
    {
        using CancellationTokenSource deadline = Deadline();
        await using KisSimulator sim = await KisSimulator.StartAsync(Sim with { ErrorReplyShape = shape }, deadline.Token);
        await using var client = new KisRealtimeClient(Options(sim));

        KisControlException e = await Assert.ThrowsAsync<KisControlException>(() => client.SubscribeAsync(["005930", "ZZZZZZZZZZ"], [Venue.Nxt], deadline.Token));

        Assert.Equal("OPSP8992", e.MsgCd);
        Assert.Equal("ZZZZZZZZZZ", e.TrKey);
        await WaitUntilAsync(() => sim.Sessions.Single().Registrations.Count == 0, deadline.Token, "005930 released too");
    }

    [Theory]
    [InlineData(ErrorReplyShape.WithHeader)]
    [InlineData(ErrorReplyShape.BodyOnly)]
    public async Task ASessionLevelRefusalIsReportedInEitherShapeAndTheFirstSessionKeepsItsData(ErrorReplyShape shape)
    {
        using CancellationTokenSource deadline = Deadline();
        await using KisSimulator sim = await KisSimulator.StartAsync(Sim with { ErrorReplyShape = shape }, deadline.Token);
        await using var first = new KisRealtimeClient(Options(sim));
        await using ProgramTradeSubscription sub = await first.SubscribeAsync(["005930"], [Venue.Nxt], deadline.Token);
        await using var second = new KisRealtimeClient(Options(sim));

        KisControlException e = await Assert.ThrowsAsync<KisControlException>(() => second.SubscribeAsync(["000660"], [Venue.Nxt], deadline.Token));

        Assert.Equal(("9", "OPSP8996"), (e.RtCd, e.MsgCd));
        await ReadUntilAsync(sub, s => s.Count >= 3, deadline.Token, "the first session keeps receiving");
    }
}
