using KisFeed.Nats;

namespace KisFeed.Tests.Nats;

/// <summary>
/// How a gateway starts, on virtual time with the production timings (T = 360 s, D = 300 s, R = 15 s): what it says
/// from its first lines, when it takes its first key, and when its first registration is live.
/// </summary>
public sealed class GatewayStartTests
{
    [Fact]
    public async Task OnAnEmptyBucketWithNoPeerItTakesEveryKeyAtOnceAndSaysSo()
    {
        await using var rig = new GatewayRig(keys: 2);
        rig.Nats.AddDesired([.. rig.OnePerKey()]);

        GatewayRig.Member gw = rig.StartGateway("gw1");
        await rig.UntilAsync(() => gw.Of(GatewayEventKind.Ready).Any(), "the gateway is ready");

        // Not one tick of the clock was needed: no 2R wait when there is nobody to share with and no lease.
        Assert.Equal(GatewayRig.Start, rig.Time.GetUtcNow());
        Assert.Equal(["gw1", "gw1"], rig.Nats.Holders.Values);
        GatewayEvent[] waiting = [.. gw.Of(GatewayEventKind.Waiting)];
        Assert.Contains("opening the stream KISFEED", waiting[0].Detail, StringComparison.Ordinal);
        Assert.Contains("no other gateway is live and no app key is leased: taking keys now", waiting[1].Detail, StringComparison.Ordinal);
        GatewayEvent ready = gw.Of(GatewayEventKind.Ready).Single();
        Assert.Matches(@"^first key held \(k[0-9a-f]{16}\) and first registration live \(H0NXPGM0/1\d{5}\) 0\.0 s after start$", ready.Detail);

        // The order a person reads: waiting, started, what it waits for, the lease, the registration, ready.
        List<GatewayEventKind> kinds = [.. gw.Events.Select(e => e.Kind)];
        Assert.True(kinds.IndexOf(GatewayEventKind.Started) < kinds.IndexOf(GatewayEventKind.LeaseAcquired));
        Assert.True(kinds.IndexOf(GatewayEventKind.LeaseAcquired) < kinds.IndexOf(GatewayEventKind.RegistrationStarted));
        Assert.True(kinds.IndexOf(GatewayEventKind.RegistrationStarted) < kinds.IndexOf(GatewayEventKind.Ready));
        await rig.UntilAsync(() => rig.Kis.Connections.Count(c => !c.Ended && !c.Registered.IsEmpty) == 2, "KIS has both registrations");
    }

    [Fact]
    public async Task WithAnotherGatewayLiveItWaitsTwoRenewIntervalsSaysUntilWhenAndTakesItsShareThenNotLater()
    {
        await using var rig = new GatewayRig(keys: 2);
        rig.Nats.AddDesired([.. rig.OnePerKey()]);
        rig.Nats.Presence.Put("gw-other", "other-host"u8.ToArray());

        GatewayRig.Member gw = rig.StartGateway("gw1");
        await rig.UntilAsync(() => gw.Of(GatewayEventKind.Waiting).Count() >= 2, "the gateway says what it waits for");
        Assert.Equal(
            "waiting 30 s, until 00:30:30 UTC, for other gateways to announce themselves before taking a fair share of the keys (2R; presence is renewed every R = 15 s): 1 other gateway live (gw-other), 0 keys leased",
            gw.Of(GatewayEventKind.Waiting).ElementAt(1).Detail);

        Assert.Empty(gw.Of(GatewayEventKind.LeaseAcquired));
        await rig.StepUntilAsync(() => rig.Nats.Holders.Count > 0, TimeSpan.FromSeconds(60), "a key is taken");
        string key = rig.Nats.Holders.Keys.Single();
        Assert.InRange(rig.AcquiredAt(key, "gw1") - GatewayRig.Start, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30) + GatewayRig.Step);

        // Two gateways live, two keys with work: a fair share is one.
        Assert.Single(rig.Nats.Holders);
        await rig.UntilAsync(() => gw.Of(GatewayEventKind.Ready).Any(), "the gateway is ready");
    }

    [Fact]
    public async Task ALeaseLeftByADeadGatewayIsNamedWithTheTimeItExpiresAndTakenOnlyThen()
    {
        await using var rig = new GatewayRig(keys: 2);
        Registration[] regs = [.. rig.OnePerKey()];
        rig.Nats.AddDesired(regs);
        string deadKey = rig.Keys[0].Id;
        rig.Nats.Leases.Create(deadKey, "gw-dead"u8.ToArray());
        DateTimeOffset renewed = rig.Time.GetUtcNow();
        rig.Time.Advance(TimeSpan.FromSeconds(100));

        GatewayRig.Member gw = rig.StartGateway("gw1");
        await rig.UntilAsync(() => gw.Of(GatewayEventKind.Waiting).Count() >= 3, "the gateway names the leased key");
        Assert.Equal(
            $"key {deadKey} is leased by gw-dead, which is not live: if not renewed or released it is free at 00:36:00 UTC at the latest (T = 360 s after its last renewal at 00:30:00 UTC; lease rule T ≥ D + 3R: a lease outlives its holder's KIS session)",
            gw.Of(GatewayEventKind.Waiting).ElementAt(2).Detail);

        // The free key after the 2R wait; the dead one only once the server expired its lease.
        await rig.StepUntilAsync(() => rig.Nats.Holders.Count(h => h.Value == "gw1") == 2, TimeSpan.FromSeconds(400), "both keys are taken");
        Assert.InRange(rig.AcquiredAt(deadKey, "gw1") - renewed, rig.Feed.LeaseTtl, rig.Feed.LeaseTtl + rig.Feed.LeaseRenewInterval + GatewayRig.Step);
        Assert.InRange(rig.AcquiredAt(rig.Keys[1].Id, "gw1") - renewed, TimeSpan.FromSeconds(130), TimeSpan.FromSeconds(130) + GatewayRig.Step);
    }
}
