using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace KisFeed;

/// <summary>
/// The instruments of <see cref="KisFeedInstruments"/> on one meter. One instance per meter (a process-wide meter, or
/// the one <see cref="KisOptions.MeterFactory"/> gives), shared by every client, session and REST client that uses it.
/// Recording costs a flag check when nobody listens; no tag value is allocated per record.
/// </summary>
internal sealed class KisMetrics
{
    private static readonly string Version = typeof(KisMetrics).Assembly.GetName().Version?.ToString() ?? "0";
    private static readonly Meter ProcessMeter = new(KisFeedInstruments.MeterName, Version);
    private static readonly ConditionalWeakTable<Meter, KisMetrics> ByMeter = [];
    private static readonly KeyValuePair<string, object?>[] VenueTags = [.. VenueExtensions.All.Select(v => new KeyValuePair<string, object?>(KisFeedInstruments.VenueTag, v.Name()))];
    private static readonly KeyValuePair<string, object?> WebSocket = new(KisFeedInstruments.SourceTag, "websocket");
    private static readonly KeyValuePair<string, object?> Rest = new(KisFeedInstruments.SourceTag, "rest");
    private static readonly KeyValuePair<string, object?>[] Reasons = [.. Enum.GetValues<FrameError>().Select(e => new KeyValuePair<string, object?>(KisFeedInstruments.ReasonTag, e.ToString()))];
    private static readonly KeyValuePair<string, object?>[] Outcomes =
    [
        new(KisFeedInstruments.OutcomeTag, "healed"), new(KisFeedInstruments.OutcomeTag, "partly_healed"), new(KisFeedInstruments.OutcomeTag, "not_healed"),
    ];

    private static readonly KeyValuePair<string, object?> GapKind = new(KisFeedInstruments.KindTag, "gap");
    private static readonly KeyValuePair<string, object?> SeedKind = new(KisFeedInstruments.KindTag, "seed");

    private readonly Counter<long> _records;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _eventsDropped;
    private readonly Counter<long> _reconnects;
    private readonly Counter<long> _gaps;
    private readonly Counter<long> _healing;
    private readonly Counter<long> _restCalls;
    private readonly Counter<long> _limiterWaits;
    private readonly Histogram<double> _limiterWait;
    private readonly Counter<long> _rateLimited;

    private KisMetrics(Meter meter)
    {
        Meter = meter;
        _records = meter.CreateCounter<long>(KisFeedInstruments.Records, "{record}", "Records delivered, from the WebSocket or healed and seeded over REST.");
        _rejected = meter.CreateCounter<long>(KisFeedInstruments.FramesRejected, "{frame}", "Frames (or parts of frames) that could not be read, by reason.");
        _dropped = meter.CreateCounter<long>(KisFeedInstruments.RecordsDropped, "{record}", "Records lost to consumers' full buffers.");
        _eventsDropped = meter.CreateCounter<long>(KisFeedInstruments.EventsDropped, "{event}", "Public events dropped because handlers fell behind.");
        _reconnects = meter.CreateCounter<long>(KisFeedInstruments.Reconnects, "{reconnect}", "Reconnections after a lost connection.");
        _gaps = meter.CreateCounter<long>(KisFeedInstruments.Gaps, "{gap}", "Data gaps reported.");
        _healing = meter.CreateCounter<long>(KisFeedInstruments.GapHealing, "{registration}", "Healing outcomes per registration of a gap or seed.");
        _restCalls = meter.CreateCounter<long>(KisFeedInstruments.RestCalls, "{call}", "REST requests sent to KIS.");
        _limiterWaits = meter.CreateCounter<long>(KisFeedInstruments.RestLimiterWaits, "{call}", "REST calls that waited for the app key's rate limiter.");
        _limiterWait = meter.CreateHistogram<double>(KisFeedInstruments.RestLimiterWaitDuration, "s", "How long REST calls waited for the rate limiter.");
        _rateLimited = meter.CreateCounter<long>(KisFeedInstruments.RestRateLimited, "{answer}", "EGW00201 answers from KIS.");
    }

    /// <summary>The meter the instruments are on.</summary>
    public Meter Meter { get; }

    /// <summary>The instruments for <paramref name="factory"/>'s KisFeed meter, or the process-wide one.</summary>
    public static KisMetrics For(IMeterFactory? factory)
    {
        Meter meter = factory?.Create(new MeterOptions(KisFeedInstruments.MeterName) { Version = Version }) ?? ProcessMeter;
        return ByMeter.GetValue(meter, static m => new KisMetrics(m));
    }

    public void Records(Venue venue, int count)
    {
        if (_records.Enabled)
        {
            _records.Add(count, VenueTags[(int)venue], WebSocket); // once per frame, on the receive loop
        }
    }

    public void RestRecords(IEnumerable<ProgramTrade> rows)
    {
        if (!_records.Enabled)
        {
            return;
        }

        foreach (IGrouping<Venue, ProgramTrade> byVenue in rows.GroupBy(r => r.Venue))
        {
            _records.Add(byVenue.Count(), VenueTags[(int)byVenue.Key], Rest);
        }
    }

    public void FrameRejected(FrameError reason) => _rejected.Add(1, Reasons[(int)reason]);

    public void RecordDropped() => _dropped.Add(1);

    public void EventDropped() => _eventsDropped.Add(1);

    public void Reconnect() => _reconnects.Add(1);

    public void Gap() => _gaps.Add(1);

    public void Healing(GapHealing outcome, bool seed) => _healing.Add(1, Outcomes[(int)outcome], seed ? SeedKind : GapKind);

    public void RestCall(string api, string outcome) =>
        _restCalls.Add(1, new KeyValuePair<string, object?>(KisFeedInstruments.ApiTag, api), new KeyValuePair<string, object?>(KisFeedInstruments.OutcomeTag, outcome));

    public void LimiterWaited(TimeSpan waited)
    {
        if (waited > TimeSpan.Zero)
        {
            _limiterWaits.Add(1);
            _limiterWait.Record(waited.TotalSeconds);
        }
    }

    public void RateLimited(string api) => _rateLimited.Add(1, new KeyValuePair<string, object?>(KisFeedInstruments.ApiTag, api));
}
