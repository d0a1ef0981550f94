using System.Diagnostics.Metrics;

namespace KisFeed.Nats;

/// <summary>
/// The gateway's instruments on the <c>KisFeed</c> meter (<c>dotnet-counters monitor -n kisfeed --counters KisFeed</c>,
/// or OpenTelemetry's <c>AddMeter("KisFeed")</c>). Every measurement carries the tag <c>gateway.id</c>.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>kisfeed.gateway.leases.held</c> (up-down counter, {lease}): leases held now.</item>
/// <item><c>kisfeed.gateway.lease.moves</c> (counter, {lease}): tag <c>move</c> = <c>acquired</c>, <c>lost</c> (ran out or refused), <c>released</c>, or <c>left_to_expire</c> (a stop could not release it).</item>
/// <item><c>kisfeed.gateway.sessions</c> (up-down counter, {session}): KIS sessions open now (one per held key).</item>
/// <item><c>kisfeed.gateway.registrations</c> (up-down counter, {registration}): registrations accepted by KIS and carried now.</item>
/// <item><c>kisfeed.gateway.pump.failures</c> (counter): a registration's pump failed and was restarted; tag <c>kind</c> = <c>expected</c> (KIS or NATS refused, timed out) or <c>unexpected</c> (a bug: logged as an error with its stack).</item>
/// <item><c>kisfeed.gateway.events.dropped</c> (counter): events dropped because the event handlers fell behind.</item>
/// <item><c>kisfeed.gateway.stop.leases_left</c> (counter, {lease}): leases a stop could not release (NATS did not answer in time); they expire by their TTL.</item>
/// </list>
/// </remarks>
internal sealed class GatewayMetrics
{
    /// <summary>The meter's name, shared with the core's instruments.</summary>
    public const string MeterName = "KisFeed";

    private static readonly Meter s_meter = new(MeterName, typeof(GatewayMetrics).Assembly.GetName().Version?.ToString());
    private static readonly UpDownCounter<long> s_leasesHeld = s_meter.CreateUpDownCounter<long>("kisfeed.gateway.leases.held", "{lease}", "App-key leases this gateway holds now.");
    private static readonly Counter<long> s_leaseMoves = s_meter.CreateCounter<long>("kisfeed.gateway.lease.moves", "{lease}", "Leases acquired, lost or released (tag move).");
    private static readonly UpDownCounter<long> s_sessions = s_meter.CreateUpDownCounter<long>("kisfeed.gateway.sessions", "{session}", "KIS sessions open now.");
    private static readonly UpDownCounter<long> s_registrations = s_meter.CreateUpDownCounter<long>("kisfeed.gateway.registrations", "{registration}", "Registrations accepted by KIS and carried now.");
    private static readonly Counter<long> s_pumpFailures = s_meter.CreateCounter<long>("kisfeed.gateway.pump.failures", "{failure}", "A registration's pump failed and was restarted (tag kind).");
    private static readonly Counter<long> s_eventsDropped = s_meter.CreateCounter<long>("kisfeed.gateway.events.dropped", "{event}", "Gateway events dropped because the handlers fell behind.");
    private static readonly Counter<long> s_leasesLeft = s_meter.CreateCounter<long>("kisfeed.gateway.stop.leases_left", "{lease}", "Leases a stop could not release; they expire by their TTL.");

    private readonly KeyValuePair<string, object?> _gateway;

    public GatewayMetrics(string gatewayId) => _gateway = new("gateway.id", gatewayId);

    public void LeaseAcquired()
    {
        s_leasesHeld.Add(1, _gateway);
        s_leaseMoves.Add(1, _gateway, new("move", "acquired"));
    }

    /// <summary>A held lease ends: <c>lost</c> (ran out, refused), <c>released</c>, or <c>left_to_expire</c> (a stop could not release it).</summary>
    public void LeaseEnded(string move)
    {
        s_leasesHeld.Add(-1, _gateway);
        s_leaseMoves.Add(1, _gateway, new("move", move));
        if (move == LeftToExpire)
        {
            s_leasesLeft.Add(1, _gateway);
        }
    }

    public const string Lost = "lost";

    public const string Released = "released";

    public const string LeftToExpire = "left_to_expire";

    public void SessionOpened() => s_sessions.Add(1, _gateway);

    public void SessionClosed() => s_sessions.Add(-1, _gateway);

    public void RegistrationLive(int delta) => s_registrations.Add(delta, _gateway);

    public void PumpFailed(bool unexpected) => s_pumpFailures.Add(1, _gateway, new("kind", unexpected ? "unexpected" : "expected"));

    public void EventDropped() => s_eventsDropped.Add(1, _gateway);
}
