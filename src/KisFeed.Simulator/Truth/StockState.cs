namespace KisFeed.Simulator;

/// <summary>
/// What the simulator shows for one stock on one venue at one instant: the values of the last WebSocket update at or
/// before it, the REST row of its second, the price and the stock's accumulated trading. Volumes in shares, values in KRW.
/// </summary>
/// <param name="Code">Stock code.</param>
/// <param name="Name">Stock name.</param>
/// <param name="Market">KOSPI or KOSDAQ.</param>
/// <param name="Venue">The venue.</param>
/// <param name="At">The instant asked for.</param>
/// <param name="Price">Current price (<c>stck_prpr</c>), on the tick grid.</param>
/// <param name="PreviousClose">The previous trading day's close (the reference of <c>prdy_vrss</c>).</param>
/// <param name="SellVolume">Cumulative program sell volume (<c>SELN_CNQN</c>).</param>
/// <param name="SellValue">Cumulative program sell value (<c>SELN_TR_PBMN</c>).</param>
/// <param name="BuyVolume">Cumulative program buy volume (<c>SHNU_CNQN</c>).</param>
/// <param name="BuyValue">Cumulative program buy value (<c>SHNU_TR_PBMN</c>).</param>
/// <param name="AskResidual">Ask residual (<c>SELN_RSQN</c>).</param>
/// <param name="BidResidual">Bid residual (<c>SHNU_RSQN</c>).</param>
/// <param name="AccumulatedVolume">The stock's traded volume of the day so far (<c>acml_vol</c>).</param>
/// <param name="AccumulatedValue">The stock's traded value of the day so far (<c>acml_tr_pbmn</c>).</param>
/// <param name="ArbitrageSellVolume">The arbitrage part of <paramref name="SellVolume"/>.</param>
/// <param name="ArbitrageBuyVolume">The arbitrage part of <paramref name="BuyVolume"/>.</param>
public sealed record StockState(
    string Code,
    string Name,
    StockMarket Market,
    SimulatorVenue Venue,
    DateTimeOffset At,
    long Price,
    long PreviousClose,
    long SellVolume,
    long SellValue,
    long BuyVolume,
    long BuyValue,
    long AskResidual,
    long BidResidual,
    long AccumulatedVolume,
    long AccumulatedValue,
    long ArbitrageSellVolume,
    long ArbitrageBuyVolume)
{
    /// <summary>Program net buy volume (<c>NTBY_CNQN</c>).</summary>
    public long NetBuyVolume => BuyVolume - SellVolume;

    /// <summary>Program net buy value (<c>NTBY_TR_PBMN</c>).</summary>
    public long NetBuyValue => BuyValue - SellValue;
}
