namespace KisFeed.Web;

/// <summary>Where a board's data comes from and how its feed is doing, as the page's status strip shows it.</summary>
/// <param name="State">Connection state (<see cref="ConnectionState"/> as text), or <c>Replay</c> for a recorded day.</param>
/// <param name="Reconnects">Reconnects since the feed started.</param>
/// <param name="Drops">Updates dropped because a consumer fell behind.</param>
/// <param name="Simulated">True when the data comes from a simulator, not the market; false for the market; null when the
/// source does not say (a recording made before KisFeed stored its source, a stream nothing was read from yet): the page
/// then says "unknown", never LIVE.</param>
/// <param name="Source">One line about the source (server, or file and date); never a secret.</param>
public sealed record FeedStatus(string State, long Reconnects, long Drops, bool? Simulated, string Source);

/// <summary>Tells the board how the feed is doing (polled about once a second).</summary>
public interface IFeedStatusSource
{
    /// <summary>The status now.</summary>
    FeedStatus Current { get; }
}

/// <summary>A status that never changes (a recorded day, or a test).</summary>
public sealed class FixedFeedStatus(FeedStatus status) : IFeedStatusSource
{
    /// <inheritdoc/>
    public FeedStatus Current { get; } = status;
}
