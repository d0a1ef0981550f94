using KisFeed.TestKit;

namespace KisFeed.Tests.Session;

/// <summary>
/// A subscribe reports per registration (held, refused with KIS's code and message, or over the cap) and the
/// subscription goes on with what was held; <see cref="IKisSubscription{T}.AddAsync"/> and
/// <see cref="IKisSubscription{T}.RemoveAsync"/> change its set at KIS. Virtual time, in-memory transport.
/// </summary>
public class PartialSubscribeTests
{
    private const string Nxt = "H0NXPGM0";

    private static readonly Func<KisRequest, string?> RefuseUnknown = r => r.TrKey == "999999" && r.IsSubscribe
        ? KisScript.Json.Error(r.TrId, r.TrKey, "1", "OPSP8992", "SUBSCRIBE ERROR : invalid tr_key")
        : r.IsSubscribe ? KisScript.Json.Subscribed(r.TrId, r.TrKey) : KisScript.Json.Unsubscribed(r.TrId, r.TrKey);

    [Fact]
    public async Task ARefusedCodeIsReportedWithKisCodeAndTheOthersKeepFlowing()
    {
        await using var rig = new SessionRig();
        rig.Script.Answer = RefuseUnknown;
        (IKisSubscription<ProgramTrade> sub, InMemoryServerEnd server) = await rig.SubscribeAsync(["005930", "999999", "000660"]);

        Assert.Equal(
            [RegistrationState.Active, RegistrationState.Refused, RegistrationState.Active],
            sub.Registrations.Select(s => s.State));
        RegistrationStatus refused = sub.Registrations[1];
        Assert.Equal(new Registration(Venue.Nxt, "999999"), refused.Registration);
        Assert.Equal("OPSP8992", refused.ErrorCode);
        Assert.Contains("invalid tr_key", refused.Message, StringComparison.Ordinal);
        Assert.False(refused.IsHeld);
        Assert.Equal(new HashSet<Registration> { new(Venue.Nxt, "005930"), new(Venue.Nxt, "000660") }, rig.Client.Registrations.ToHashSet());

        // The event says the same, and that it happened on subscribing (not on a restore).
        await rig.UntilAsync(() => !rig.Failed.IsEmpty, "the refusal is raised");
        SubscriptionFailedEventArgs failed = Assert.Single(rig.Failed);
        Assert.Equal("999999", failed.Registration.Key);
        Assert.False(failed.WhileRestoring);
        Assert.Equal(RegistrationState.Refused, failed.Status.State);

        server.Send(KisScript.Frame(Nxt, KisScript.Record("000660", "093001", 4), KisScript.Record("005930", "093001", 5)));
        Assert.Equal("000660", (await sub.Reader.ReadAsync(rig.Ct)).Code);
        Assert.Equal("005930", (await sub.Reader.ReadAsync(rig.Ct)).Code);
        Assert.False(sub.Reader.Completion.IsCompleted);
    }

    [Fact]
    public async Task RegistrationsOverTheCapAreReportedAndNeverSent()
    {
        await using var rig = new SessionRig(o => o with { MaxRegistrations = 2 });
        (IKisSubscription<ProgramTrade> sub, _) = await rig.SubscribeAsync(["005930", "000660", "035420"]);

        Assert.Equal([RegistrationState.Active, RegistrationState.Active, RegistrationState.OverLimit], sub.Registrations.Select(s => s.State));
        Assert.Null(sub.Registrations[2].ErrorCode); // checked before sending: no KIS code
        Assert.Contains("over its 2 registrations", sub.Registrations[2].Message, StringComparison.Ordinal);
        Assert.Equal(["005930", "000660"], rig.Script.Requests.Select(r => r.TrKey));

        // Once a slot is free, asking again holds it.
        await sub.RemoveAsync([new Registration(Venue.Nxt, "000660")], rig.Ct);
        IReadOnlyList<RegistrationStatus> again = await sub.AddAsync([new Registration(Venue.Nxt, "035420")], rig.Ct);
        Assert.Equal(RegistrationState.Active, Assert.Single(again).State);
        Assert.Equal(["005930", "035420"], sub.Registrations.Select(s => s.Registration.Key));
    }

    [Fact]
    public async Task OverTheCapAsKisSaysItIsOverLimitWithKisCode()
    {
        await using var rig = new SessionRig();
        rig.Script.Answer = r => r.TrKey == "035420" ? KisScript.Json.Error(r.TrId, r.TrKey, "1", "OPSP0008", "MAX SUBSCRIBE OVER") : KisScript.Json.Subscribed(r.TrId, r.TrKey);
        (IKisSubscription<ProgramTrade> sub, _) = await rig.SubscribeAsync(["005930", "035420"]);
        RegistrationStatus over = sub.Registrations[1];
        Assert.Equal(RegistrationState.OverLimit, over.State);
        Assert.Equal("OPSP0008", over.ErrorCode);
        Assert.Single(rig.Client.Registrations);
    }

    [Fact]
    public async Task AddAndRemoveChangeTheSetAtKisAndWhatIsDelivered()
    {
        await using var rig = new SessionRig();
        (IKisSubscription<ProgramTrade> sub, InMemoryServerEnd server) = await rig.SubscribeAsync(["005930"]);

        IReadOnlyList<RegistrationStatus> added = await sub.AddAsync(Registration.Of(["000660", "005930"], Venue.Nxt), rig.Ct);
        Assert.Equal([RegistrationState.Active, RegistrationState.Active], added.Select(s => s.State));
        Assert.Equal(2, rig.Script.Requests.Count(r => r.IsSubscribe)); // 005930 was held already: not sent again
        server.Send(KisScript.Frame(Nxt, KisScript.Record("000660", "093001", 1)));
        Assert.Equal("000660", (await sub.Reader.ReadAsync(rig.Ct)).Code);

        await sub.RemoveAsync([new Registration(Venue.Nxt, "005930")], rig.Ct);
        KisRequest released = rig.Script.Requests.Last();
        Assert.False(released.IsSubscribe);
        Assert.Equal("005930", released.TrKey);
        Assert.Equal(["000660"], sub.Registrations.Select(s => s.Registration.Key));
        Assert.Equal([new Registration(Venue.Nxt, "000660")], rig.Client.Registrations);

        // A record of the removed code that was already on its way is not routed to the subscription any more.
        server.Send(KisScript.Frame(Nxt, KisScript.Record("005930", "093002", 2), KisScript.Record("000660", "093002", 3)));
        ProgramTrade next = await sub.Reader.ReadAsync(rig.Ct);
        Assert.Equal(("000660", 3L), (next.Code, next.SellVolume));
        Assert.Equal(2, sub.Delivered);
    }

    [Fact]
    public async Task ARegistrationIsPendingWhileDownAndActiveOnceRestored()
    {
        await using var rig = new SessionRig();
        (IKisSubscription<ProgramTrade> sub, InMemoryServerEnd server) = await rig.SubscribeAsync(["005930"]);
        server.Drop();
        await rig.UntilAsync(() => rig.Client.State == ConnectionState.Reconnecting, "down");
        Assert.Equal(RegistrationState.Pending, Assert.Single(sub.Registrations).State);

        IReadOnlyList<RegistrationStatus> added = await sub.AddAsync([new Registration(Venue.Nxt, "000660")], rig.Ct);
        Assert.Equal(RegistrationState.Pending, Assert.Single(added).State); // queued for the next connection

        await rig.PassBackoffAsync(TimeSpan.FromSeconds(5));
        _ = await rig.AcceptAsync();
        await rig.UntilAsync(() => sub.Registrations.All(s => s.State == RegistrationState.Active), "both restored");
        Assert.Equal(["005930", "000660"], sub.Registrations.Select(s => s.Registration.Key));
    }

    [Fact]
    public async Task ARefusalOnRestoreIsShownButTheRegistrationStaysHeldForTheNextConnection()
    {
        await using var rig = new SessionRig();
        (IKisSubscription<ProgramTrade> sub, InMemoryServerEnd server) = await rig.SubscribeAsync(["005930"]);
        rig.Script.Answer = r => KisScript.Json.Error(r.TrId, r.TrKey, "1", "OPSP8992", "SUBSCRIBE ERROR : invalid tr_key");
        server.Drop();
        await rig.PassBackoffAsync(TimeSpan.FromSeconds(5));
        _ = await rig.AcceptAsync();
        await rig.UntilAsync(() => !rig.Failed.IsEmpty, "the refusal on restore");

        Assert.True(Assert.Single(rig.Failed).WhileRestoring);
        RegistrationStatus status = Assert.Single(sub.Registrations);
        Assert.Equal(RegistrationState.Refused, status.State);
        Assert.Equal("OPSP8992", status.ErrorCode);
        Assert.Single(rig.Client.Registrations); // still wanted: tried again on the next connection
    }

    [Fact]
    public async Task TheStreamingHelperEndsWithTheStatusesWhenNothingIsHeld()
    {
        await using var rig = new SessionRig();
        rig.Script.Answer = RefuseUnknown;
        IAsyncEnumerator<ProgramTrade> trades = rig.Client.ProgramTradesAsync([new Registration(Venue.Nxt, "999999")], cancellationToken: rig.Ct).GetAsyncEnumerator(rig.Ct);
        Task<bool> first = trades.MoveNextAsync().AsTask();
        _ = await rig.AcceptAsync();
        KisSubscriptionException ex = await Assert.ThrowsAsync<KisSubscriptionException>(() => first);
        Assert.Equal("OPSP8992", Assert.Single(ex.Registrations).ErrorCode);
        Assert.Contains("999999", ex.Message, StringComparison.Ordinal);
        await trades.DisposeAsync();
        Assert.Empty(rig.Client.Registrations);
    }

    [Fact]
    public async Task APoolSubscriptionIsOneBufferOverItsSessionsAndAddPlacesByFreeSlots()
    {
        var t1 = new InMemoryTransport();
        var t2 = new InMemoryTransport();
        var time = new ManualTime(SessionRig.Start);
        KisOptions Options(string key, InMemoryTransport t) => KisOptions.Default with
        {
            ApprovalKey = key,
            TimeProvider = time,
            Transport = t,
            WebSocketUri = new Uri("ws://kis.test:21000"),
            MaxRegistrations = 2,
        };
        await using var pool = new KisClientPool([Options("k1-000000", t1), Options("k2-000000", t2)]);
        using CancellationTokenSource deadline = Wait.Deadline(TestContext.Current.CancellationToken);
        var script1 = new KisScript();
        var script2 = new KisScript();

        Task<IKisSubscription<ProgramTrade>> pending = pool.SubscribeAsync(Registration.Of(["005930", "000660", "035420"], Venue.Nxt), cancellationToken: deadline.Token);
        InMemoryServerEnd s1 = await t1.AcceptAsync(deadline.Token);
        _ = script1.ServeAsync(s1, deadline.Token);
        InMemoryServerEnd s2 = await t2.AcceptAsync(deadline.Token);
        _ = script2.ServeAsync(s2, deadline.Token);
        IKisSubscription<ProgramTrade> sub = await pending;
        Assert.All(sub.Registrations, s => Assert.Equal(RegistrationState.Active, s.State));
        Assert.Equal(3, script1.Requests.Count + script2.Requests.Count);

        // Both sessions write into the one buffer.
        s1.Send(KisScript.Frame(Nxt, script1.Requests.Select(r => KisScript.Record(r.TrKey, "093001", 1)).ToArray()));
        s2.Send(KisScript.Frame(Nxt, script2.Requests.Select(r => KisScript.Record(r.TrKey, "093001", 2)).ToArray()));
        var seen = new HashSet<string>();
        while (seen.Count < 3)
        {
            seen.Add((await sub.Reader.ReadAsync(deadline.Token)).Code);
        }

        // One free slot left in all: the fourth code takes it, the fifth is over the pool's cap.
        IReadOnlyList<RegistrationStatus> more = await sub.AddAsync(Registration.Of(["051910", "068270"], Venue.Nxt), deadline.Token);
        Assert.Equal([RegistrationState.Active, RegistrationState.OverLimit], more.Select(s => s.State));
        Assert.Contains("pool's 2 session(s)", more[1].Message, StringComparison.Ordinal);
        Assert.Equal(4, pool.RegistrationCount);
        Assert.Equal(2, script1.Requests.Count);
        Assert.Equal(2, script2.Requests.Count);

        await sub.DisposeAsync();
        Assert.Equal(0, pool.RegistrationCount);
        Assert.True(sub.Reader.Completion.IsCompleted);
    }
}
