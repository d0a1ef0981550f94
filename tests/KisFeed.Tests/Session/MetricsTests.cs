using System.Diagnostics.Metrics;

using KisFeed.Session;
using KisFeed.TestKit;

namespace KisFeed.Tests.Session;

/// <summary>
/// The <c>KisFeed</c> meter, read with a <see cref="MeterListener"/> as <c>dotnet-counters</c> and OpenTelemetry read
/// it: records by venue and source, frames rejected by reason, drops, reconnects, gaps and healing outcomes. Each test's
/// client gets its own meter (<see cref="KisOptions.MeterFactory"/>), so tests running beside it never add to its counts.
/// </summary>
public class MetricsTests
{
    private const string Nxt = "H0NXPGM0";

    [Fact]
    public async Task TheMeterCountsRecordsRejectionsDropsReconnectsGapsAndHealing()
    {
        using var meters = new TestMeterFactory();
        using var seen = new Measurements(meters);
        var healer = new OneRowHealer();
        await using var rig = new SessionRig(o => o with { MeterFactory = meters, ConsumerBufferCapacity = 2, GapHealer = healer });
        (IKisSubscription<ProgramTrade> sub, InMemoryServerEnd server) = await rig.SubscribeAsync(["005930"]);

        // Five records in two frames: five records for nxt from the WebSocket, three of them lost to a 2-slot buffer.
        server.Send(KisScript.Frame(Nxt, KisScript.Record("005930", "093000", 1), KisScript.Record("005930", "093001", 2), KisScript.Record("005930", "093002", 3)));
        server.Send(KisScript.Frame(Nxt, KisScript.Record("005930", "093003", 4), KisScript.Record("005930", "093004", 5)));
        // Three frames that are not data: counted by reason.
        server.Send("garbage one");
        server.Send("garbage two");
        server.Send("0|H0NXPGM0|0x1|005930^093005^1^2^3^4^5^6^7^8^9");
        await rig.UntilAsync(() => seen.Sum(KisFeedInstruments.FramesRejected) == 3 && seen.Sum(KisFeedInstruments.Records) == 5, "records and rejections counted");

        Assert.Equal(5, seen.Sum(KisFeedInstruments.Records, (KisFeedInstruments.VenueTag, "nxt"), (KisFeedInstruments.SourceTag, "websocket")));
        Assert.Equal(2, seen.Sum(KisFeedInstruments.FramesRejected, (KisFeedInstruments.ReasonTag, nameof(FrameError.UnknownMessage))));
        Assert.Equal(1, seen.Sum(KisFeedInstruments.FramesRejected, (KisFeedInstruments.ReasonTag, nameof(FrameError.BadCount))));
        Assert.Equal(3, sub.Dropped);
        Assert.Equal(sub.Dropped, seen.Sum(KisFeedInstruments.RecordsDropped));
        Assert.Equal(rig.Client.GetStatistics().RecordsDropped, seen.Sum(KisFeedInstruments.RecordsDropped));

        // A drop, a reconnect, a gap healed with one REST row.
        server.Drop();
        await rig.PassBackoffAsync(TimeSpan.FromSeconds(5));
        _ = await rig.AcceptAsync();
        await rig.UntilAsync(() => seen.Sum(KisFeedInstruments.GapHealing) == 1, "the healing outcome counted");
        Assert.Equal(1, seen.Sum(KisFeedInstruments.Reconnects));
        Assert.Equal(1, seen.Sum(KisFeedInstruments.Gaps));
        Assert.Equal(1, seen.Sum(KisFeedInstruments.GapHealing, (KisFeedInstruments.OutcomeTag, "healed"), (KisFeedInstruments.KindTag, "gap")));
        Assert.Equal(1, seen.Sum(KisFeedInstruments.Records, (KisFeedInstruments.SourceTag, "rest")));
        Assert.Equal(rig.Client.GetStatistics().Reconnects, seen.Sum(KisFeedInstruments.Reconnects));

        // Every instrument is on the meter named KisFeed.
        Assert.All(seen.Instruments, i => Assert.Equal(KisFeedInstruments.MeterName, i.Meter.Name));
        Assert.All(seen.Instruments, i => Assert.StartsWith("kisfeed.", i.Name, StringComparison.Ordinal));
    }

    [Fact]
    public async Task FrameRejectedIsRaisedOncePerReasonAndSecondWithTheCountOfTheOthers()
    {
        await using var rig = new SessionRig();
        (_, InMemoryServerEnd server) = await rig.SubscribeAsync(["005930"]);
        for (int i = 0; i < 50; i++)
        {
            server.Send($"garbage {i}");
        }

        server.Send("0|H0NXPGM0|0x1|005930^093005^1^2^3^4^5^6^7^8^9"); // another reason: its own report
        await rig.UntilAsync(() => rig.Client.GetStatistics().RejectedFrames == 51, "every frame counted");
        await rig.UntilAsync(() => rig.Rejected.Count == 2, "one event per reason");
        Assert.Equal([FrameError.UnknownMessage, FrameError.BadCount], rig.Rejected.Select(e => e.Error));
        Assert.Equal("garbage 0"u8.ToArray(), rig.Rejected.First().RawFrame.ToArray());
        Assert.All(rig.Rejected, e => Assert.Equal(0, e.SuppressedBefore));

        // A second later the next one of a reason is raised again, carrying the 49 that were only counted.
        rig.Time.Advance(RejectionThrottle.Window);
        server.Send("garbage 50");
        await rig.UntilAsync(() => rig.Rejected.Count == 3, "the next report");
        FrameRejectedEventArgs next = rig.Rejected.Last();
        Assert.Equal(FrameError.UnknownMessage, next.Error);
        Assert.Equal(49, next.SuppressedBefore);
        Assert.Equal(52, rig.Client.GetStatistics().RejectedFrames);
    }

    /// <summary>Heals every gap with one REST row of its first registration.</summary>
    private sealed class OneRowHealer : IGapHealer
    {
        public Task<GapHealingResult> HealAsync(DataGap gap, CancellationToken cancellationToken)
        {
            Registration r = gap.Registrations[0];
            DateTimeOffset at = gap.From + ((gap.To - gap.From) / 2);
            var row = new ProgramTrade(r.Venue, r.Key, KoreaTime.DateOf(at), TimeOnly.FromDateTime(KoreaTime.ToKst(at).DateTime), 1, 1, 1, 1, 0, 0, 0, 0, 0, at, ProgramTrade.ResidualFields, TradeSource.Rest);
            return Task.FromResult(new GapHealingResult([row], [.. gap.Registrations.Select(x => new GapHealingReport(gap.Id, x, GapHealing.Healed, 1, null, null, "test"))]));
        }
    }
}
