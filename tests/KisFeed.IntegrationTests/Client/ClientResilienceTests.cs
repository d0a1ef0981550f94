using System.Collections.Concurrent;
using System.Text;

using KisFeed.Simulator;

using static KisFeed.IntegrationTests.Client.ClientTestKit;

namespace KisFeed.IntegrationTests.Client;

public class ClientResilienceTests
{
    [Theory]
    [InlineData(DropMode.Abort)]
    [InlineData(DropMode.CloseError)]
    [InlineData(DropMode.CloseNormal)]
    public async Task AfterADropTheClientReconnectsReRegistersAndTheLoopContinues(DropMode mode)
    {
        using CancellationTokenSource deadline = Deadline(30);
        await using KisSimulator sim = await KisSimulator.StartAsync(Sim, deadline.Token);
        await using var client = new KisRealtimeClient(Options(sim));
        var states = new ConcurrentQueue<ConnectionState>();
        var gaps = new ConcurrentQueue<DataGapEventArgs>();
        client.StateChanged += (_, e) => states.Enqueue(e.Current);
        client.DataGap += (_, e) => gaps.Enqueue(e);

        var received = new ConcurrentQueue<ProgramTrade>();
        var consumer = Task.Run(async () =>
        {
            await foreach (ProgramTrade t in client.ProgramTradesAsync(Registration.Of(["005930", "000660"], [Venue.Nxt, Venue.Krx]), cancellationToken: deadline.Token))
            {
                received.Enqueue(t);
            }
        }, TestContext.Current.CancellationToken);

        await WaitUntilAsync(() => received.Count >= 20, deadline.Token, "data before the drop");
        long firstSession = sim.Sessions.Single().Id;
        await sim.DropAllSessionsAsync(mode);

        await WaitUntilAsync(() => sim.Sessions.Any(s => s.Id != firstSession && s.Registrations.Count == 4), deadline.Token, "a new session with all 4 registrations");
        int afterReconnect = received.Count;
        await WaitUntilAsync(() => received.Count >= afterReconnect + 20, deadline.Token, "data after the reconnect");
        await WaitUntilAsync(() => !gaps.IsEmpty, deadline.Token, "a data-gap event");

        Assert.False(consumer.IsCompleted, consumer.Exception?.ToString());
        Assert.Contains(ConnectionState.Reconnecting, states);
        Assert.Equal(ConnectionState.Connected, client.State);
        Assert.Equal(1, client.GetStatistics().Reconnects);
        DataGapEventArgs gap = Assert.Single(gaps);
        Assert.Equal(4, gap.Registrations.Count);
        Assert.True(gap.To >= gap.From);

        long secondSession = sim.Sessions.Single().Id;
        List<SimulatorLedgerEntry> resent = [.. sim.GetLedger(secondSession)];
        Assert.NotEmpty(resent);
        Assert.All(resent, e => Assert.Contains(e.Code, new[] { "005930", "000660" }));
    }

    [Fact]
    public async Task AllSessionsDroppedAtOnceAllComeBack()
    {
        // KIS restarts its processes on Fridays and every socket is cut at once.
        using CancellationTokenSource deadline = Deadline(30);
        await using KisSimulator sim = await KisSimulator.StartAsync(Sim with
        {
            Credentials = [SimulatorCredential.Demo, new SimulatorCredential("PSSECONDAPPKEY000000000000000000000A", new string('s', 180))],
        }, deadline.Token);
        await using var a = new KisRealtimeClient(Options(sim));
        await using var b = new KisRealtimeClient(Options(sim) with { AppKey = "PSSECONDAPPKEY000000000000000000000A", AppSecret = new string('s', 180) });
        await using IKisSubscription<ProgramTrade> subA = await a.SubscribeAsync(Registration.Of(["005930"], [Venue.Nxt]), cancellationToken: deadline.Token);
        await using IKisSubscription<ProgramTrade> subB = await b.SubscribeAsync(Registration.Of(["000660"], [Venue.Unified]), cancellationToken: deadline.Token);
        Assert.Equal(2, sim.ActiveSessionCount);

        await sim.DropAllSessionsAsync(DropMode.Abort);
        await WaitUntilAsync(() => a.GetStatistics().Reconnects == 1 && b.GetStatistics().Reconnects == 1 && a.State == ConnectionState.Connected && b.State == ConnectionState.Connected, deadline.Token, "both reconnected");
        long before = subA.Delivered + subB.Delivered;
        await WaitUntilAsync(() => subA.Delivered > before / 2 + 5 && subB.Delivered > 5, deadline.Token, "both receive again");
        Assert.Equal(2, sim.Sessions.Count(s => s.Registrations.Count == 1));
    }

    [Fact]
    public async Task TheSessionSurvivesManyPingPongs()
    {
        using CancellationTokenSource deadline = Deadline(30);
        await using KisSimulator sim = await KisSimulator.StartAsync(Sim with
        {
            PingInterval = TimeSpan.FromMilliseconds(100),
            PingTimeout = TimeSpan.FromMilliseconds(1000),
        }, deadline.Token);
        await using var client = new KisRealtimeClient(Options(sim));
        await using IKisSubscription<ProgramTrade> sub = await client.SubscribeAsync(Registration.Of(["005930"], [Venue.Nxt]), cancellationToken: deadline.Token);

        await WaitUntilAsync(() => sim.Sessions.Single().PongsReceived >= 15, deadline.Token, "15 PINGPONG echoes");
        Assert.Equal(0, client.GetStatistics().Reconnects);
        Assert.Equal(1, sim.ActiveSessionCount);
        Assert.True(client.GetStatistics().PingPongs >= 15);
    }

    [Fact]
    public async Task AConsumerThatStopsReadingDoesNotDelayPingPongOrOthers()
    {
        using CancellationTokenSource deadline = Deadline(30);
        await using KisSimulator sim = await KisSimulator.StartAsync(Sim with
        {
            UpdatesPerSecond = 200,
            TickInterval = TimeSpan.FromMilliseconds(10),
            PingInterval = TimeSpan.FromMilliseconds(100),
            PingTimeout = TimeSpan.FromMilliseconds(1000),
        }, deadline.Token);
        await using var client = new KisRealtimeClient(Options(sim) with { ConsumerBufferCapacity = 16 });
        var drops = new ConcurrentQueue<RecordsDroppedEventArgs>();
        client.RecordsDropped += (_, e) => drops.Enqueue(e);

        await using IKisSubscription<ProgramTrade> stuck = await client.SubscribeAsync(Registration.Of(["005930", "000660"], VenueExtensions.All), cancellationToken: deadline.Token); // never read
        // The reader's own buffer is roomy (a loaded CI machine may schedule it late); the stuck one keeps the 16 of the client default.
        await using IKisSubscription<ProgramTrade> reader = await client.SubscribeAsync(Registration.Of(["005930"], [Venue.Nxt]), new SubscribeOptions { BufferCapacity = 10_000 }, deadline.Token);
        List<ProgramTrade> read = await ReadUntilAsync(reader, s => s.Count >= 200, deadline.Token, "the other consumer keeps getting data");
        // Taken now: once this consumer stops reading too, its own buffer rightly fills and drops.
        long droppedWhileReading = reader.Dropped;

        await WaitUntilAsync(() => sim.Sessions.Single().PongsReceived >= 10 && stuck.Dropped > 0 && !drops.IsEmpty, deadline.Token, "PINGPONG answered while a consumer is stuck");
        Assert.Equal(0, client.GetStatistics().Reconnects);
        Assert.True(client.GetStatistics().RecordsDropped >= stuck.Dropped);
        Assert.Equal(16, stuck.Reader.Count);
        // Drop-oldest keeps the newest: the stuck buffer ends with recent records.
        Assert.Equal(0, droppedWhileReading);
        Assert.True(read.Count >= 200);
    }

    [Fact]
    public async Task MalformedFramesAreReportedAndTheStreamGoesOn()
    {
        using CancellationTokenSource deadline = Deadline(30);
        await using KisSimulator sim = await KisSimulator.StartAsync(Sim with { UpdatesPerSecond = 0 }, deadline.Token);
        await using var client = new KisRealtimeClient(Options(sim));
        var rejected = new ConcurrentQueue<FrameRejectedEventArgs>();
        client.FrameRejected += (_, e) => rejected.Enqueue(e);
        await using IKisSubscription<ProgramTrade> sub = await client.SubscribeAsync(Registration.Of(["005930"], [Venue.Nxt]), cancellationToken: deadline.Token);

        byte[] invalidUtf8 = [.. Encoding.ASCII.GetBytes("0|H0NXPGM0|001|005930^092237^1^2^3^4^2^2^5^6^"), 0xFF, 0xFE];
        byte[][] bad =
        [
            invalidUtf8,
            Encoding.ASCII.GetBytes("0|H0NXPGM0|001|005930^092237^1^2^3"),
            Encoding.ASCII.GetBytes("0|H0NXPGM0|003|005930^092237^1^2^3^4^2^2^5^6^1"),
            Encoding.ASCII.GetBytes("0|H0NXPGM0|"),
            Encoding.ASCII.GetBytes("{\"header\":"),
            Encoding.ASCII.GetBytes("garbage"),
        ];
        foreach (byte[] frame in bad)
        {
            await sim.SendRawAsync(frame);
        }

        // A good frame after all of them, with a (null) and a trailing '^', still arrives.
        await sim.SendRawAsync(Encoding.ASCII.GetBytes("0|H0NXPGM0|002|005930^100000^10^770000^(null)^^20^1540000^5^7^2^005930^100001^11^847000^31^2387000^20^1540000^6^7^1^"));
        List<ProgramTrade> got = await ReadUntilAsync(sub, s => s.Count >= 3, deadline.Token, "the good frame");
        // The invalid-UTF-8 frame costs only its damaged last field: the record arrives with that field flagged.
        Assert.Equal(new TimeOnly(9, 22, 37), got[0].Time);
        Assert.Equal(ProgramTradeFields.NetBidResidual, got[0].Missing);
        Assert.Equal(6, got[0].BidResidual);
        Assert.Equal(new TimeOnly(10, 0, 1), got[2].Time);
        Assert.Equal(ProgramTradeFields.BuyVolume | ProgramTradeFields.BuyValue, got[1].Missing);

        await WaitUntilAsync(() => rejected.Count >= bad.Length, deadline.Token, "every bad frame reported");
        Assert.Equal(
            [FrameError.DamagedField, FrameError.TooFewFields, FrameError.CountMismatch, FrameError.BadHeader, FrameError.BadJson, FrameError.UnknownMessage],
            rejected.Select(r => r.Error));
        Assert.Equal(invalidUtf8, rejected.First().RawFrame.ToArray());
        Assert.Equal(0, client.GetStatistics().Reconnects);
        Assert.Equal(ConnectionState.Connected, client.State);
    }

    [Fact]
    public async Task TheWatchdogReconnectsASilentSession()
    {
        using CancellationTokenSource deadline = Deadline(30);
        await using KisSimulator sim = await KisSimulator.StartAsync(Sim, deadline.Token);
        await using var client = new KisRealtimeClient(Options(sim) with { IdleTimeout = TimeSpan.FromMilliseconds(500) });
        var reasons = new ConcurrentQueue<string>();
        client.StateChanged += (_, e) => reasons.Enqueue(e.Reason);
        await using IKisSubscription<ProgramTrade> sub = await client.SubscribeAsync(Registration.Of(["005930"], [Venue.Nxt]), cancellationToken: deadline.Token);
        await ReadUntilAsync(sub, s => s.Count >= 3, deadline.Token, "data before the stall");

        sim.Stall(true);
        await WaitUntilAsync(() => reasons.Any(r => r.Contains("watchdog", StringComparison.Ordinal)), deadline.Token, "the watchdog fires");
        sim.Stall(false);
        await WaitUntilAsync(() => client.State == ConnectionState.Connected && client.GetStatistics().Reconnects >= 1, deadline.Token, "reconnected");
        long before = sub.Delivered;
        await WaitUntilAsync(() => sub.Delivered > before + 3, deadline.Token, "data after the stall");
    }

    [Fact]
    public async Task ARejectedApprovalKeyIsRenewedAndRegistrationsComeBack()
    {
        using CancellationTokenSource deadline = Deadline(30);
        await using KisSimulator sim = await KisSimulator.StartAsync(Sim, deadline.Token);
        await using var client = new KisRealtimeClient(Options(sim));
        await using IKisSubscription<ProgramTrade> sub = await client.SubscribeAsync(Registration.Of(["005930"], [Venue.Nxt]), cancellationToken: deadline.Token);
        long approvals = sim.ApprovalsIssued;

        sim.InvalidateApprovalKeys();
        await sim.DropAllSessionsAsync(DropMode.Abort);
        await WaitUntilAsync(() => sim.ApprovalsIssued > approvals && client.State == ConnectionState.Connected && sim.Sessions.Any(s => s.Registrations.Count == 1), deadline.Token, "a new approval key and the registration restored");
        long before = sub.Delivered;
        await WaitUntilAsync(() => sub.Delivered > before + 3, deadline.Token, "data resumes");
    }

    [Fact]
    public async Task LogsOfAWholeSessionHoldNoSecret()
    {
        using CancellationTokenSource deadline = Deadline(30);
        await using KisSimulator sim = await KisSimulator.StartAsync(Sim, deadline.Token);
        var logs = new CapturingLoggerProvider();
        using var issued = new KisFeed.TestKit.ApprovalKeyRecorder(); // sees every approval key the server hands out
        var client = new KisRealtimeClient(Options(sim, logs) with { HttpHandler = issued });
        string? approvalKey = null;
        string? firstApprovalKey = null;
        await using (IKisSubscription<ProgramTrade> sub = await client.SubscribeAsync(Registration.Of(["005930"], [Venue.Nxt]), cancellationToken: deadline.Token))
        {
            await ReadUntilAsync(sub, s => s.Count >= 3, deadline.Token, "data");
            firstApprovalKey = issued.Keys.Last();
            sim.InvalidateApprovalKeys(); // the server then echoes the approval key in its error text
            await sim.DropAllSessionsAsync(DropMode.Abort);
            await WaitUntilAsync(() => client.GetStatistics().Reconnects >= 1 && client.State == ConnectionState.Connected, deadline.Token, "reconnected");
            await WaitUntilAsync(() => issued.Keys.Count >= 2, deadline.Token, "a second approval key");
            approvalKey = issued.Keys.Last();
        }

        await client.DisposeAsync();
        string all = logs.AllText;
        Assert.NotEmpty(logs.Lines);
        Assert.DoesNotContain(SimulatorCredential.Demo.AppSecret, all);
        Assert.DoesNotContain(SimulatorCredential.Demo.AppKey, all);
        Assert.NotNull(approvalKey);
        Assert.NotNull(firstApprovalKey);
        Assert.NotEqual(firstApprovalKey, approvalKey);
        Assert.DoesNotContain(approvalKey, all);
        Assert.DoesNotContain(firstApprovalKey, all);
    }
}
