namespace KisFeed;

/// <summary>
/// One program-trading update (KIS TRs <c>H0STPGM0</c>, <c>H0NXPGM0</c>, <c>H0UNPGM0</c>). Every amount is cumulative
/// for the trading day; quantities are shares and values are KRW (원). To get per-update flow, use
/// <see cref="ProgramTradeFlow"/>.
/// </summary>
/// <remarks>
/// Field mapping (wire position: KIS name → property):
/// 0 <c>MKSC_SHRN_ISCD</c> → <see cref="Code"/>;
/// 1 <c>STCK_CNTG_HOUR</c> → <see cref="Time"/>;
/// 2 <c>SELN_CNQN</c> → <see cref="SellVolume"/>;
/// 3 <c>SELN_TR_PBMN</c> → <see cref="SellValue"/>;
/// 4 <c>SHNU_CNQN</c> → <see cref="BuyVolume"/>;
/// 5 <c>SHNU_TR_PBMN</c> → <see cref="BuyValue"/>;
/// 6 <c>NTBY_CNQN</c> → <see cref="NetBuyVolume"/>;
/// 7 <c>NTBY_TR_PBMN</c> → <see cref="NetBuyValue"/>;
/// 8 <c>SELN_RSQN</c> → <see cref="AskResidual"/>;
/// 9 <c>SHNU_RSQN</c> → <see cref="BidResidual"/>;
/// 10 <c>WHOL_NTBY_QTY</c> → <see cref="NetBidResidual"/>.
/// </remarks>
/// <param name="Venue">The market the update is for (derived from the TR id).</param>
/// <param name="Code">Short stock code, e.g. <c>005930</c> (<c>MKSC_SHRN_ISCD</c>).</param>
/// <param name="TradingDate">The trading date in Korea time (KST), taken from <see cref="ReceivedAt"/>.</param>
/// <param name="Time">Time of day of the last program trade, KST (<c>STCK_CNTG_HOUR</c>, HHMMSS).</param>
/// <param name="SellVolume">Program sell volume, shares (<c>SELN_CNQN</c>, 매도 체결량).</param>
/// <param name="SellValue">Program sell value, KRW (<c>SELN_TR_PBMN</c>, 매도 거래 대금).</param>
/// <param name="BuyVolume">Program buy volume, shares (<c>SHNU_CNQN</c>, 매수2 체결량).</param>
/// <param name="BuyValue">Program buy value, KRW (<c>SHNU_TR_PBMN</c>, 매수2 거래 대금).</param>
/// <param name="NetBuyVolume">Program net buy volume, shares (<c>NTBY_CNQN</c>, 순매수 체결량); buy − sell.</param>
/// <param name="NetBuyValue">Program net buy value, KRW (<c>NTBY_TR_PBMN</c>, 순매수 거래 대금); buy − sell.</param>
/// <param name="AskResidual">Resting program sell orders, shares (<c>SELN_RSQN</c>, 매도호가잔량).</param>
/// <param name="BidResidual">Resting program buy orders, shares (<c>SHNU_RSQN</c>, 매수호가잔량).</param>
/// <param name="NetBidResidual">Net resting buy orders, shares (<c>WHOL_NTBY_QTY</c>, 전체순매수호가잔량); bid − ask.</param>
/// <param name="ReceivedAt">When the client received the frame that carried this update.</param>
/// <param name="Missing">Fields that were empty, <c>(null)</c> or unreadable on the wire, or that the source does not carry (their value reads as 0).</param>
/// <param name="Source">Where the update came from: the live WebSocket, or the REST history that seeds a day or heals a gap.</param>
public readonly record struct ProgramTrade(
    Venue Venue,
    string Code,
    DateOnly TradingDate,
    TimeOnly Time,
    long SellVolume,
    long SellValue,
    long BuyVolume,
    long BuyValue,
    long NetBuyVolume,
    long NetBuyValue,
    long AskResidual,
    long BidResidual,
    long NetBidResidual,
    DateTimeOffset ReceivedAt,
    ProgramTradeFields Missing = ProgramTradeFields.None,
    TradeSource Source = TradeSource.WebSocket)
{
    /// <summary>The KIS TR id this update arrived on.</summary>
    public string TrId => Venue.ProgramTradeTrId();

    /// <summary>The resting-order fields, which REST history rows do not carry.</summary>
    public const ProgramTradeFields ResidualFields = ProgramTradeFields.AskResidual | ProgramTradeFields.BidResidual | ProgramTradeFields.NetBidResidual;

    /// <summary>True when every field was present on the wire.</summary>
    public bool IsComplete => Missing == ProgramTradeFields.None;
}
