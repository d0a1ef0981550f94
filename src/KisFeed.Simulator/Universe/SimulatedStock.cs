namespace KisFeed.Simulator;

/// <summary>One listed stock of the simulator's universe.</summary>
/// <param name="Code">Six-character short code (<c>MKSC_SHRN_ISCD</c>).</param>
/// <param name="Name">Korean name: the real one for the large caps of <c>data/large-caps.csv</c>; a made-up name that
/// starts with <see cref="SimulatorUniverse.GeneratedNamePrefix"/> for a generated stock.</param>
/// <param name="NameEn">English name (generated stocks: <c>Generated stock CODE</c>).</param>
/// <param name="Market">KOSPI or KOSDAQ.</param>
/// <param name="PriceLevel">The price level (KRW, on the KRX tick grid) its price walk starts from and returns to.</param>
/// <param name="TypicalTradedValue">Its usual daily traded value (KRW): the scale of its volume and program trading.</param>
/// <param name="Generated">True for a stock the simulator made up (not a real listing).</param>
public sealed record SimulatedStock(
    string Code,
    string Name,
    string NameEn,
    StockMarket Market,
    long PriceLevel,
    long TypicalTradedValue,
    bool Generated)
{
    /// <summary>Listed shares (a round figure, for <c>lstn_stcn</c> and the market value fields).</summary>
    public long ListedShares => Math.Max(1_000_000, TypicalTradedValue / Math.Max(1, PriceLevel) * 250);
}
