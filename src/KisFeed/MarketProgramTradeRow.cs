namespace KisFeed;

/// <summary>
/// One row of a market's program-trading totals over REST: 프로그램매매 종합현황 by time (<c>comp-program-trade-today</c>,
/// FHPPG04600101; <see cref="Time"/> set) or by day (<c>comp-program-trade-daily</c>, FHPPG04600001; <see cref="Time"/>
/// null). Cumulative for the day at the row's time (the day's totals for a daily row), in the units KIS sends
/// (commonly 천주 / 백만원 for market statistics [inferred]; KisFeed does not scale them).
/// </summary>
/// <remarks>
/// The fields are read by KIS name: each part's <c>{kind}_{who}_{seln,shnu}_{vol,tr_pbmn}</c> and
/// <c>{kind}_{who}_ntby_{qty,tr_pbmn}</c>, with kind <c>arbt</c> (차익), <c>nabt</c> (비차익) or <c>whol</c> (전체) and who
/// <c>entm</c> (위탁, customers), <c>onsl</c> (자기, own) or <c>smtn</c> (합계, both; also spelled <c>smtm</c> by KIS).
/// A reply carries only some of them (the by-time reply is documented with the values and nets, not every volume): the
/// ones it did not carry read 0 and are named in <see cref="Missing"/>, so a zero is never mistaken for a figure.
/// </remarks>
/// <param name="Venue">The venue asked for (<c>FID_COND_MRKT_DIV_CODE</c> <c>J</c>/<c>NX</c>/<c>UN</c>).</param>
/// <param name="Market">The market asked for (<c>FID_MRKT_CLS_CODE</c> <c>K</c>/<c>Q</c>).</param>
/// <param name="Date">The trading date (<c>stck_bsop_date</c>; for a by-time row, today in KST).</param>
/// <param name="Time">The row's time, KST (<c>bsop_hour</c>); null for a daily row.</param>
/// <param name="ArbitrageCustomer">Arbitrage, customers (<c>arbt_entm_*</c>).</param>
/// <param name="ArbitrageOwn">Arbitrage, own account (<c>arbt_onsl_*</c>).</param>
/// <param name="NonArbitrageCustomer">Non-arbitrage, customers (<c>nabt_entm_*</c>).</param>
/// <param name="NonArbitrageOwn">Non-arbitrage, own account (<c>nabt_onsl_*</c>).</param>
/// <param name="Arbitrage">Arbitrage in all (<c>arbt_smtn_*</c>).</param>
/// <param name="NonArbitrage">Non-arbitrage in all (<c>nabt_smtn_*</c>).</param>
/// <param name="Customer">Customers in all (<c>whol_entm_*</c>).</param>
/// <param name="Own">Own account in all (<c>whol_onsl_*</c>).</param>
/// <param name="Total">All program trading (<c>whol_smtn_*</c>).</param>
/// <param name="IndexLevel">The market index's level at the row's time (<c>bstp_nmix_prpr</c>), when KIS gives it.</param>
/// <param name="IndexChange">The index's change from the previous close (<c>bstp_nmix_prdy_vrss</c>), when KIS gives it.</param>
/// <param name="Missing">The KIS names of the fields this row did not carry (their values read 0).</param>
public sealed record MarketProgramTradeRow(
    Venue Venue,
    KrxMarket Market,
    DateOnly Date,
    TimeOnly? Time,
    IndexProgramFlow ArbitrageCustomer,
    IndexProgramFlow ArbitrageOwn,
    IndexProgramFlow NonArbitrageCustomer,
    IndexProgramFlow NonArbitrageOwn,
    IndexProgramFlow Arbitrage,
    IndexProgramFlow NonArbitrage,
    IndexProgramFlow Customer,
    IndexProgramFlow Own,
    IndexProgramFlow Total,
    decimal? IndexLevel,
    decimal? IndexChange,
    IReadOnlyList<string> Missing);

/// <summary>
/// One investor type's program trading today (프로그램매매 투자자매매동향(당일), <c>investor-program-trade-today</c>,
/// HHPPG046600C1, <c>output1[]</c>), in the units KIS sends.
/// </summary>
/// <param name="Market">The market asked for (<c>MRKT_DIV_CLS_CODE</c> <c>1</c> KOSPI, <c>4</c> KOSDAQ).</param>
/// <param name="InvestorCode">The investor type's code (<c>invr_cls_code</c>), e.g. <c>8000</c> 개인, <c>9100</c> 외국인.</param>
/// <param name="InvestorName">Its name as KIS gives it (<c>invr_cls_name</c>).</param>
/// <param name="All">Program trading in all (<c>all_{seln,shnu,ntby}_{qty,amt}</c>).</param>
/// <param name="Arbitrage">Arbitrage (<c>arbt_{seln,shnu,ntby}_{qty,amt}</c>).</param>
/// <param name="NonArbitrage">Non-arbitrage (<c>nabt_{seln,shnu,ntby}_{qty,amt}</c>).</param>
/// <param name="Missing">The KIS names of the fields this row did not carry (their values read 0).</param>
public sealed record InvestorProgramTradeRow(
    KrxMarket Market,
    string InvestorCode,
    string InvestorName,
    IndexProgramFlow All,
    IndexProgramFlow Arbitrage,
    IndexProgramFlow NonArbitrage,
    IReadOnlyList<string> Missing);
