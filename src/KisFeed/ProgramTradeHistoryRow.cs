namespace KisFeed;

/// <summary>
/// One row of KIS's intraday program-trading history (종목별 프로그램매매추이(체결), <c>program-trade-by-stock</c>).
/// Program amounts are cumulative for the day, like the WebSocket's. REST has no resting-order fields.
/// </summary>
/// <param name="Venue">The market (<c>FID_COND_MRKT_DIV_CODE</c> J / NX / UN).</param>
/// <param name="Code">Stock code.</param>
/// <param name="TradingDate">The KST trading date (the day of the call; KIS sends only the time).</param>
/// <param name="Time">KST time of day (<c>bsop_hour</c>).</param>
/// <param name="Price">Price, KRW (<c>stck_prpr</c>).</param>
/// <param name="Change">Change against the previous close, KRW (<c>prdy_vrss</c>).</param>
/// <param name="ChangeSign">Sign of the change (<c>prdy_vrss_sign</c>).</param>
/// <param name="ChangePercent">Change, % (<c>prdy_ctrt</c>).</param>
/// <param name="AccumulatedVolume">Accumulated traded volume of the stock, shares (<c>acml_vol</c>).</param>
/// <param name="SellVolume">Program sell volume (<c>whol_smtn_seln_vol</c> = WebSocket <c>SELN_CNQN</c>).</param>
/// <param name="SellValue">Program sell value, KRW (<c>whol_smtn_seln_tr_pbmn</c> = <c>SELN_TR_PBMN</c>).</param>
/// <param name="BuyVolume">Program buy volume (<c>whol_smtn_shnu_vol</c> = <c>SHNU_CNQN</c>).</param>
/// <param name="BuyValue">Program buy value, KRW (<c>whol_smtn_shnu_tr_pbmn</c> = <c>SHNU_TR_PBMN</c>).</param>
/// <param name="NetBuyVolume">Program net buy volume (<c>whol_smtn_ntby_qty</c> = <c>NTBY_CNQN</c>).</param>
/// <param name="NetBuyValue">Program net buy value, KRW (<c>whol_smtn_ntby_tr_pbmn</c> = <c>NTBY_TR_PBMN</c>).</param>
/// <param name="NetBuyVolumeChange">Change of the net buy volume since the previous row (<c>whol_ntby_vol_icdc</c>).</param>
/// <param name="NetBuyValueChange">Change of the net buy value since the previous row (<c>whol_ntby_tr_pbmn_icdc</c>).</param>
public sealed record ProgramTradeHistoryRow(
    Venue Venue,
    string Code,
    DateOnly TradingDate,
    TimeOnly Time,
    long Price,
    long Change,
    PriceChangeSign ChangeSign,
    decimal ChangePercent,
    long AccumulatedVolume,
    long SellVolume,
    long SellValue,
    long BuyVolume,
    long BuyValue,
    long NetBuyVolume,
    long NetBuyValue,
    long NetBuyVolumeChange,
    long NetBuyValueChange)
{
    /// <summary>The row's instant (KST date and time, offset +09:00).</summary>
    public DateTimeOffset Timestamp => KoreaTime.At(TradingDate, Time);

    /// <summary>
    /// The row as a <see cref="ProgramTrade"/>: the six program fields carried over, the residual fields (which REST does
    /// not have) flagged in <see cref="ProgramTrade.Missing"/>, <see cref="ProgramTrade.Source"/> = <see cref="TradeSource.Rest"/>.
    /// </summary>
    /// <param name="receivedAt">The <see cref="ProgramTrade.ReceivedAt"/> to give; default: the row's own <see cref="Timestamp"/>.</param>
    public ProgramTrade ToProgramTrade(DateTimeOffset? receivedAt = null) => new(
        Venue,
        Code,
        TradingDate,
        Time,
        SellVolume,
        SellValue,
        BuyVolume,
        BuyValue,
        NetBuyVolume,
        NetBuyValue,
        AskResidual: 0,
        BidResidual: 0,
        NetBidResidual: 0,
        ReceivedAt: receivedAt ?? Timestamp,
        Missing: ProgramTrade.ResidualFields,
        Source: TradeSource.Rest);
}
