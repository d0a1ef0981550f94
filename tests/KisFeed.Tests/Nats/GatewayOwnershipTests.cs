using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

using KisFeed.Nats;

using Microsoft.Extensions.Logging;

namespace KisFeed.Tests.Nats;

/// <summary>
/// The gateway follows the core's ownership rules: a pump that fails is reported, counted and restarted; events are
/// raised off the lease loop; and the <c>KisFeed</c> meter counts leases, sessions and lease moves.
/// </summary>
public sealed class GatewayOwnershipTests
{
    [Fact]
    public async Task APumpThatFailsUnexpectedlyIsLoggedCountedAndItsRegistrationStartedAgain()
    {
        using var metrics = new GatewayMeter();
        await using var rig = new GatewayRig(keys: 1);
        Registration reg = rig.OnePerKey()[0];
        rig.Nats.AddDesired(reg);
        GatewayRig.Member a = rig.StartGateway(metrics.GatewayId);
        await rig.UntilAsync(() => a.Of(GatewayEventKind.RegistrationStarted).Any(), "the registration is live");

        int faults = 0;
        a.Backplane.PublishFault = _ =>
        {
            if (Interlocked.Increment(ref faults) == 1)
            {
                throw new InvalidOperationException("a bug in the publish path");
            }
        };
        Assert.Equal(1, rig.Kis.Send(reg));
        await rig.UntilAsync(() => a.Of(GatewayEventKind.Error).Any(), "the failure is reported");
        Assert.Equal($"{reg}: unexpected InvalidOperationException: a bug in the publish path; starting it again in 2 s", a.Of(GatewayEventKind.Error).Single().Detail);
        KisFeed.TestKit.CapturingLogs.Line crash = rig.Logs.Lines.Single(l => l.EventId == 3022);
        Assert.Equal(LogLevel.Error, crash.Level);
        Assert.IsType<InvalidOperationException>(crash.Exception);
        Assert.Equal(1, metrics.Sum("kisfeed.gateway.pump.failures", ("kind", "unexpected")));

        // Its feed was given back (unsubscribe), and after the backoff the registration is taken again.
        FakeKisConnection kis = rig.Kis.Connections.Single();
        await rig.UntilAsync(() => kis.Requests.Any(r => !r.IsSubscribe), "the failed feed unsubscribes");
        await rig.Time.WaitForTimerAsync(TimeSpan.FromSeconds(2), rig.Ct, since: GatewayRig.Start);
        await rig.StepAsync(TimeSpan.FromSeconds(2) - GatewayRig.Step);
        await rig.QuietAsync();
        Assert.Single(a.Of(GatewayEventKind.RegistrationStarted));
        await rig.StepAsync(GatewayRig.Step);
        await rig.UntilAsync(() => a.Of(GatewayEventKind.RegistrationStarted).Count() == 2, "the registration starts again after its 2 s backoff");
        Assert.Equal(TimeSpan.FromSeconds(2), a.Of(GatewayEventKind.RegistrationStarted).Last().At - a.Of(GatewayEventKind.Error).Single().At);
        Assert.Equal(2, kis.Requests.Count(r => r.IsSubscribe));
        Assert.Equal(1, rig.Kis.Send(reg));
        await rig.UntilAsync(() => rig.Nats.Stream.Any(i => i.Kind == FeedItemKind.Trade), "a record reaches the stream again");
    }

    [Fact]
    public async Task AHandlerThatBlocksDelaysNoRenewalAndGetsEveryEventInOrderOnceItReturns()
    {
        using var gate = new ManualResetEventSlim();
        int handled = 0;
        await using var rig = new GatewayRig(keys: 1);
        rig.Nats.AddDesired(rig.OnePerKey()[0]);
        var seen = new ConcurrentQueue<GatewayEventKind>();
        GatewayRig.Member a = rig.StartGateway("gw-a", handler: e =>
        {
            if (Interlocked.Increment(ref handled) == 1)
            {
                gate.Wait(rig.Ct); // the first event's handler hangs
            }

            seen.Enqueue(e.Kind);
        });
        string key = rig.Keys[0].Id;
        await rig.UntilAsync(() => rig.Nats.Holders.ContainsKey(key), "the key is taken");

        await rig.StepAsync(rig.Feed.LeaseRenewInterval * 6);
        int renewals = rig.Nats.Leases.History.Count(e => e.Key == key && e.Text == "gw-a") - 1;
        Assert.InRange(renewals, 6, 7);
        Assert.Empty(seen);

        gate.Set();
        await rig.UntilAsync(() => seen.Count == a.Events.Count, "every event reaches the slow handler");
        Assert.Equal(a.Events.Select(e => e.Kind), seen);
        Assert.Contains(GatewayEventKind.Ready, seen);
    }

    [Fact]
    public async Task TheMeterCountsLeasesHeldSessionsAndEachLeaseMove()
    {
        using var metrics = new GatewayMeter();
        await using var rig = new GatewayRig(keys: 2);
        rig.Nats.AddDesired([.. rig.OnePerKey()]);
        GatewayRig.Member a = rig.StartGateway(metrics.GatewayId);
        await rig.UntilAsync(() => a.Of(GatewayEventKind.RegistrationStarted).Count() == 2, "both registrations are live");
        Assert.Equal(2, metrics.Sum("kisfeed.gateway.leases.held"));
        Assert.Equal(2, metrics.Sum("kisfeed.gateway.sessions"));
        Assert.Equal(2, metrics.Sum("kisfeed.gateway.registrations"));
        Assert.Equal(2, metrics.Sum("kisfeed.gateway.lease.moves", ("move", "acquired")));

        // Cut off for longer than T − D: both leases are lost, both sessions closed.
        a.Backplane.Cut = true;
        await rig.StepUntilAsync(() => a.Of(GatewayEventKind.SessionClosed).Count() == 2, TimeSpan.FromSeconds(90), "both sessions close");
        await rig.UntilAsync(() => metrics.Sum("kisfeed.gateway.registrations") == 0, "the registrations are counted off");
        Assert.Equal(0, metrics.Sum("kisfeed.gateway.leases.held"));
        Assert.Equal(0, metrics.Sum("kisfeed.gateway.sessions"));
        Assert.Equal(2, metrics.Sum("kisfeed.gateway.lease.moves", ("move", "lost")));

        // Back on NATS, once the server expired them, the keys are taken again; a stop releases them.
        a.Backplane.Cut = false;
        await rig.StepUntilAsync(() => a.Of(GatewayEventKind.LeaseAcquired).Count() == 4, TimeSpan.FromSeconds(400), "the keys are taken again");
        await a.Gateway.StopAsync().WaitAsync(rig.Ct);
        Assert.Equal(2, metrics.Sum("kisfeed.gateway.lease.moves", ("move", "released")));
        Assert.Equal(4, metrics.Sum("kisfeed.gateway.lease.moves", ("move", "acquired")));
        Assert.Equal(0, metrics.Sum("kisfeed.gateway.leases.held"));
        Assert.Equal(0, metrics.Sum("kisfeed.gateway.sessions"));
    }

    /// <summary>Listens to the <c>KisFeed</c> meter's gateway instruments for one gateway id (tests run in parallel).</summary>
    private sealed class GatewayMeter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<(string Instrument, long Value, Dictionary<string, object?> Tags)> _measurements = new();

        public GatewayMeter()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "KisFeed" && instrument.Name.StartsWith("kisfeed.gateway.", StringComparison.Ordinal))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                var t = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (KeyValuePair<string, object?> tag in tags)
                {
                    t[tag.Key] = tag.Value;
                }

                if (t.TryGetValue("gateway.id", out object? id) && (string?)id == GatewayId)
                {
                    _measurements.Enqueue((instrument.Name, value, t));
                }
            });
            _listener.Start();
        }

        public string GatewayId { get; } = "gw-metrics-" + Guid.NewGuid().ToString("N")[..8];

        public long Sum(string instrument, params (string Key, string Value)[] tags) =>
            _measurements.Where(m => m.Instrument == instrument && tags.All(t => m.Tags.TryGetValue(t.Key, out object? v) && (string?)v == t.Value)).Sum(m => m.Value);

        public void Dispose() => _listener.Dispose();
    }
}
