namespace KisFeed;

/// <summary>What a <see cref="FeedItem"/> carries.</summary>
public enum FeedItemKind : byte
{
    /// <summary>A program-trading update: <see cref="FeedItem.Trade"/>.</summary>
    Trade,

    /// <summary>A period with possibly missing updates: <see cref="FeedItem.Gap"/>.</summary>
    Gap,

    /// <summary>The outcome of healing a gap over REST: <see cref="FeedItem.Healing"/>.</summary>
    GapHealed,
}
