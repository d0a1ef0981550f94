using System.Collections.Concurrent;
using System.Diagnostics;

using KisFeed.IntegrationTests.Client;
using KisFeed.Simulator;

namespace KisFeed.IntegrationTests.Reliability;

/// <summary>Bursts: hundreds of records in one multi-record frame, and thousands of frames per second.</summary>
public sealed class BurstTests
{
    [Fact]
    public async Task HugeMultiRecordFramesAndThousandsOfFramesPerSecondArriveExactlyOnce()
    {
        using CancellationTokenSource deadline = ClientTestKit.Deadline(40);
        CancellationToken ct = deadline.Token;
        // MixCodesInFrames: both codes share one frame (a fault option since frames carry one code by default), so the
        // first frames hold 800 records each.
        await using KisSimulator sim = await KisSimulator.StartAsync(ClientTestKit.Sim with { UpdatesPerSecond = 0, SendQueueCapacity = 20_000, MixCodesInFrames = true }, ct);
        await using var client = new KisRealtimeClient(ClientTestKit.Options(sim));
        await using IKisSubscription<ProgramTrade> sub = await client.SubscribeAsync(Registration.Of(["005930", "000660"], [Venue.Krx]), cancellationToken: ct);
        var received = new ConcurrentQueue<ProgramTrade>();
        Task reader = Task.Run(async () =>
        {
            await foreach (ProgramTrade t in sub.ReadAllAsync(ct))
            {
                received.Enqueue(t);
            }
        }, CancellationToken.None);

        for (int i = 0; i < 3; i++)
        {
            sim.PublishNow(400); // one H0STPGM0 frame of 800 records (400 per code)
        }

        var clock = Stopwatch.StartNew();
        const int frames = 3000;
        for (int i = 0; i < frames; i++)
        {
            sim.PublishNow(1); // one frame of 2 records
        }

        await ClientTestKit.WaitUntilAsync(() => received.Count >= sim.GetLedger().Count && sim.FramesSent >= frames + 3, ct, $"all records ({received.Count} of {sim.GetLedger().Count})");
        double framesPerSecond = frames / clock.Elapsed.TotalSeconds;
        IReadOnlyList<SimulatorLedgerEntry> ledger = sim.GetLedger();
        Assert.Equal(800, ledger.Count(e => e.FrameSequence == 1));
        LedgerCheck.Result r = LedgerCheck.Compare(ledger, received, []);
        Assert.True(r.Holds, r.ToString());
        Assert.Equal(ledger.Count, r.Received);
        Assert.Equal(2400 + (2 * frames), r.Received);
        KisClientStatistics s = client.GetStatistics();
        Assert.Equal(0, s.RejectedFrames);
        Assert.Equal(0, s.RecordsDropped);
        Assert.Equal(0, s.Reconnects);
        Assert.True(framesPerSecond > 1000, $"{framesPerSecond:N0} frames/s end to end");
        await sub.DisposeAsync();
        await reader;
    }
}
