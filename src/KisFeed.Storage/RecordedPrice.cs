namespace KisFeed.Storage;

/// <summary>
/// One price of a stock as a recording holds it (<see cref="StorageSchema.PricesTable"/>, schema version 6): KIS
/// <c>inquire-price</c>'s <c>stck_prpr</c> as a live board read it, or the simulator's price path in a generated day.
/// </summary>
/// <param name="TradingDate">The trading day (KST).</param>
/// <param name="Code">The stock code.</param>
/// <param name="Time">KST time of day the price was read (or, for a simulated path, starts).</param>
/// <param name="Price">The price, KRW.</param>
/// <param name="PreviousClose">The previous trading day's close (the reference of the change, <c>stck_prpr − prdy_vrss</c>); null when not known.</param>
/// <param name="ReadAt">When it was read.</param>
public readonly record struct RecordedPrice(DateOnly TradingDate, string Code, TimeOnly Time, long Price, long? PreviousClose, DateTimeOffset ReadAt)
{
    /// <summary>Change from <see cref="PreviousClose"/> in percent, or null.</summary>
    public double? ChangePercent => PreviousClose is > 0 and long r ? (Price - r) * 100.0 / r : null;
}
