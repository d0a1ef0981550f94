namespace KisFeed;

/// <summary>
/// The names of KisFeed's <see cref="System.Diagnostics.Metrics"/> instruments, all on the meter <see cref="MeterName"/>
/// (<c>dotnet-counters monitor --counters KisFeed</c>, or OpenTelemetry's <c>AddMeter("KisFeed")</c>). A client created
/// with <see cref="KisOptions.MeterFactory"/> creates its meter there (as hosted apps do); otherwise on one meter per process.
/// Tags are named <c>kisfeed.*</c>; what each counts: <c>docs/session.md</c>.
/// </summary>
public static class KisFeedInstruments
{
    /// <summary>The meter: <c>KisFeed</c>.</summary>
    public const string MeterName = "KisFeed";

    /// <summary>Records delivered, by <see cref="VenueTag"/> and <see cref="SourceTag"/> (<c>websocket</c> or <c>rest</c>: healed and seeded rows).</summary>
    public const string Records = "kisfeed.records";

    /// <summary>Frames (or parts of frames) that could not be read, by <see cref="ReasonTag"/> (a <see cref="FrameError"/> name).</summary>
    public const string FramesRejected = "kisfeed.frames.rejected";

    /// <summary>Records lost to consumers' full buffers.</summary>
    public const string RecordsDropped = "kisfeed.records.dropped";

    /// <summary>Public events dropped because handlers fell behind.</summary>
    public const string EventsDropped = "kisfeed.events.dropped";

    /// <summary>Reconnections after a connection was lost.</summary>
    public const string Reconnects = "kisfeed.reconnects";

    /// <summary>Data gaps reported (outages; seeds are not gaps).</summary>
    public const string Gaps = "kisfeed.gaps";

    /// <summary>Healing outcomes, one per registration of a gap or a seed, by <see cref="OutcomeTag"/> (<c>healed</c>, <c>partly_healed</c>, <c>not_healed</c>) and <see cref="KindTag"/> (<c>gap</c> or <c>seed</c>).</summary>
    public const string GapHealing = "kisfeed.gap.healing";

    /// <summary>REST requests sent to KIS, by <see cref="ApiTag"/> (a TR id, <c>tokenP</c> or <c>approval</c>) and <see cref="OutcomeTag"/> (<c>ok</c>, <c>error</c>, <c>unreachable</c>).</summary>
    public const string RestCalls = "kisfeed.rest.calls";

    /// <summary>REST calls that had to wait for the app key's rate limiter.</summary>
    public const string RestLimiterWaits = "kisfeed.rest.limiter.waits";

    /// <summary>How long a REST call waited for the rate limiter (seconds), for the calls that waited.</summary>
    public const string RestLimiterWaitDuration = "kisfeed.rest.limiter.wait.duration";

    /// <summary>KIS answers <c>EGW00201</c> (more REST calls a second than allowed), each one, retried or not, by <see cref="ApiTag"/>.</summary>
    public const string RestRateLimited = "kisfeed.rest.rate_limited";

    /// <summary>Tag: <c>krx</c>, <c>nxt</c> or <c>unified</c>.</summary>
    public const string VenueTag = "kisfeed.venue";

    /// <summary>Tag: <c>websocket</c> or <c>rest</c>.</summary>
    public const string SourceTag = "kisfeed.source";

    /// <summary>Tag: why a frame was rejected.</summary>
    public const string ReasonTag = "kisfeed.reason";

    /// <summary>Tag: how a healing or a REST call ended.</summary>
    public const string OutcomeTag = "kisfeed.outcome";

    /// <summary>Tag: <c>gap</c> or <c>seed</c>.</summary>
    public const string KindTag = "kisfeed.kind";

    /// <summary>Tag: which REST API.</summary>
    public const string ApiTag = "kisfeed.api";
}
