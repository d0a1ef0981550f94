namespace KisFeed.Nats;

/// <summary>How a <see cref="NatsGateway"/> stop went.</summary>
/// <param name="SessionsClosed">KIS sessions closed by the stop (each before anything was asked of NATS).</param>
/// <param name="SessionsStillClosing">Sessions whose close did not finish within the session-close budget (their sockets are being cut).</param>
/// <param name="LeasesReleased">Leases given back: another gateway can take those keys at once.</param>
/// <param name="LeasesLeftToExpire">
/// Leases NATS did not let the stop release in time (unreachable, or too slow): they expire by themselves at most
/// <see cref="NatsFeedOptions.LeaseTtl"/> after their last renewal, and until then no other gateway takes those keys.
/// </param>
/// <param name="ItemsNotPublished">Records, gaps and outcomes queued but not stored in the stream when the stop gave up (the next holder's takeover gap covers their period).</param>
/// <param name="Elapsed">From the stop request to the end.</param>
public sealed record GatewayStopReport(int SessionsClosed, int SessionsStillClosing, int LeasesReleased, int LeasesLeftToExpire, long ItemsNotPublished, TimeSpan Elapsed)
{
    /// <summary>True when everything was closed, released and published.</summary>
    public bool IsComplete => SessionsStillClosing == 0 && LeasesLeftToExpire == 0 && ItemsNotPublished == 0;

    /// <summary>One line for a log or the console.</summary>
    public override string ToString() =>
        $"{SessionsClosed} session(s) closed{(SessionsStillClosing > 0 ? $" ({SessionsStillClosing} still closing)" : string.Empty)}, " +
        $"{LeasesReleased} lease(s) released, {LeasesLeftToExpire} left to expire by their TTL, {ItemsNotPublished} item(s) not published, in {Elapsed.TotalSeconds:0.0} s";
}
