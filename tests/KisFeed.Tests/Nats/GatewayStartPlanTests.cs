using KisFeed.Nats;

namespace KisFeed.Tests.Nats;

/// <summary>The start plan alone: when a gateway may take keys, and how it names what it waits for.</summary>
public sealed class GatewayStartPlanTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 0, 30, 0, TimeSpan.Zero);
    private static readonly NatsFeedOptions Feed = NatsFeedOptions.Default;
    private static readonly HashSet<string> Ours = ["ka", "kb", "kc"];

    [Fact]
    public void NoPeerAndNoLeaseMeansNoWait()
    {
        GatewayStartPlan plan = GatewayStartPlan.Decide("gw1", ["gw1"], [], Ours, Feed, Now);
        Assert.Equal(TimeSpan.Zero, plan.Wait);
        Assert.Single(plan.Lines);
    }

    [Fact]
    public void ALeaseWithoutAnyPeerStillWaitsTwoRenewIntervals()
    {
        GatewayStartPlan plan = GatewayStartPlan.Decide("gw1", ["gw1"], [new HeldLease("kz", "gw-gone", Now.AddSeconds(-400))], Ours, Feed, Now);
        Assert.Equal(Feed.LeaseRenewInterval * 2, plan.Wait);
        Assert.EndsWith("0 other gateways live, 1 key leased", plan.Lines[0], StringComparison.Ordinal);
        Assert.Single(plan.Lines); // kz is not one of this gateway's keys, and its lease ran out anyway
    }

    [Fact]
    public void EachOfOurLeasedKeysIsNamedWithWhoHoldsItAndWhenItIsFreeAtTheLatest()
    {
        GatewayStartPlan plan = GatewayStartPlan.Decide(
            "gw1",
            ["gw1", "gw2", "gw3", "gw4", "gw5", "gw6", "gw7"],
            [
                new HeldLease("ka", "gw2", Now.AddSeconds(-5)),
                new HeldLease("kb", "gw1", Now.AddSeconds(-10)),
                new HeldLease("kc", "gw-old", Now.AddSeconds(-360)), // expired at this instant: not named
            ],
            Ours,
            Feed,
            Now);

        Assert.Equal(
            "waiting 30 s, until 00:30:30 UTC, for other gateways to announce themselves before taking a fair share of the keys (2R; presence is renewed every R = 15 s): 6 other gateways live (gw2, gw3, gw4, gw5, gw6, …), 3 keys leased",
            plan.Lines[0]);
        Assert.StartsWith("key ka is leased by gw2, which is live: if not renewed or released it is free at 00:35:55 UTC at the latest (T = 360 s after its last renewal at 00:29:55 UTC;", plan.Lines[1], StringComparison.Ordinal);
        Assert.StartsWith("key kb is leased by this gateway's id (gw1), from an earlier run: if not renewed or released it is free at 00:35:50 UTC", plan.Lines[2], StringComparison.Ordinal);
        Assert.Equal(3, plan.Lines.Count);
    }
}
