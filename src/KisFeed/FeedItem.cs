namespace KisFeed;

/// <summary>
/// One item of a feed that carries trades and gaps in order (<c>KisRealtimeClient.FeedAsync</c>).
/// A trade item allocates nothing beyond the <see cref="ProgramTrade"/> itself.
/// </summary>
public readonly record struct FeedItem
{
    private readonly object? _payload;

    private FeedItem(FeedItemKind kind, ProgramTrade trade, object? payload)
    {
        Kind = kind;
        Trade = trade;
        _payload = payload;
    }

    /// <summary>What this item carries.</summary>
    public FeedItemKind Kind { get; }

    /// <summary>With <see cref="FeedItemKind.Trade"/>: the update (default otherwise).</summary>
    public ProgramTrade Trade { get; }

    /// <summary>With <see cref="FeedItemKind.Gap"/>: the gap (null otherwise).</summary>
    public DataGap? Gap => _payload as DataGap;

    /// <summary>With <see cref="FeedItemKind.GapHealed"/>: the outcome of healing (null otherwise).</summary>
    public GapHealingReport? Healing => _payload as GapHealingReport;

    /// <summary>An item carrying a trade.</summary>
    public static FeedItem FromTrade(in ProgramTrade trade) => new(FeedItemKind.Trade, trade, null);

    /// <summary>An item carrying a gap.</summary>
    public static FeedItem FromGap(DataGap gap) => new(FeedItemKind.Gap, default, gap ?? throw new ArgumentNullException(nameof(gap)));

    /// <summary>An item carrying a healing outcome.</summary>
    public static FeedItem FromHealing(GapHealingReport report) => new(FeedItemKind.GapHealed, default, report ?? throw new ArgumentNullException(nameof(report)));

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        FeedItemKind.Trade => Trade.ToString(),
        FeedItemKind.Gap => $"gap {Gap}",
        _ => $"healed {Healing}",
    };
}
