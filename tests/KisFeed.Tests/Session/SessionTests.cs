using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;

using KisFeed.TestKit;

namespace KisFeed.Tests.Session;

/// <summary>The session on the in-memory transport and virtual time: reconnects, restores, gaps, the watchdog, deadlines.</summary>
public class SessionTests
{
    private const string Nxt = "H0NXPGM0";

    [Fact]
    public async Task AfterADropItReconnectsWithTheExactBackoffSequenceAndNeverSoonerThanTheMinimumGap()
    {
        await using var rig = new SessionRig();
        (IKisSubscription<ProgramTrade> sub, InMemoryServerEnd server) = await rig.SubscribeAsync(["005930"]);
        rig.Transport.Refuse = "connection refused";
        server.Drop();

        // 1 s doubling with a 5 s minimum gap: 5, 5, 5, 8, 16 s.
        TimeSpan[] expected = [TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(16)];
        for (int i = 0; i < expected.Length; i++)
        {
            int attempts = rig.Transport.Attempts;
            await rig.Time.WaitForTimerAsync(expected[i], rig.Ct);
            rig.Time.Advance(expected[i] - TimeSpan.FromMilliseconds(1));
            await Task.Yield();
            Assert.Equal(attempts, rig.Transport.Attempts); // not one millisecond early
            rig.Time.Advance(TimeSpan.FromMilliseconds(1));
            await rig.UntilAsync(() => rig.Transport.Attempts == attempts + 1, $"attempt {i + 2}");
        }

        await rig.UntilAsync(() => rig.States.Count(s => s.Current == ConnectionState.Reconnecting) >= expected.Length, "the Reconnecting states");
        Assert.Equal(expected, rig.States.Where(s => s.Current == ConnectionState.Reconnecting).Take(expected.Length).Select(s => s.NextAttemptIn!.Value));

        await rig.Time.WaitForTimerAsync(TimeSpan.FromSeconds(32), rig.Ct); // the sixth attempt was refused too
        rig.Transport.Refuse = null;
        rig.Time.Advance(TimeSpan.FromSeconds(32));
        InMemoryServerEnd again = await rig.AcceptAsync();
        await rig.UntilAsync(() => rig.Client.State == ConnectionState.Connected && rig.Script.Requests.Count == 2, "reconnected and restored");
        again.Send(KisScript.Frame(Nxt, KisScript.Record("005930", "093001", 1)));
        Assert.True(await sub.Reader.WaitToReadAsync(rig.Ct));
        await sub.DisposeAsync();
    }

    [Fact]
    public async Task AppKeyInUseOnReconnectWaitsTheLongDelayAndClosesTheConnection()
    {
        await using var rig = new SessionRig();
        (_, InMemoryServerEnd server) = await rig.SubscribeAsync(["005930"]);
        rig.Script.Answer = r => KisScript.Json.Error(null, null, "9", "OPSP8996", "ALREADY IN USE appkey");
        server.Drop();

        await rig.PassBackoffAsync(TimeSpan.FromSeconds(5));
        InMemoryServerEnd second = await rig.AcceptAsync();
        await rig.UntilAsync(() => second.ClientGone, "the client closes the connection after OPSP8996");
        int attempts = rig.Transport.Attempts;

        // OPSP8996 starts the backoff at 30 s (here the second attempt of the outage: 30 s × 2), never the 5 s of a plain drop.
        TimeSpan wait = TimeSpan.FromSeconds(60);
        Assert.Equal(wait, SessionRig.Policy.NextDelay(2, ReconnectReason.AppKeyInUse, 0.5));
        await rig.Time.WaitForTimerAsync(wait, rig.Ct);
        rig.Time.Advance(wait - TimeSpan.FromMilliseconds(1));
        await Task.Yield();
        Assert.Equal(attempts, rig.Transport.Attempts);
        rig.Script.Answer = r => KisScript.Json.Subscribed(r.TrId, r.TrKey);
        rig.Time.Advance(TimeSpan.FromMilliseconds(1));
        _ = await rig.AcceptAsync();
        await rig.UntilAsync(() => rig.Client.State == ConnectionState.Connected, "connected after the wait");
        Assert.Contains(rig.States, s => s.Current == ConnectionState.Reconnecting && s.NextAttemptIn == wait && s.Reason.Contains("OPSP8996", StringComparison.Ordinal));
    }

    [Fact]
    public async Task InvalidApprovalKeyGetsAFreshKeyAndTheRegistrationBack()
    {
        var approvals = new FakeApprovalHandler();
        await using var rig = new SessionRig(o => o with { ApprovalKey = null, AppKey = "PSAPPKEY-TEST-000000000000000000001", AppSecret = new string('s', 180), HttpHandler = approvals, RestUri = new Uri("http://kis.test:9443"), HealGaps = false }); // no REST calls through the approval fake
        (_, InMemoryServerEnd server) = await rig.SubscribeAsync(["005930"]);
        Assert.Equal(1, approvals.Issued);
        Assert.Equal(FakeApprovalHandler.KeyNumber(1), Assert.Single(rig.Script.Requests).ApprovalKey);

        // The next connection's first subscribe is refused as OPSP0011: the client asks for a new key and reconnects.
        string firstKey = FakeApprovalHandler.KeyNumber(1);
        rig.Script.Answer = r => r.ApprovalKey == firstKey ? KisScript.Json.Error(r.TrId, r.TrKey, "1", "OPSP0011", "invalid approval : " + r.ApprovalKey) : KisScript.Json.Subscribed(r.TrId, r.TrKey);
        server.Drop();
        await rig.PassBackoffAsync(TimeSpan.FromSeconds(5));
        InMemoryServerEnd refused = await rig.AcceptAsync();
        await rig.UntilAsync(() => refused.ClientGone, "the refused connection is dropped");
        await rig.PassBackoffAsync(TimeSpan.FromSeconds(5));
        _ = await rig.AcceptAsync();
        await rig.UntilAsync(() => rig.Client.State == ConnectionState.Connected && rig.Script.Requests.Count == 3, "restored with the new key");
        Assert.Equal(2, approvals.Issued);
        Assert.Equal(FakeApprovalHandler.KeyNumber(2), rig.Script.Requests.Last().ApprovalKey);
    }

    [Fact]
    public async Task AnApprovalRequestRefusedAsTooFastIsRetriedOnceASecondLater()
    {
        var approvals = new FakeApprovalHandler { Refuse = (System.Net.HttpStatusCode.Forbidden, "EGW00201") };
        await using var rig = new SessionRig(o => o with { ApprovalKey = null, AppKey = "PSAPPKEY-TEST-000000000000000000001", AppSecret = new string('s', 180), HttpHandler = approvals, RestUri = new Uri("http://kis.test:9443"), HealGaps = false });
        Task<IKisSubscription<ProgramTrade>> pending = rig.Client.SubscribeAsync(Registration.Of(["005930"], [Venue.Nxt]), cancellationToken: rig.Ct);
        await rig.Time.WaitForTimerAsync(TimeSpan.FromSeconds(1.1), rig.Ct);
        Assert.Equal(0, rig.Transport.Attempts); // no connection without a key
        rig.Time.Advance(TimeSpan.FromSeconds(1.1));
        _ = await rig.AcceptAsync();
        await pending;
        Assert.Equal(1, approvals.Issued);
        Assert.Equal(FakeApprovalHandler.KeyNumber(1), Assert.Single(rig.Script.Requests).ApprovalKey);
    }

    [Fact]
    public async Task EveryRegistrationIsRestoredAndTheGapHasExactBounds()
    {
        await using var rig = new SessionRig();
        (_, InMemoryServerEnd server) = await rig.SubscribeAsync(["005930", "000660", "035420"]);
        rig.Time.Advance(TimeSpan.FromSeconds(7));
        DateTimeOffset lastMessage = rig.Time.GetUtcNow();
        server.Send(KisScript.Frame(Nxt, KisScript.Record("005930", "093007", 1)));
        await rig.UntilAsync(() => rig.Client.GetStatistics().RecordsReceived == 1, "the record");

        rig.Time.Advance(TimeSpan.FromSeconds(3)); // silence, then the drop: the gap starts at the last message, not at the drop
        server.Drop();
        await rig.PassBackoffAsync(TimeSpan.FromSeconds(5));
        DateTimeOffset restoredAt = rig.Time.GetUtcNow();
        _ = await rig.AcceptAsync();
        await rig.UntilAsync(() => !rig.Gaps.IsEmpty, "the gap");

        DataGapEventArgs gap = Assert.Single(rig.Gaps);
        Assert.Equal(lastMessage, gap.From);
        Assert.Equal(restoredAt, gap.To);
        Assert.Equal(["H0NXPGM0/005930", "H0NXPGM0/000660", "H0NXPGM0/035420"], gap.Registrations.Select(r => r.ToString()));
        Assert.Equal(6, rig.Script.Requests.Count(r => r.IsSubscribe));
        Assert.Equal(ConnectionState.Connected, rig.Client.State);
    }

    [Fact]
    public async Task TheWatchdogFiresAtIdleTimeoutAndNotBefore()
    {
        await using var rig = new SessionRig(o => o with { IdleTimeout = TimeSpan.FromSeconds(150) });
        (_, InMemoryServerEnd server) = await rig.SubscribeAsync(["005930"]);
        rig.Time.Advance(TimeSpan.FromSeconds(100));
        server.Send(KisScript.Json.PingPong());
        await rig.UntilAsync(() => rig.Script.Pongs.Count == 1, "the PINGPONG echo");
        await rig.Time.WaitForTimerAsync(TimeSpan.FromSeconds(150), rig.Ct, since: SessionRig.Start);

        // Quiet since t = 100 s: the watchdog may act at t = 250 s, not one millisecond before.
        rig.Time.Advance(TimeSpan.FromSeconds(149.999));
        await rig.Time.WaitForTimerAsync(TimeSpan.FromMilliseconds(1), rig.Ct);
        Assert.False(server.ClientGone);
        Assert.Equal(ConnectionState.Connected, rig.Client.State);
        rig.Time.Advance(TimeSpan.FromMilliseconds(1));
        await rig.UntilAsync(() => server.ClientGone && rig.Client.State == ConnectionState.Reconnecting, "the watchdog drops the connection");
        Assert.Contains(rig.States, s => s.Reason.Contains("watchdog", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ASubscribeWithNoReplyFailsAtTheReplyDeadline()
    {
        await using var rig = new SessionRig(o => o with { ReplyTimeout = TimeSpan.FromSeconds(10) });
        rig.Script.Answer = _ => null; // KIS never answers
        Task<IKisSubscription<ProgramTrade>> pending = rig.Client.SubscribeAsync(Registration.Of(["005930"], [Venue.Nxt]), cancellationToken: rig.Ct);
        _ = await rig.AcceptAsync();
        await rig.Time.WaitForTimerAsync(TimeSpan.FromSeconds(10), rig.Ct);
        rig.Time.Advance(TimeSpan.FromSeconds(9.999));
        await Task.Yield();
        Assert.False(pending.IsCompleted);
        rig.Time.Advance(TimeSpan.FromMilliseconds(1));
        KisException ex = await Assert.ThrowsAsync<KisException>(() => pending);
        Assert.Contains("H0NXPGM0/005930", ex.Message, StringComparison.Ordinal);
        Assert.IsType<TimeoutException>(ex.InnerException);
        Assert.True(ex.IsTransient);
        Assert.Empty(rig.Client.Registrations); // a session failure fails the call as a whole
    }

    [Fact]
    public async Task SubscribeAndUnsubscribeWhileReconnectingLeaveExactlyWhatIsWanted()
    {
        await using var rig = new SessionRig();
        (IKisSubscription<ProgramTrade> a, InMemoryServerEnd server) = await rig.SubscribeAsync(["005930"]);
        server.Drop();
        await rig.UntilAsync(() => rig.Client.State == ConnectionState.Reconnecting, "down");

        // While down: a new consumer comes, the old one leaves. Neither waits for the connection.
        IKisSubscription<ProgramTrade> b = await rig.Client.SubscribeAsync(Registration.Of(["000660"], [Venue.Nxt]), cancellationToken: rig.Ct);
        await a.DisposeAsync();
        Assert.Equal([new Registration(Venue.Nxt, "000660")], rig.Client.Registrations);

        int before = rig.Script.Requests.Count;
        await rig.PassBackoffAsync(TimeSpan.FromSeconds(5));
        InMemoryServerEnd again = await rig.AcceptAsync();
        await rig.UntilAsync(() => rig.Client.State == ConnectionState.Connected && rig.Script.Requests.Count == before + 1, "restored");
        KisRequest restored = rig.Script.Requests.Last();
        Assert.True(restored.IsSubscribe);
        Assert.Equal("000660", restored.TrKey);

        // Unsubscribe racing a drop: the release is not sent on a dead connection and not restored on the next.
        again.Drop();
        await b.DisposeAsync();
        await rig.PassBackoffAsync(TimeSpan.FromSeconds(5));
        _ = await rig.AcceptAsync();
        await rig.UntilAsync(() => rig.Client.State == ConnectionState.Connected, "reconnected with nothing to restore");
        Assert.Equal(before + 1, rig.Script.Requests.Count);
        Assert.Empty(rig.Client.Registrations);
    }

    [Fact]
    public async Task AConsumerThatNeverReadsLosesOldUpdatesButNeverStallsTheSessionOrItsHeartbeat()
    {
        await using var rig = new SessionRig(o => o with { ConsumerBufferCapacity = 10 });
        (IKisSubscription<ProgramTrade> sub, InMemoryServerEnd server) = await rig.SubscribeAsync(["005930"]);
        for (int i = 0; i < 100; i++)
        {
            server.Send(KisScript.Frame(Nxt, KisScript.Record("005930", "093000", i)));
        }

        server.Send(KisScript.Json.PingPong());
        await rig.UntilAsync(() => rig.Script.Pongs.Count == 1, "the heartbeat is answered behind 100 unread updates");
        Assert.Equal(90, sub.Dropped);
        Assert.Equal(100, sub.Delivered);
        await rig.UntilAsync(() => !rig.Drops.IsEmpty, "the drop is reported");
        Assert.Equal(ConnectionState.Connected, rig.Client.State);
        // Drop-oldest keeps the newest cumulative values.
        Assert.True(sub.Reader.TryRead(out ProgramTrade first));
        Assert.Equal(90, first.SellVolume);
    }

    [Theory]
    [InlineData(BoundedChannelFullMode.DropOldest, new long[] { 2, 3 })]
    [InlineData(BoundedChannelFullMode.DropNewest, new long[] { 1, 3 })]
    [InlineData(BoundedChannelFullMode.DropWrite, new long[] { 1, 2 })]
    public async Task TheFullModeMeansWhatTheBclSays(BoundedChannelFullMode mode, long[] kept)
    {
        await using var rig = new SessionRig(o => o with { ConsumerBufferCapacity = 2, ConsumerFullMode = mode });
        (IKisSubscription<ProgramTrade> sub, InMemoryServerEnd server) = await rig.SubscribeAsync(["005930"]);
        server.Send(KisScript.Frame(Nxt, KisScript.Record("005930", "093000", 1), KisScript.Record("005930", "093001", 2), KisScript.Record("005930", "093002", 3)));
        await rig.UntilAsync(() => rig.Client.GetStatistics().RecordsReceived == 3, "three records");
        Assert.Equal(1, sub.Dropped);
        Assert.True(sub.Reader.TryRead(out ProgramTrade a));
        Assert.True(sub.Reader.TryRead(out ProgramTrade b));
        Assert.Equal(kept, new[] { a.SellVolume, b.SellVolume });
    }

    [Fact]
    public void WaitIsRefusedAsAFullMode()
    {
        var ex = Assert.Throws<ArgumentException>(() => new KisRealtimeClient(KisOptions.Default with { ConsumerFullMode = BoundedChannelFullMode.Wait }));
        Assert.Contains("never waits", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EncryptedFramesUseTheKeyOfTheLatestSubscribeReply()
    {
        const string Key1 = "abcdefghijabcdefghijabcdefghij12", Iv1 = "1234567890abcdef";
        const string Key2 = "ZYXWVUTSRQZYXWVUTSRQZYXWVUTSRQ98", Iv2 = "fedcba0987654321";
        await using var rig = new SessionRig();
        rig.Script.Answer = r => KisScript.Json.Subscribed(r.TrId, r.TrKey, Iv1, Key1);
        (IKisSubscription<ProgramTrade> sub, InMemoryServerEnd server) = await rig.SubscribeAsync(["005930"]);
        server.Send("1|H0NXPGM0|001|" + Encrypt("005930^093000^1^70000^2^140000^1^70000^5^7^2", Key1, Iv1));
        Assert.Equal(1, (await sub.Reader.ReadAsync(rig.Ct)).SellVolume);

        // A new session issues a new key and iv: frames after the reconnect are encrypted with those.
        rig.Script.Answer = r => KisScript.Json.Subscribed(r.TrId, r.TrKey, Iv2, Key2);
        server.Drop();
        await rig.PassBackoffAsync(TimeSpan.FromSeconds(5));
        InMemoryServerEnd again = await rig.AcceptAsync();
        await rig.UntilAsync(() => rig.Client.State == ConnectionState.Connected, "reconnected");
        again.Send("1|H0NXPGM0|001|" + Encrypt("005930^093100^9^630000^9^630000^0^0^5^7^2", Key2, Iv2));
        ProgramTrade t = await sub.Reader.ReadAsync(rig.Ct);
        Assert.Equal(new TimeOnly(9, 31, 0), t.Time);
        Assert.Equal(630_000, t.SellValue);
        Assert.Empty(rig.Rejected);
    }

    [Fact]
    public async Task ARecordWithOneDamagedNumberIsDeliveredWithThatFieldFlaggedAndTheFrameIsReported()
    {
        await using var rig = new SessionRig();
        (IKisSubscription<ProgramTrade> sub, InMemoryServerEnd server) = await rig.SubscribeAsync(["005930"]);
        byte[] frame = [.. "0|H0NXPGM0|001|005930^093000^10^700000^20^1400000^10^700000^5^65072^47436"u8, 0xFF];
        server.Send(frame);
        ProgramTrade t = await sub.Reader.ReadAsync(rig.Ct);
        Assert.Equal(ProgramTradeFields.NetBidResidual, t.Missing);
        Assert.Equal(5, t.AskResidual);
        Assert.Equal(65072, t.BidResidual);
        Assert.Equal(0, t.NetBidResidual);
        Assert.Equal(700_000, t.NetBuyValue);
        await rig.UntilAsync(() => !rig.Rejected.IsEmpty, "the damage is reported");
        FrameRejectedEventArgs report = Assert.Single(rig.Rejected);
        Assert.Equal(FrameError.DamagedField, report.Error);
        Assert.Equal(1, report.RecordsDelivered);
        Assert.Equal(frame, report.RawFrame.ToArray());
        Assert.Equal(1, rig.Client.GetStatistics().DamagedRecords);

        // An unreadable time still costs the record (nothing to put it at).
        server.Send("0|H0NXPGM0|001|005930^09x000^10^700000^20^1400000^10^700000^1^2^3");
        await rig.UntilAsync(() => rig.Rejected.Count == 2, "the second report");
        Assert.Equal(FrameError.BadField, rig.Rejected.Last().Error);
        Assert.False(sub.Reader.TryRead(out _));
    }

    [Fact]
    public async Task AFeedCarriesTheGapInOrderAndNeverDropsIt()
    {
        await using var rig = new SessionRig(o => o with { ConsumerBufferCapacity = 4 });
        var feed = rig.Client.FeedAsync(Registration.Of(["005930"], [Venue.Nxt]), cancellationToken: rig.Ct).GetAsyncEnumerator(rig.Ct);
        Task<bool> first = feed.MoveNextAsync().AsTask();
        InMemoryServerEnd server = await rig.AcceptAsync();
        server.Send(KisScript.Frame(Nxt, KisScript.Record("005930", "093000", 1)));
        Assert.True(await first);
        Assert.Equal(FeedItemKind.Trade, feed.Current.Kind);

        server.Drop();
        await rig.PassBackoffAsync(TimeSpan.FromSeconds(5));
        InMemoryServerEnd again = await rig.AcceptAsync();
        await rig.UntilAsync(() => !rig.Gaps.IsEmpty, "the gap");
        for (int i = 2; i < 30; i++)
        {
            again.Send(KisScript.Frame(Nxt, KisScript.Record("005930", "093100", i)));
        }

        await rig.UntilAsync(() => rig.Client.GetStatistics().RecordsReceived == 29, "the records after the gap");
        // The consumer was not reading: 28 trades for 4 slots. The gap still comes first, then the newest trades.
        Assert.True(await feed.MoveNextAsync());
        Assert.Equal(FeedItemKind.Gap, feed.Current.Kind);
        Assert.Equal(rig.Gaps.Single().Gap.From, feed.Current.Gap!.From);
        List<long> after = [];
        for (int i = 0; i < 4; i++)
        {
            Assert.True(await feed.MoveNextAsync());
            after.Add(feed.Current.Trade.SellVolume);
        }

        Assert.Equal([26, 27, 28, 29], after);
        await feed.DisposeAsync();
    }

    [Fact]
    public async Task ASubscriptionNobodyDisposedOrHoldsIsReleasedBySweep()
    {
        await using var rig = new SessionRig(o => o with { AbandonedSweepInterval = TimeSpan.FromMinutes(7), IdleTimeout = Timeout.InfiniteTimeSpan });
        Task<InMemoryServerEnd> accept = rig.AcceptAsync();
        WeakReference handle = await SubscribeAndForget(rig);
        _ = await accept;
        await Task.Yield(); // off the stack of the subscribe, whose completion may have run this test inline
        Assert.Single(rig.Client.Registrations);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.False(handle.IsAlive, "the forgotten handle was collected");
        await rig.Time.WaitForTimerAsync(TimeSpan.FromMinutes(7), rig.Ct, since: SessionRig.Start);
        rig.Time.Advance(TimeSpan.FromMinutes(7));
        await rig.UntilAsync(() => rig.Script.Requests.Any(r => !r.IsSubscribe), "the abandoned registration is released at KIS");
        Assert.Empty(rig.Client.Registrations);
        Assert.Equal("005930", rig.Script.Requests.Last().TrKey);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static async Task<WeakReference> SubscribeAndForget(SessionRig rig)
    {
        IKisSubscription<ProgramTrade> forgotten = await rig.Client.SubscribeAsync(Registration.Of(["005930"], [Venue.Nxt]), cancellationToken: rig.Ct);
        Assert.Single(forgotten.Registrations);
        return new WeakReference(forgotten);
    }

    [Fact]
    public async Task AHeldSubscriptionIsNotSweptEvenWhenOnlyItsReaderIsKept()
    {
        await using var rig = new SessionRig(o => o with { AbandonedSweepInterval = TimeSpan.FromMinutes(7), IdleTimeout = Timeout.InfiniteTimeSpan });
        Task<InMemoryServerEnd> accept = rig.AcceptAsync();
        ChannelReader<ProgramTrade> reader = await ReaderOnly(rig);
        InMemoryServerEnd server = await accept;
        await Task.Yield();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        await rig.Time.WaitForTimerAsync(TimeSpan.FromMinutes(7), rig.Ct, since: SessionRig.Start);
        rig.Time.Advance(TimeSpan.FromMinutes(7));
        server.Send(KisScript.Frame(Nxt, KisScript.Record("005930", "093000", 5)));
        Assert.Equal(5, (await reader.ReadAsync(rig.Ct)).SellVolume);
        Assert.DoesNotContain(rig.Script.Requests, r => !r.IsSubscribe);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static async Task<ChannelReader<ProgramTrade>> ReaderOnly(SessionRig rig) => (await rig.Client.SubscribeAsync(Registration.Of(["005930"], [Venue.Nxt]), cancellationToken: rig.Ct)).Reader;

    [Fact]
    public async Task APooledSubscriptionEndsWithASessionsError()
    {
        var t1 = new InMemoryTransport();
        var time = new ManualTime(SessionRig.Start);
        KisOptions options = KisOptions.Default with { ApprovalKey = "k1-000000", TimeProvider = time, Transport = t1, WebSocketUri = new Uri("ws://kis.test:21000") };
        await using var pool = new KisClientPool([options]);
        using CancellationTokenSource deadline = Wait.Deadline(TestContext.Current.CancellationToken);
        Task<IKisSubscription<ProgramTrade>> pending = pool.SubscribeAsync(Registration.Of(["005930"], Venue.Nxt), cancellationToken: deadline.Token);
        var script = new KisScript();
        _ = script.ServeAsync(await t1.AcceptAsync(deadline.Token), deadline.Token);
        IKisSubscription<ProgramTrade> sub = await pending;

        // What the supervisor does when it stops for good: every consumer of the session ends with the error.
        var failure = new KisException("the session stopped", isTransient: true);
        Assert.Single(pool.Clients[0].Session.Table.Subscribers).Complete(failure);
        KisException seen = await Assert.ThrowsAsync<KisException>(() => sub.Reader.Completion);
        Assert.Same(failure, seen);
    }

    [Fact]
    public void ThePoolChecksArgumentsAtOnce()
    {
        KisOptions options = KisOptions.Default with { ApprovalKey = "k1-000000" };
        var pool = new KisClientPool([options]);
        CancellationToken ct = TestContext.Current.CancellationToken;
        // Thrown by the call itself, before any task or enumeration (nothing connects).
        Assert.Throws<ArgumentNullException>(() => { _ = pool.ProgramTradesAsync(null!, cancellationToken: ct); });
        Assert.Throws<ArgumentException>(() => { _ = pool.SubscribeAsync([], cancellationToken: ct); });
        Assert.Throws<ArgumentException>(() => { _ = pool.FeedAsync([new Registration(Venue.Nxt, "not a code")], cancellationToken: ct); });
        Assert.Throws<ArgumentException>(() => { _ = pool.SubscribeFeedAsync([new Registration(Venue.Nxt, "005930")], new FeedOptions { BufferCapacity = 0 }, ct); });
        Assert.Equal(0, pool.RegistrationCount);
    }

    private static string Encrypt(string plain, string key, string iv)
    {
        // An encryptor of the test's own (AES-256-CBC, PKCS#7, key and iv as UTF-8, per the protocol notes), not the client's.
        using var aes = Aes.Create();
        aes.Key = Encoding.UTF8.GetBytes(key);
        return Convert.ToBase64String(aes.EncryptCbc(Encoding.ASCII.GetBytes(plain), Encoding.UTF8.GetBytes(iv), PaddingMode.PKCS7));
    }
}
