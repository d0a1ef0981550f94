namespace KisFeed.Simulator;

/// <summary>What happens to the next REST history calls (see <see cref="KisSimulator.InjectRestFault"/>).</summary>
public enum RestFault
{
    /// <summary>Calls are answered normally.</summary>
    None,

    /// <summary>The call fails: HTTP 502 with a non-JSON body, as a gateway in trouble would answer.</summary>
    Fail,

    /// <summary>The call succeeds with only the newest half of its rows and no next page (a truncated answer).</summary>
    Partial,

    /// <summary>The call is refused with <c>EGW00201</c> as if over the rate limit.</summary>
    RateLimit,
}
