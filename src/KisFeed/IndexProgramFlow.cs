namespace KisFeed;

/// <summary>
/// One part of an index's program trading (<see cref="IndexProgramTrade"/>): sell, buy and net, as volumes and values,
/// cumulative for the trading day, in the units KIS sends (see <see cref="IndexProgramTrade"/>).
/// </summary>
/// <param name="SellVolume">Program sell volume.</param>
/// <param name="SellValue">Program sell value.</param>
/// <param name="BuyVolume">Program buy volume.</param>
/// <param name="BuyValue">Program buy value.</param>
/// <param name="NetBuyVolume">Net buy volume as KIS sends it (buy − sell).</param>
/// <param name="NetBuyValue">Net buy value as KIS sends it (buy − sell).</param>
public readonly record struct IndexProgramFlow(long SellVolume, long SellValue, long BuyVolume, long BuyValue, long NetBuyVolume, long NetBuyValue)
{
    /// <summary>The sum of two parts, field by field (e.g. customer + own).</summary>
    public static IndexProgramFlow operator +(IndexProgramFlow a, IndexProgramFlow b) => new(
        a.SellVolume + b.SellVolume, a.SellValue + b.SellValue, a.BuyVolume + b.BuyVolume, a.BuyValue + b.BuyValue,
        a.NetBuyVolume + b.NetBuyVolume, a.NetBuyValue + b.NetBuyValue);

    /// <summary>The sum of two parts (the named form of <c>+</c>).</summary>
    public static IndexProgramFlow Add(IndexProgramFlow left, IndexProgramFlow right) => left + right;
}

/// <summary>
/// The share rates (비율) KIS sends beside each sum of <see cref="IndexProgramTrade"/>, as it sends them: percentages
/// whose base the official sample does not document (KisFeed does not derive or check them).
/// </summary>
/// <param name="SellVolume">Sell volume rate.</param>
/// <param name="SellValue">Sell value rate.</param>
/// <param name="BuyVolume">Buy volume rate.</param>
/// <param name="BuyValue">Buy value rate.</param>
/// <param name="NetBuyVolume">Net buy volume rate.</param>
/// <param name="NetBuyValue">Net buy value rate.</param>
public readonly record struct IndexProgramShares(decimal SellVolume, decimal SellValue, decimal BuyVolume, decimal BuyValue, decimal NetBuyVolume, decimal NetBuyValue);
