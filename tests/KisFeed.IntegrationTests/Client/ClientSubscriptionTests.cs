using KisFeed.Simulator;

using static KisFeed.IntegrationTests.Client.ClientTestKit;

namespace KisFeed.IntegrationTests.Client;

public class ClientSubscriptionTests
{
    private static readonly string[] Codes = ["005930", "000660"];

    [Fact]
    public async Task TwoCodesOnThreeVenuesDeliverConsistentCumulativeData()
    {
        using CancellationTokenSource deadline = Deadline();
        await using KisSimulator sim = await KisSimulator.StartAsync(Sim, deadline.Token);
        await using var client = new KisRealtimeClient(Options(sim));

        await using IKisSubscription<ProgramTrade> sub = await client.SubscribeAsync(Registration.Of(Codes, VenueExtensions.All), cancellationToken: deadline.Token);
        List<ProgramTrade> seen = await ReadUntilAsync(sub, s => s.Select(t => (t.Venue, t.Code)).Distinct().Count() == 6 && s.Count >= 60, deadline.Token, "all 6 registrations delivered");

        Assert.Equal(6, client.Registrations.Count);
        foreach (IGrouping<(Venue Venue, string Code), ProgramTrade> series in seen.GroupBy(t => (t.Venue, t.Code)))
        {
            ProgramTrade? previous = null;
            foreach (ProgramTrade t in series)
            {
                AssertConsistent(t);
                if (previous is { } p)
                {
                    Assert.True(t.SellVolume >= p.SellVolume && t.BuyVolume >= p.BuyVolume, $"cumulative volume went down: {p} -> {t}");
                    Assert.True(t.SellValue >= p.SellValue && t.BuyValue >= p.BuyValue, $"cumulative value went down: {p} -> {t}");
                }

                previous = t;
            }
        }

        // Everything the simulator sent on this session reached the consumer, in order, with every field as sent.
        long session = Assert.Single(sim.Sessions).Id;
        List<SimulatorLedgerEntry> ledger = [.. sim.GetLedger(session).Take(seen.Count)];
        Assert.Equal(seen.Count, ledger.Count);
        for (int i = 0; i < seen.Count; i++)
        {
            ProgramTrade t = seen[i];
            SimulatorLedgerEntry sent = ledger[i];
            Assert.Equal(sent.TrId, t.TrId);
            Assert.Equal(sent.Code, t.Code);
            Assert.Equal(sent.Fields[1], t.Time.ToString("HHmmss", System.Globalization.CultureInfo.InvariantCulture));
            long[] numbers = [t.SellVolume, t.SellValue, t.BuyVolume, t.BuyValue, t.NetBuyVolume, t.NetBuyValue, t.AskResidual, t.BidResidual, t.NetBidResidual];
            Assert.Equal(sent.Fields.Skip(2).Take(9), numbers.Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        Assert.Equal(0, client.GetStatistics().RejectedFrames);
    }

    [Fact]
    public async Task LeavingTheLoopUnsubscribes()
    {
        using CancellationTokenSource deadline = Deadline();
        await using KisSimulator sim = await KisSimulator.StartAsync(Sim, deadline.Token);
        await using var client = new KisRealtimeClient(Options(sim));

        int received = 0;
        await foreach (ProgramTrade t in client.ProgramTradesAsync(Registration.Of(Codes, Venue.Nxt), cancellationToken: deadline.Token))
        {
            Assert.Equal(Venue.Nxt, t.Venue);
            if (++received == 5)
            {
                break;
            }
        }

        Assert.Empty(client.Registrations);
        await WaitUntilAsync(() => sim.Sessions.Single().Registrations.Count == 0, deadline.Token, "the simulator no longer holds registrations");
        long recordsAtUnsubscribe = sim.Sessions.Single().RecordsSent;
        await using IKisSubscription<ProgramTrade> other = await client.SubscribeAsync(Registration.Of(["035420"], [Venue.Krx]), cancellationToken: deadline.Token);
        List<ProgramTrade> after = await ReadUntilAsync(other, s => s.Count >= 10, deadline.Token, "10 records of the new subscription");
        Assert.All(after, t => Assert.Equal(("035420", Venue.Krx), (t.Code, t.Venue)));
        Assert.All(sim.GetLedger(sim.Sessions.Single().Id).Skip((int)recordsAtUnsubscribe), e => Assert.Equal("035420", e.Code));
    }

    [Fact]
    public async Task TwoConsumersShareOneRegistration()
    {
        using CancellationTokenSource deadline = Deadline();
        await using KisSimulator sim = await KisSimulator.StartAsync(Sim, deadline.Token);
        await using var client = new KisRealtimeClient(Options(sim));

        await using IKisSubscription<ProgramTrade> a = await client.SubscribeAsync(Registration.Of(["005930"], [Venue.Nxt]), cancellationToken: deadline.Token);
        IKisSubscription<ProgramTrade> b = await client.SubscribeAsync(Registration.Of(["005930", "000660"], [Venue.Nxt]), cancellationToken: deadline.Token);
        Assert.Equal(2, client.Registrations.Count);
        Assert.Equal(2, sim.Sessions.Single().Registrations.Count);
        await ReadUntilAsync(b, s => s.Any(t => t.Code == "000660") && s.Any(t => t.Code == "005930"), deadline.Token, "b sees both codes");

        await b.DisposeAsync();
        Assert.Equal([new Registration(Venue.Nxt, "005930")], client.Registrations);
        await WaitUntilAsync(() => sim.Sessions.Single().Registrations.Count == 1, deadline.Token, "000660 released at the server");
        await ReadUntilAsync(a, s => s.Count >= 5, deadline.Token, "a keeps receiving");
    }

    [Fact]
    public async Task TheFortySecondRegistrationIsRefusedByTheServerWithOpsp0008()
    {
        using CancellationTokenSource deadline = Deadline();
        await using KisSimulator sim = await KisSimulator.StartAsync(Sim with { UpdatesPerSecond = 0 }, deadline.Token);
        // Lift the client's own cap so the server's limit is what answers.
        await using var client = new KisRealtimeClient(Options(sim) with { MaxRegistrations = 100 });

        string[] codes = [.. Enumerable.Range(100_000, 41).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];
        await using IKisSubscription<ProgramTrade> first = await client.SubscribeAsync(Registration.Of(codes, [Venue.Nxt]), cancellationToken: deadline.Token);
        Assert.Equal(41, sim.Sessions.Single().Registrations.Count);

        await using IKisSubscription<ProgramTrade> more = await client.SubscribeAsync([new Registration(Venue.Nxt, "200000")], cancellationToken: deadline.Token);
        RegistrationStatus over = Assert.Single(more.Registrations);
        Assert.Equal(RegistrationState.OverLimit, over.State);
        Assert.Equal("OPSP0008", over.ErrorCode);
        Assert.Contains("MAX SUBSCRIBE OVER", over.Message);
        Assert.Contains("41", over.Message);
        Assert.Equal(41, client.Registrations.Count);
        Assert.Equal(ConnectionState.Connected, client.State);
    }

    [Fact]
    public async Task TheClientCapStopsTheFortySecondBeforeSending()
    {
        using CancellationTokenSource deadline = Deadline();
        await using KisSimulator sim = await KisSimulator.StartAsync(Sim with { UpdatesPerSecond = 0 }, deadline.Token);
        await using var client = new KisRealtimeClient(Options(sim));

        string[] codes = [.. Enumerable.Range(100_000, 14).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];
        await using IKisSubscription<ProgramTrade> all = await client.SubscribeAsync(Registration.Of(codes[..13], VenueExtensions.All), cancellationToken: deadline.Token); // 39
        // Three more would make 42: two fit, the third is reported over the cap and never sent.
        await using IKisSubscription<ProgramTrade> three = await client.SubscribeAsync(Registration.Of([codes[13]], VenueExtensions.All), cancellationToken: deadline.Token);
        Assert.Equal([RegistrationState.Active, RegistrationState.Active, RegistrationState.OverLimit], three.Registrations.Select(r => r.State));
        Assert.Null(three.Registrations[2].ErrorCode);
        Assert.Contains("over its 41 registrations", three.Registrations[2].Message);
        Assert.Equal(41, sim.Sessions.Single().Registrations.Count);
        Assert.DoesNotContain(sim.Sessions.Single().Registrations, r => r.TrKey == codes[13] && r.TrId == "H0UNPGM0");
    }

    [Fact]
    public async Task ASecondSessionOnTheSameAppKeyGetsOpsp8996()
    {
        using CancellationTokenSource deadline = Deadline();
        await using KisSimulator sim = await KisSimulator.StartAsync(Sim, deadline.Token);
        await using var first = new KisRealtimeClient(Options(sim));
        await using IKisSubscription<ProgramTrade> sub = await first.SubscribeAsync(Registration.Of(["005930"], [Venue.Nxt]), cancellationToken: deadline.Token);

        await using var second = new KisRealtimeClient(Options(sim));
        await using IKisSubscription<ProgramTrade> refused = await second.SubscribeAsync([new Registration(Venue.Nxt, "000660")], cancellationToken: deadline.Token);
        RegistrationStatus e = Assert.Single(refused.Registrations);
        Assert.Equal(RegistrationState.Refused, e.State);
        Assert.Equal("OPSP8996", e.ErrorCode);
        Assert.Equal("9", Assert.IsType<KisApiException>(e.Error).RtCd);
        Assert.Contains("one per app key", e.Message);

        // The first session is untouched.
        await ReadUntilAsync(sub, s => s.Count >= 3, deadline.Token, "the first session keeps receiving");
    }

    [Fact]
    public async Task AWrongSecretIsAClearErrorWithoutTheSecret()
    {
        using CancellationTokenSource deadline = Deadline();
        await using KisSimulator sim = await KisSimulator.StartAsync(Sim, deadline.Token);
        const string wrongSecret = "this-is-not-the-secret-0123456789abcdefghijklmnopqrstuvwxyz";
        await using var client = new KisRealtimeClient(Options(sim) with { AppSecret = wrongSecret });

        KisApiException e = await Assert.ThrowsAsync<KisApiException>(() => client.SubscribeAsync(Registration.Of(["005930"], [Venue.Nxt]), cancellationToken: deadline.Token));
        Assert.NotNull(e.HttpStatus);
        Assert.True(e.IsCredentialError);
        Assert.Contains("KIS_APPSECRET", e.Message);
        Assert.DoesNotContain(wrongSecret, e.Message);
        Assert.DoesNotContain(SimulatorCredential.Demo.AppKey, e.Message);
        Assert.Empty(client.Registrations);
    }

    [Fact]
    public async Task AnInvalidApprovalKeyIsAClearErrorWhenNoAppKeyCanRenewIt()
    {
        using CancellationTokenSource deadline = Deadline();
        await using KisSimulator sim = await KisSimulator.StartAsync(Sim, deadline.Token);
        const string badKey = "062f61cb-c756-4b8f-9fab-92113c6fbea4";
        await using var client = new KisRealtimeClient(Options(sim) with { AppKey = null, AppSecret = null, ApprovalKey = badKey });

        await using IKisSubscription<ProgramTrade> sub = await client.SubscribeAsync([new Registration(Venue.Nxt, "005930")], cancellationToken: deadline.Token);
        RegistrationStatus e = Assert.Single(sub.Registrations);
        Assert.Equal((RegistrationState.Refused, "OPSP0011"), (e.State, e.ErrorCode));
        Assert.Contains("approval key", e.Message);
        Assert.DoesNotContain(badKey, e.Message);

        // The streaming form ends with the same, as an exception.
        KisSubscriptionException streamed = await Assert.ThrowsAsync<KisSubscriptionException>(async () =>
        {
            await foreach (ProgramTrade _ in client.ProgramTradesAsync([new Registration(Venue.Nxt, "005930")], cancellationToken: deadline.Token))
            {
            }
        });
        Assert.Equal("OPSP0011", Assert.Single(streamed.Registrations).ErrorCode);
        Assert.DoesNotContain(badKey, streamed.Message);
    }

    [Fact]
    public async Task ARegistrationTheServerRefusesIsLeftOutAndTheOthersOfTheCallStream()
    {
        using CancellationTokenSource deadline = Deadline();
        // The server takes one registration: of the call's two, the second is refused (OPSP0008), the first streams on.
        await using KisSimulator sim = await KisSimulator.StartAsync(Sim with { MaxRegistrations = 1 }, deadline.Token);
        await using var client = new KisRealtimeClient(Options(sim));
        var failed = new System.Collections.Concurrent.ConcurrentQueue<SubscriptionFailedEventArgs>();
        client.SubscriptionFailed += (_, e) => failed.Enqueue(e);

        await using IKisSubscription<ProgramTrade> sub = await client.SubscribeAsync(Registration.Of(["005930", "000660"], Venue.Nxt), cancellationToken: deadline.Token);
        Assert.Equal([RegistrationState.Active, RegistrationState.OverLimit], sub.Registrations.Select(r => r.State));
        Assert.Equal("OPSP0008", sub.Registrations[1].ErrorCode);
        Assert.Equal([new Registration(Venue.Nxt, "005930")], client.Registrations);
        List<ProgramTrade> got = await ReadUntilAsync(sub, s => s.Count >= 3, deadline.Token, "the held code streams");
        Assert.All(got, t => Assert.Equal("005930", t.Code));
        await WaitUntilAsync(() => failed.Count == 1, deadline.Token, "the refusal is raised");
        Assert.Equal("000660", failed.Single().Registration.Key);
        Assert.Single(sim.Sessions.Single().Registrations);
    }

    [Fact]
    public async Task ADeadServerIsAClearError()
    {
        using CancellationTokenSource deadline = Deadline();
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now
        await using var client = new KisRealtimeClient(KisOptions.Default with
        {
            ApprovalKey = "00000000-0000-0000-0000-000000000000",
            WebSocketUri = new Uri($"ws://127.0.0.1:{port}/tryitout"),
        });

        KisException e = await Assert.ThrowsAsync<KisException>(() => client.SubscribeAsync(Registration.Of(["005930"], [Venue.Nxt]), cancellationToken: deadline.Token));
        Assert.Contains($"127.0.0.1:{port}", e.Message);
        Assert.Equal(ConnectionState.Disconnected, client.State);
    }

    [Fact]
    public void BadArgumentsFailBeforeAnythingConnects()
    {
        var client = new KisRealtimeClient(KisOptions.Default);
        CancellationToken ct = TestContext.Current.CancellationToken;
        Assert.Throws<ArgumentException>(() => client.ProgramTradesAsync([new Registration(Venue.Nxt, "00593!")], cancellationToken: ct));
        Assert.Throws<ArgumentException>(() => client.ProgramTradesAsync([new Registration(Venue.Nxt, "ZZZZZZZZZZ")], cancellationToken: ct)); // not a KIS stock code: never sent
        Assert.Throws<ArgumentException>(() => client.ProgramTradesAsync([], cancellationToken: ct));
        Assert.Throws<ArgumentException>(() => Registration.Of([], Venue.Nxt));
        Assert.Throws<ArgumentException>(() => Registration.Of(["005930"], Array.Empty<Venue>()));
        Assert.Equal(ConnectionState.Disconnected, client.State);
    }
}
