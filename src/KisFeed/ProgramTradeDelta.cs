namespace KisFeed;

/// <summary>
/// Per-update program-trading flow: what changed since the previous update of the same (venue, code), computed by
/// <see cref="ProgramTradeFlow"/> from the cumulative values of <see cref="ProgramTrade"/>.
/// </summary>
/// <param name="Trade">The update the deltas end at.</param>
/// <param name="SellVolume">Program sell volume traded since the previous update, shares (never negative).</param>
/// <param name="SellValue">Program sell value traded since the previous update, KRW (never negative).</param>
/// <param name="BuyVolume">Program buy volume traded since the previous update, shares (never negative).</param>
/// <param name="BuyValue">Program buy value traded since the previous update, KRW (never negative).</param>
/// <param name="NetBuyVolume">Net buy volume of this delta: <paramref name="BuyVolume"/> − <paramref name="SellVolume"/>.</param>
/// <param name="NetBuyValue">Net buy value of this delta: <paramref name="BuyValue"/> − <paramref name="SellValue"/>.</param>
/// <param name="AskResidualChange">Change of the resting program sell orders (a level, so it may be negative).</param>
/// <param name="BidResidualChange">Change of the resting program buy orders (may be negative).</param>
/// <param name="NetBidResidualChange">Change of the net resting buy orders (may be negative).</param>
/// <param name="Kind">Whether this continues the day, starts it, or follows a counter reset.</param>
public readonly record struct ProgramTradeDelta(
    ProgramTrade Trade,
    long SellVolume,
    long SellValue,
    long BuyVolume,
    long BuyValue,
    long NetBuyVolume,
    long NetBuyValue,
    long AskResidualChange,
    long BidResidualChange,
    long NetBidResidualChange,
    ProgramTradeDeltaKind Kind)
{
    /// <summary>True for the first update of the key on its trading day.</summary>
    public bool IsFirstOfDay => Kind == ProgramTradeDeltaKind.FirstOfDay;

    /// <summary>True when the cumulative counters were found to have restarted within the day.</summary>
    public bool IsReset => Kind == ProgramTradeDeltaKind.Reset;

    /// <summary>True when nothing was traded since the previous update (residuals may still have changed).</summary>
    public bool IsEmpty => SellVolume == 0 && SellValue == 0 && BuyVolume == 0 && BuyValue == 0;
}
