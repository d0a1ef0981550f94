using KisFeed.Nats;
using KisFeed.TestKit;

namespace KisFeed.Tests.Nats;

/// <summary>
/// The one stop, on virtual time: every KIS session closed first, then one attempt at NATS bounded by
/// <see cref="GatewayOptions.StopTimeout"/>, whatever NATS does; the same stop however it is asked for.
/// </summary>
public sealed class GatewayStopTests
{
    [Fact]
    public async Task WithNatsGoneTheStopClosesEverySessionFirstEndsWithinTheStopTimeoutAndNamesTheLeasesLeftToExpire()
    {
        await using var rig = new GatewayRig(keys: 2);
        rig.Nats.AddDesired([.. rig.OnePerKey()]);
        GatewayRig.Member a = rig.StartGateway("gw-a", stopTimeout: TimeSpan.FromSeconds(10));
        await rig.UntilAsync(() => a.Of(GatewayEventKind.RegistrationStarted).Count() == 2, "gw-a carries both registrations");
        await rig.StepAsync(TimeSpan.FromSeconds(20));

        rig.Nats.Reachable = false;
        DateTimeOffset asked = rig.Time.GetUtcNow();
        Task<GatewayStopReport> stopping = a.Gateway.StopAsync();

        // The sessions close without the clock moving: nothing of that waits for NATS.
        await rig.UntilAsync(() => rig.Kis.Connections.All(c => c.Ended), "KIS sees both sessions closed");
        Assert.All(rig.Kis.Connections, c => Assert.True(c.Clean && c.EndedAt == asked, $"{c.KeyId} ended {c.EndedAt:HH:mm:ss.fff}, clean {c.Clean}"));
        Assert.False(stopping.IsCompleted);

        // Then NATS gets what is left of the 10 s, and not a step more.
        TimeSpan took = await rig.StepUntilAsync(() => stopping.IsCompleted, TimeSpan.FromSeconds(11), "the stop ends");
        Assert.InRange(took, TimeSpan.FromSeconds(10) - GatewayRig.Step, TimeSpan.FromSeconds(10) + GatewayRig.Step);
        GatewayStopReport report = await stopping;
        Assert.Equal(new GatewayStopReport(2, 0, 0, 2, 0, report.Elapsed), report);
        Assert.False(report.IsComplete);

        await rig.UntilAsync(() => a.Of(GatewayEventKind.Stopped).Any(), "the stopped event is raised");
        List<GatewayEventKind> order = [.. a.Events.SkipWhile(e => e.Kind != GatewayEventKind.SessionClosed).Select(e => e.Kind)];
        Assert.Equal([GatewayEventKind.SessionClosed, GatewayEventKind.SessionClosed, GatewayEventKind.LeaseLeftToExpire, GatewayEventKind.LeaseLeftToExpire, GatewayEventKind.Stopped], order);
        Assert.All(a.Of(GatewayEventKind.LeaseLeftToExpire), e => Assert.Matches(
            @"^not released \(NATS did not answer in time\): it expires by itself in about 34\d s, at 00:36:\d\d UTC \(T = 360 s after its last renewal\); until then no other gateway takes this key$", e.Detail));
        Assert.Contains(rig.Logs.Lines, l => l.EventId == 3013 && l.Message.Contains("expires by itself", StringComparison.Ordinal));
        Assert.Equal("2 session(s) closed, 0 lease(s) released, 2 left to expire by their TTL, 0 item(s) not published, in 10.0 s", a.Of(GatewayEventKind.Stopped).Single().Detail);
        Assert.Equal(["gw-a", "gw-a"], rig.Nats.Holders.Values); // still in the bucket: they expire by themselves
    }

    [Fact]
    public async Task WithNatsUpTheStopReleasesEveryLeaseOnlyAfterKisSawItsSessionClosedAndPublishesWhatIsQueued()
    {
        await using var rig = new GatewayRig(keys: 2);
        Registration[] regs = [.. rig.OnePerKey()];
        rig.Nats.AddDesired(regs);
        GatewayRig.Member a = rig.StartGateway("gw-a");
        await rig.UntilAsync(() => a.Of(GatewayEventKind.RegistrationStarted).Count() == 2, "gw-a carries both registrations");

        // Records queued while this gateway cannot reach NATS are published by the stop once it can.
        a.Backplane.Cut = true;
        Assert.All(regs, r => Assert.Equal(1, rig.Kis.Send(r)));
        await rig.UntilAsync(() => a.Backplane.Statistics.Pending == 2, "two records wait in the publisher");
        Task<GatewayStopReport> stopping = a.Gateway.StopAsync();
        await rig.UntilAsync(() => rig.Kis.Connections.All(c => c.Ended), "KIS sees both sessions closed");
        a.Backplane.Cut = false;

        GatewayStopReport report = await stopping.WaitAsync(rig.Ct);
        Assert.True(report.IsComplete, report.ToString());
        Assert.Equal((2, 2, 0L), (report.SessionsClosed, report.LeasesReleased, report.ItemsNotPublished));
        Assert.Empty(rig.Nats.Holders);
        Assert.Empty(rig.Nats.Presence.Live());
        Assert.Equal(2, rig.Nats.Stream.Count(i => i.Kind == FeedItemKind.Trade));
        foreach (InMemoryKv.Entry deleted in rig.Nats.Leases.History.Where(e => e.Value is null))
        {
            FakeKisConnection c = rig.Kis.Connections.Single(k => k.KeyId == deleted.Key);
            Assert.True(c.Clean && c.EndedAt <= deleted.Created);
        }
    }

    [Fact]
    public async Task CancellingRunStopAsyncAndDisposeAsyncAreOneStop()
    {
        await using var rig = new GatewayRig(keys: 1);
        rig.Nats.AddDesired(rig.OnePerKey()[0]);
        GatewayRig.Member a = rig.StartGateway("gw-a");
        await rig.UntilAsync(() => a.Of(GatewayEventKind.Ready).Any(), "gw-a is ready");

        await a.Stop.CancelAsync();
        Task<GatewayStopReport> viaStop = a.Gateway.StopAsync();
        Task viaDispose = a.Gateway.DisposeAsync().AsTask();
        GatewayStopReport fromRun = await a.Run.WaitAsync(rig.Ct);
        await viaDispose.WaitAsync(rig.Ct);

        Assert.Same(fromRun, await viaStop);
        Assert.Same(fromRun, await a.Gateway.StopAsync());
        await rig.UntilAsync(() => a.Of(GatewayEventKind.Stopped).Any(), "the stopped event is raised");
        Assert.Single(a.Of(GatewayEventKind.Stopped));
        Assert.Single(a.Of(GatewayEventKind.SessionClosed));
        Assert.Single(a.Of(GatewayEventKind.LeaseReleased));
        Assert.Single(rig.Kis.Connections);
        await Assert.ThrowsAsync<InvalidOperationException>(() => a.Gateway.RunAsync(rig.Ct));
    }
}
