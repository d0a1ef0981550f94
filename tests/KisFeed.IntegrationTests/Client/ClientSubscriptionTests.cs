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

        await using ProgramTradeSubscription sub = await client.SubscribeAsync(Codes, VenueExtensions.All, deadline.Token);
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
        await foreach (ProgramTrade t in client.ProgramTradesAsync(Codes, Venue.Nxt, deadline.Token))
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
        await using ProgramTradeSubscription other = await client.SubscribeAsync(["035420"], [Venue.Krx], deadline.Token);
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

        await using ProgramTradeSubscription a = await client.SubscribeAsync(["005930"], [Venue.Nxt], deadline.Token);
        ProgramTradeSubscription b = await client.SubscribeAsync(["005930", "000660"], [Venue.Nxt], deadline.Token);
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
        await using ProgramTradeSubscription first = await client.SubscribeAsync(codes, [Venue.Nxt], deadline.Token);
        Assert.Equal(41, sim.Sessions.Single().Registrations.Count);

        KisControlException e = await Assert.ThrowsAsync<KisControlException>(() => client.SubscribeAsync(["200000"], [Venue.Nxt], deadline.Token));
        Assert.Equal("OPSP0008", e.MsgCd);
        Assert.Equal("MAX SUBSCRIBE OVER", e.Msg1);
        Assert.Contains("41", e.Message);
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
        await using ProgramTradeSubscription all = await client.SubscribeAsync(codes[..13], VenueExtensions.All, deadline.Token); // 39
        KisSubscriptionLimitException e = await Assert.ThrowsAsync<KisSubscriptionLimitException>(() => client.SubscribeAsync([codes[13]], VenueExtensions.All, deadline.Token));
        Assert.Equal((39, 3, 41), (e.Current, e.Requested, e.Limit));
        Assert.Contains("41", e.Message);
        Assert.Equal(39, sim.Sessions.Single().Registrations.Count);
        await using ProgramTradeSubscription two = await client.SubscribeAsync([codes[13]], [Venue.Krx, Venue.Nxt], deadline.Token);
        Assert.Equal(41, sim.Sessions.Single().Registrations.Count);
    }

    [Fact]
    public async Task ASecondSessionOnTheSameAppKeyGetsOpsp8996()
    {
        using CancellationTokenSource deadline = Deadline();
        await using KisSimulator sim = await KisSimulator.StartAsync(Sim, deadline.Token);
        await using var first = new KisRealtimeClient(Options(sim));
        await using ProgramTradeSubscription sub = await first.SubscribeAsync(["005930"], [Venue.Nxt], deadline.Token);

        await using var second = new KisRealtimeClient(Options(sim));
        KisControlException e = await Assert.ThrowsAsync<KisControlException>(() => second.SubscribeAsync(["000660"], [Venue.Nxt], deadline.Token));
        Assert.Equal("OPSP8996", e.MsgCd);
        Assert.Equal("9", e.RtCd);
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

        KisApprovalException e = await Assert.ThrowsAsync<KisApprovalException>(() => client.SubscribeAsync(["005930"], [Venue.Nxt], deadline.Token));
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

        KisControlException e = await Assert.ThrowsAsync<KisControlException>(() => client.SubscribeAsync(["005930"], [Venue.Nxt], deadline.Token));
        Assert.Equal("OPSP0011", e.MsgCd);
        Assert.Contains("approval key", e.Message);
        Assert.DoesNotContain(badKey, e.Message);
    }

    [Fact]
    public async Task AnUnknownCodeIsRefusedWithOpsp8992AndOthersOfTheCallAreReleased()
    {
        using CancellationTokenSource deadline = Deadline();
        await using KisSimulator sim = await KisSimulator.StartAsync(Sim, deadline.Token);
        await using var client = new KisRealtimeClient(Options(sim));

        KisControlException e = await Assert.ThrowsAsync<KisControlException>(() => client.SubscribeAsync(["005930", "ZZZZZZZZZZ"], [Venue.Nxt], deadline.Token));
        Assert.Equal("OPSP8992", e.MsgCd);
        Assert.Equal("ZZZZZZZZZZ", e.TrKey);
        Assert.Empty(client.Registrations);
        await WaitUntilAsync(() => sim.Sessions.Single().Registrations.Count == 0, deadline.Token, "005930 released too");
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

        KisConnectionException e = await Assert.ThrowsAsync<KisConnectionException>(() => client.SubscribeAsync(["005930"], [Venue.Nxt], deadline.Token));
        Assert.Contains($"127.0.0.1:{port}", e.Message);
        Assert.Equal(ConnectionState.Disconnected, client.State);
    }

    [Fact]
    public void BadArgumentsFailBeforeAnythingConnects()
    {
        var client = new KisRealtimeClient(KisOptions.Default);
        Assert.Throws<ArgumentException>(() => client.ProgramTradesAsync(["00593!"], Venue.Nxt, TestContext.Current.CancellationToken));
        Assert.Throws<ArgumentException>(() => client.ProgramTradesAsync([], Venue.Nxt, TestContext.Current.CancellationToken));
        Assert.Throws<ArgumentException>(() => client.ProgramTradesAsync(["005930"], Array.Empty<Venue>(), TestContext.Current.CancellationToken));
        Assert.Equal(ConnectionState.Disconnected, client.State);
    }
}
