namespace KisFeed.Storage;

/// <summary>A period in which the live session was down, so the recording has no updates for it.</summary>
/// <param name="From">Start of the gap (last moment data was known to flow).</param>
/// <param name="To">End of the gap (data flows again).</param>
/// <param name="Venue">The venue affected; null for all venues.</param>
/// <param name="Codes">The codes affected; empty for all subscribed codes.</param>
/// <param name="Reason">Why, e.g. <c>reconnect</c>, <c>server closed</c>, <c>OPSP8996</c>.</param>
public sealed record RecordingGap(DateTimeOffset From, DateTimeOffset To, Venue? Venue, IReadOnlyList<string> Codes, string Reason);
