using System.Collections.Concurrent;

using KisFeed.IntegrationTests.Client;
using KisFeed.Simulator;

namespace KisFeed.IntegrationTests.Reliability;

/// <summary>Malformed frames are counted and logged with the raw frame, and never stop the stream.</summary>
public sealed class MalformedFrameTests
{
    [Fact]
    public async Task EachMalformedFrameIsCountedLoggedRawAndTheStreamGoesOn()
    {
        using CancellationTokenSource deadline = ClientTestKit.Deadline(30);
        CancellationToken ct = deadline.Token;
        var logs = new CapturingLoggerProvider();
        await using KisSimulator sim = await KisSimulator.StartAsync(ClientTestKit.Sim, ct);
        await using var client = new KisRealtimeClient(ClientTestKit.Options(sim, logs));
        var rejected = new ConcurrentQueue<FrameRejectedEventArgs>();
        var unsolicited = 0;
        client.FrameRejected += (_, e) => rejected.Enqueue(e);
        await using IKisSubscription<ProgramTrade> sub = await client.SubscribeAsync(Registration.Of(["005930"], [Venue.Krx]), cancellationToken: ct);
        var received = new ConcurrentQueue<ProgramTrade>();
        Task reader = Task.Run(async () =>
        {
            await foreach (ProgramTrade t in sub.ReadAllAsync(ct))
            {
                received.Enqueue(t);
            }
        }, CancellationToken.None);

        long counted = 0;
        foreach ((string name, byte[] bytes) in MalformedFrames.Broken())
        {
            int before = rejected.Count;
            int linesBefore = logs.Lines.Count;
            await sim.SendRawAsync(bytes);
            int data = received.Count;
            await ClientTestKit.WaitUntilAsync(() => received.Count > data + 2, ct, $"data after '{name}'");
            if (name == "JSON reply with no header")
            {
                // A legal KIS error shape (notes §4.3): not a broken frame, but an unsolicited reply that is logged.
                Assert.Contains(logs.Lines.Skip(linesBefore), l => l.Contains("OPSP9999", StringComparison.Ordinal));
                unsolicited++;
                continue;
            }

            counted++;
            Assert.True(client.GetStatistics().RejectedFrames == counted, $"'{name}' was counted once (rejected {client.GetStatistics().RejectedFrames - counted + 1})");
            if (rejected.Count == before + 1)
            {
                // Raised with its raw frame and logged: the first of its reason in a second.
                Assert.Equal(bytes, rejected.Last().RawFrame.ToArray());
                Assert.Contains(logs.Lines.Skip(linesBefore), l => l.Contains("[", StringComparison.Ordinal) && l.Contains(rejected.Last().Error.ToString(), StringComparison.Ordinal));
            }
            else
            {
                // Coalesced: its reason was reported less than a second ago, so it is only counted (and carried by the next report).
                Assert.Equal(before, rejected.Count);
                Assert.DoesNotContain(rejected, e => e.RawFrame.Span.SequenceEqual(bytes));
            }
        }

        Assert.Equal(MalformedFrames.Broken().Count - unsolicited, client.GetStatistics().RejectedFrames);
        Assert.True(rejected.Sum(e => 1 + e.SuppressedBefore) <= counted, "no frame is reported twice");
        Assert.Contains(logs.Lines, l => l.Contains("0|H0ZZPGM0|001|005930^100000", StringComparison.Ordinal));
        Assert.Equal(ConnectionState.Connected, client.State);
        Assert.Equal(0, client.GetStatistics().Reconnects);

        // Odd but legal frames are delivered.
        foreach ((string name, byte[] bytes) in MalformedFrames.Tolerable())
        {
            int before = received.Count(IsHandMade);
            await sim.SendRawAsync(bytes);
            await ClientTestKit.WaitUntilAsync(() => received.Count(IsHandMade) == before + 1, ct, $"'{name}' delivered");
        }

        Assert.Equal(MalformedFrames.Broken().Count - unsolicited, client.GetStatistics().RejectedFrames);
        await sub.DisposeAsync();
        await reader;

        static bool IsHandMade(ProgramTrade t) => t.Time == new TimeOnly(10, 0, 0) && t.BuyValue == 105000000 && t.NetBidResidual == 2000;
    }
}
