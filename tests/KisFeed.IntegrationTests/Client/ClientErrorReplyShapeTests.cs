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

        await using IKisSubscription<ProgramTrade> sub = await client.SubscribeAsync([new Registration(Venue.Nxt, "005930")], cancellationToken: deadline.Token);

        RegistrationStatus e = Assert.Single(sub.Registrations);
        Assert.Equal((RegistrationState.Refused, "OPSP0011"), (e.State, e.ErrorCode));
        Assert.Equal("1", Assert.IsType<KisApiException>(e.Error).RtCd);
    }

    [Theory]
    [InlineData(ErrorReplyShape.WithHeader)]
    [InlineData(ErrorReplyShape.BodyOnly)]
    public async Task ARefusedRegistrationIsMatchedToItsRequestInEitherShape(ErrorReplyShape shape)
    {
        using CancellationTokenSource deadline = Deadline();
        // The server takes one registration, so the call's second one is refused (OPSP0008) in the shape under test.
        await using KisSimulator sim = await KisSimulator.StartAsync(Sim with { ErrorReplyShape = shape, MaxRegistrations = 1 }, deadline.Token);
        await using var client = new KisRealtimeClient(Options(sim));

        await using IKisSubscription<ProgramTrade> sub = await client.SubscribeAsync(Registration.Of(["005930", "000660"], Venue.Nxt), cancellationToken: deadline.Token);

        Assert.Equal(RegistrationState.Active, sub.Registrations[0].State);
        Assert.Equal((RegistrationState.OverLimit, "OPSP0008"), (sub.Registrations[1].State, sub.Registrations[1].ErrorCode));
        Assert.Equal("000660", Assert.IsType<KisApiException>(sub.Registrations[1].Error).Registration?.Key);
        Assert.Equal("005930", Assert.Single(sim.Sessions.Single().Registrations).TrKey);
    }

    [Theory]
    [InlineData(ErrorReplyShape.WithHeader)]
    [InlineData(ErrorReplyShape.BodyOnly)]
    public async Task ASessionLevelRefusalIsReportedInEitherShapeAndTheFirstSessionKeepsItsData(ErrorReplyShape shape)
    {
        using CancellationTokenSource deadline = Deadline();
        await using KisSimulator sim = await KisSimulator.StartAsync(Sim with { ErrorReplyShape = shape }, deadline.Token);
        await using var first = new KisRealtimeClient(Options(sim));
        await using IKisSubscription<ProgramTrade> sub = await first.SubscribeAsync(Registration.Of(["005930"], [Venue.Nxt]), cancellationToken: deadline.Token);
        await using var second = new KisRealtimeClient(Options(sim));

        await using IKisSubscription<ProgramTrade> refused = await second.SubscribeAsync([new Registration(Venue.Nxt, "000660")], cancellationToken: deadline.Token);

        RegistrationStatus e = Assert.Single(refused.Registrations);
        Assert.Equal((RegistrationState.Refused, "OPSP8996"), (e.State, e.ErrorCode));
        Assert.Equal("9", Assert.IsType<KisApiException>(e.Error).RtCd);
        await ReadUntilAsync(sub, s => s.Count >= 3, deadline.Token, "the first session keeps receiving");
    }
}
