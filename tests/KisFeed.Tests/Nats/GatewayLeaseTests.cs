using KisFeed.Nats;
using KisFeed.TestKit;

namespace KisFeed.Tests.Nats;

/// <summary>
/// The lease rules on virtual time with the production timings (T = 360 s, D = 300 s, R = 15 s): a holder cut off
/// from NATS closes its session at s + T − D, the key moves only once the server expired the lease at s + T, a frozen
/// holder drops its session first thing when it wakes, and rebalancing moves one key at a time, session closed before
/// the lease is given back. KIS (<see cref="FakeKis"/>) never sees two sessions on one app key.
/// </summary>
public sealed class GatewayLeaseTests
{
    [Fact]
    public async Task AHolderCutOffFromNatsClosesItsSessionAtTMinusDAndTheKeyMovesOnlyAfterT()
    {
        // T − D = 67 s is not a multiple of R: the lease runs out between two rounds, where only the watchdog sees it.
        await using var rig = new GatewayRig(keys: 1, feed: NatsFeedOptions.Default with { LeaseTtl = TimeSpan.FromSeconds(367) });
        Registration reg = rig.OnePerKey()[0];
        rig.Nats.AddDesired(reg);
        string key = rig.Keys[0].Id;

        GatewayRig.Member a = rig.StartGateway("gw-a");
        await rig.UntilAsync(() => a.Of(GatewayEventKind.Ready).Any(), "gw-a is ready");
        Assert.Equal(1, rig.Kis.Send(reg));
        await rig.UntilAsync(() => rig.Nats.Stream.Any(i => i.Kind == FeedItemKind.Trade), "a trade reaches the stream");
        GatewayRig.Member b = rig.StartGateway("gw-b");
        await rig.StepAsync(TimeSpan.FromSeconds(60));
        Assert.Equal("gw-a", rig.Nats.Holders[key]);
        DateTimeOffset lastTradeAt = rig.Nats.Stream.Single(i => i.Kind == FeedItemKind.Trade).Trade.ReceivedAt;

        a.Backplane.Cut = true;
        DateTimeOffset lastRenewal = rig.Nats.Leases.History.Last(e => e.Key == key).Created;
        await rig.StepUntilAsync(() => a.Of(GatewayEventKind.LeaseLost).Any(), TimeSpan.FromSeconds(120), "gw-a drops its lease");
        DateTimeOffset lost = a.Of(GatewayEventKind.LeaseLost).Single().At;
        TimeSpan holdWindow = rig.Feed.LeaseTtl - rig.Feed.KisSilentSessionLifetime;
        Assert.InRange(lost - lastRenewal, holdWindow, holdWindow + GatewayRig.Step);
        await rig.UntilAsync(() => rig.Kis.OpenOf(key).Count == 0, "gw-a's KIS session is closed");
        FakeKisConnection old = rig.Kis.Connections.Single(c => c.KeyId == key);
        Assert.True(old.Clean, "gw-a closed its KIS session with a close frame");
        Assert.InRange(old.EndedAt!.Value - lost, TimeSpan.Zero, GatewayRig.Step);

        // Nobody can create the lease before the server expires it, T after the last renewal it stored.
        await rig.StepUntilAsync(() => rig.Nats.Holders.GetValueOrDefault(key) == "gw-b", TimeSpan.FromSeconds(400), "gw-b takes the key");
        TimeSpan movedAfter = rig.AcquiredAt(key, "gw-b") - lastRenewal;
        Assert.InRange(movedAfter, rig.Feed.LeaseTtl, rig.Feed.LeaseTtl + rig.Feed.LeaseRenewInterval + GatewayRig.Step);
        await rig.UntilAsync(() => b.Of(GatewayEventKind.RegistrationStarted).Any(), "the registration is live on gw-b");
        FakeKisConnection fresh = rig.Kis.Connections.Last(c => c.KeyId == key);
        Assert.True(fresh.ConnectedAt >= old.EndedAt, "the new session opened after the old one closed");
        Assert.Empty(rig.Kis.TwoSessions);

        // Rule 7: the registration's move is a gap from the last record stored for it.
        DataGap gap = rig.Nats.Stream.Where(i => i.Kind == FeedItemKind.Gap).Select(i => i.Gap!).Single(g => g.Id < 0);
        Assert.Equal(lastTradeAt, gap.From);
        Assert.Equal([reg], gap.Registrations);
        Assert.Contains("registration moved", gap.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFrozenHolderThatWakesPastItsLeaseClosesItsSessionFirstAndNeverRenewsOrReconnectsOnIt()
    {
        await using var rig = new GatewayRig(keys: 1);
        Registration reg = rig.OnePerKey()[0];
        rig.Nats.AddDesired(reg);
        string key = rig.Keys[0].Id;
        GatewayRig.Member a = rig.StartGateway("gw-a");
        await rig.UntilAsync(() => a.Of(GatewayEventKind.Ready).Any(), "gw-a is ready");
        await rig.StepAsync(TimeSpan.FromSeconds(20));
        int writesBefore = rig.Nats.Leases.History.Count;
        int connects = rig.Kis.Transport.Attempts;
        int eventsBefore = a.Events.Count;

        // A freeze: the process does nothing while the clock runs past T − D, then everything it had scheduled wakes at once.
        rig.Time.Advance(TimeSpan.FromSeconds(90));
        await rig.QuietAsync();
        await rig.UntilAsync(() => a.Of(GatewayEventKind.SessionClosed).Any(), "gw-a reports its session closed");

        GatewayEvent[] afterWake = [.. a.Events.Skip(eventsBefore)];
        Assert.Equal(GatewayEventKind.LeaseLost, afterWake[0].Kind);
        Assert.Equal(GatewayEventKind.SessionClosed, afterWake.First(e => e.Kind != GatewayEventKind.LeaseLost).Kind);
        Assert.DoesNotContain(rig.Nats.Leases.History.Skip(writesBefore), e => e.Key == key && e.Text == "gw-a" && e.Value is not null);
        Assert.Equal(connects, rig.Kis.Transport.Attempts);
        Assert.Empty(rig.Kis.OpenOf(key));
    }

    [Fact]
    public async Task ASecondGatewayGetsItsShareOneKeyEveryTwoRoundsEachSessionClosedBeforeItsLeaseIsGivenBack()
    {
        await using var rig = new GatewayRig(keys: 4);
        rig.Nats.AddDesired([.. rig.OnePerKey()]);
        GatewayRig.Member a = rig.StartGateway("gw-a");
        await rig.UntilAsync(() => a.Of(GatewayEventKind.RegistrationStarted).Count() == 4, "gw-a carries every registration");
        Assert.Equal(4, rig.Nats.Holders.Count(h => h.Value == "gw-a"));

        GatewayRig.Member b = rig.StartGateway("gw-b");
        await rig.StepUntilAsync(
            () => rig.Nats.Holders.Count(h => h.Value == "gw-a") == 2 && rig.Nats.Holders.Count(h => h.Value == "gw-b") == 2 && b.Of(GatewayEventKind.RegistrationStarted).Count() == 2,
            TimeSpan.FromMinutes(5),
            "the keys are shared 2 and 2");

        // One key at a time, two rounds apart; each given back only once KIS saw its session closed.
        List<InMemoryKv.Entry> releases = [.. rig.Nats.Leases.History.Where(e => e.Value is null)];
        Assert.Equal(2, releases.Count);
        Assert.True(releases[1].Created - releases[0].Created >= (rig.Feed.LeaseRenewInterval * 2) - GatewayRig.Step, $"releases at {releases[0].Created:HH:mm:ss.fff} and {releases[1].Created:HH:mm:ss.fff}");
        foreach (InMemoryKv.Entry release in releases)
        {
            FakeKisConnection closed = rig.Kis.Connections.First(c => c.KeyId == release.Key);
            Assert.True(closed.Ended && closed.Clean && closed.EndedAt <= release.Created, $"{release.Key}: session ended {closed.EndedAt:HH:mm:ss.fff}, lease deleted {release.Created:HH:mm:ss.fff}");
        }

        Assert.Equal(2, a.Of(GatewayEventKind.LeaseReleased).Count(e => e.Detail.StartsWith("rebalancing: ", StringComparison.Ordinal)));
        Assert.Empty(rig.Kis.TwoSessions);
    }
}
