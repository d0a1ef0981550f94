namespace KisFeed;

/// <summary>
/// One index program-trading update (KIS TR <c>H0UPPGM0</c>, 국내지수 실시간프로그램매매): the program trading of a whole
/// index (업종), split arbitrage (차익) / non-arbitrage (비차익) × customer (위탁) / own account (자기) × sell / buy, with
/// the sums, the nets and the market's cumulative volume and value. Every amount is cumulative for the trading day.
/// </summary>
/// <remarks>
/// <para>
/// Units: the numbers are as KIS sends them. The protocol notes do not document the units of <c>H0UPPGM0</c>; KIS's
/// market statistics are commonly in thousands of shares (천주) and millions of won (백만원), which the simulator uses
/// too [inferred]. KisFeed does not scale them.
/// </para>
/// <para>
/// Field mapping (wire position: KIS name → property), from the official sample's column list (88 fields):
/// 0 <c>bstp_cls_code</c> → <see cref="IndexCode"/>; 1 <c>bsop_hour</c> → <see cref="Time"/>;
/// 2–9 <c>{arbt,nabt}_{seln,shnu}_{entm,onsl}_cnqn</c> → the volumes of <see cref="ArbitrageCustomer"/>,
/// <see cref="ArbitrageOwn"/>, <see cref="NonArbitrageCustomer"/>, <see cref="NonArbitrageOwn"/>
/// (order: arbt sell entm, arbt sell onsl, arbt buy entm, arbt buy onsl, then the same for nabt);
/// 10–17 <c>…_cntg_amt</c> → their values, in the same order;
/// 18–29 <c>arbt_smtn_*</c> → <see cref="Arbitrage"/> (sell volume, sell value, buy volume, buy value, net volume,
/// net value) with each one's <c>arbt_smtm_*_rate</c> → <see cref="ArbitrageShares"/>;
/// 30–41 <c>nabt_smtn_*</c> / <c>nabt_smtm_*_rate</c> → <see cref="NonArbitrage"/> / <see cref="NonArbitrageShares"/>;
/// 42–53 <c>whol_entm_*</c> / <c>entm_*_rate</c> → <see cref="Customer"/> / <see cref="CustomerShares"/>;
/// 54–65 <c>whol_onsl_*</c> / <c>onsl_*_rate</c> → <see cref="Own"/> / <see cref="OwnShares"/>;
/// 66–77 <c>total_seln_qty</c>, <c>total_seln_tr_pbmn</c>, <c>shnu_cntg_smtn</c>, <c>total_shnu_tr_pbmn</c>,
/// <c>whol_ntby_qty</c>, <c>whol_ntby_tr_pbmn</c> and their rates → <see cref="Total"/> / <see cref="TotalShares"/>;
/// 78–85 <c>{arbt,nabt}_{entm,onsl}_ntby_{qty,tr_pbmn}</c> → the nets of the four parts;
/// 86 <c>acml_vol</c> → <see cref="MarketVolume"/>; 87 <c>acml_tr_pbmn</c> → <see cref="MarketValue"/>.
/// The exact name of every position is <see cref="KisFieldNames"/>; docs/market.md has the table.
/// </para>
/// </remarks>
/// <param name="IndexCode">The index (업종) code, e.g. <c>0001</c> (<c>bstp_cls_code</c>).</param>
/// <param name="TradingDate">The trading date in Korea time (KST), taken from <see cref="ReceivedAt"/>.</param>
/// <param name="Time">Time of day of the update, KST (<c>bsop_hour</c>, HHMMSS).</param>
/// <param name="ArbitrageCustomer">Arbitrage, customers (차익 위탁): <c>arbt_seln_entm_cnqn</c>, <c>arbt_seln_entm_cntg_amt</c>, <c>arbt_shnu_entm_cnqn</c>, <c>arbt_shnu_entm_cntg_amt</c>, <c>arbt_entm_ntby_qty</c>, <c>arbt_entm_ntby_tr_pbmn</c>.</param>
/// <param name="ArbitrageOwn">Arbitrage, own account (차익 자기): <c>arbt_seln_onsl_cnqn</c>, <c>arbt_seln_onsl_cntg_amt</c>, <c>arbt_shnu_onsl_cnqn</c>, <c>arbt_shnu_onsl_cntg_amt</c>, <c>arbt_onsl_ntby_qty</c>, <c>arbt_onsl_ntby_tr_pbmn</c>.</param>
/// <param name="NonArbitrageCustomer">Non-arbitrage, customers (비차익 위탁): the <c>nabt_…_entm_…</c> fields.</param>
/// <param name="NonArbitrageOwn">Non-arbitrage, own account (비차익 자기): the <c>nabt_…_onsl_…</c> fields.</param>
/// <param name="Arbitrage">Arbitrage in all (차익 합계, <c>arbt_smtn_*</c>).</param>
/// <param name="NonArbitrage">Non-arbitrage in all (비차익 합계, <c>nabt_smtn_*</c>).</param>
/// <param name="Customer">Customers in all (전체 위탁, <c>whol_entm_*</c>).</param>
/// <param name="Own">Own account in all (전체 자기, <c>whol_onsl_*</c>).</param>
/// <param name="Total">All program trading (<c>total_seln_qty</c>, <c>total_seln_tr_pbmn</c>, <c>shnu_cntg_smtn</c>, <c>total_shnu_tr_pbmn</c>, <c>whol_ntby_qty</c>, <c>whol_ntby_tr_pbmn</c>).</param>
/// <param name="ArbitrageShares">The rates of <paramref name="Arbitrage"/> (<c>arbt_smtm_*_rate</c>).</param>
/// <param name="NonArbitrageShares">The rates of <paramref name="NonArbitrage"/> (<c>nabt_smtm_*_rate</c>).</param>
/// <param name="CustomerShares">The rates of <paramref name="Customer"/> (<c>entm_*_rate</c>).</param>
/// <param name="OwnShares">The rates of <paramref name="Own"/> (<c>onsl_*_rate</c>).</param>
/// <param name="TotalShares">The rates of <paramref name="Total"/> (<c>whol_*_rate</c>).</param>
/// <param name="MarketVolume">The market's cumulative volume, programs or not (<c>acml_vol</c>, 누적 거래량).</param>
/// <param name="MarketValue">The market's cumulative value (<c>acml_tr_pbmn</c>, 누적 거래 대금).</param>
/// <param name="ReceivedAt">When the client received the frame that carried this update.</param>
public sealed record IndexProgramTrade(
    string IndexCode,
    DateOnly TradingDate,
    TimeOnly Time,
    IndexProgramFlow ArbitrageCustomer,
    IndexProgramFlow ArbitrageOwn,
    IndexProgramFlow NonArbitrageCustomer,
    IndexProgramFlow NonArbitrageOwn,
    IndexProgramFlow Arbitrage,
    IndexProgramFlow NonArbitrage,
    IndexProgramFlow Customer,
    IndexProgramFlow Own,
    IndexProgramFlow Total,
    IndexProgramShares ArbitrageShares,
    IndexProgramShares NonArbitrageShares,
    IndexProgramShares CustomerShares,
    IndexProgramShares OwnShares,
    IndexProgramShares TotalShares,
    long MarketVolume,
    long MarketValue,
    DateTimeOffset ReceivedAt)
{
    /// <summary>The KIS TR id of index program trading.</summary>
    public const string TrId = "H0UPPGM0";

    /// <summary>The documented number of fields per record.</summary>
    public const int FieldCount = 88;

    /// <summary>The KIS name of each wire field, by position (the official sample's column list, its spellings kept: <c>arbt_smtm_…</c>, <c>whol_entm_ntby_qt</c>, <c>entm_ntby_qty_rat</c>, <c>whol_shun_…</c>).</summary>
    public static IReadOnlyList<string> KisFieldNames { get; } =
    [
        "bstp_cls_code", "bsop_hour",
        "arbt_seln_entm_cnqn", "arbt_seln_onsl_cnqn", "arbt_shnu_entm_cnqn", "arbt_shnu_onsl_cnqn",
        "nabt_seln_entm_cnqn", "nabt_seln_onsl_cnqn", "nabt_shnu_entm_cnqn", "nabt_shnu_onsl_cnqn",
        "arbt_seln_entm_cntg_amt", "arbt_seln_onsl_cntg_amt", "arbt_shnu_entm_cntg_amt", "arbt_shnu_onsl_cntg_amt",
        "nabt_seln_entm_cntg_amt", "nabt_seln_onsl_cntg_amt", "nabt_shnu_entm_cntg_amt", "nabt_shnu_onsl_cntg_amt",
        "arbt_smtn_seln_vol", "arbt_smtm_seln_vol_rate", "arbt_smtn_seln_tr_pbmn", "arbt_smtm_seln_tr_pbmn_rate",
        "arbt_smtn_shnu_vol", "arbt_smtm_shnu_vol_rate", "arbt_smtn_shnu_tr_pbmn", "arbt_smtm_shnu_tr_pbmn_rate",
        "arbt_smtn_ntby_qty", "arbt_smtm_ntby_qty_rate", "arbt_smtn_ntby_tr_pbmn", "arbt_smtm_ntby_tr_pbmn_rate",
        "nabt_smtn_seln_vol", "nabt_smtm_seln_vol_rate", "nabt_smtn_seln_tr_pbmn", "nabt_smtm_seln_tr_pbmn_rate",
        "nabt_smtn_shnu_vol", "nabt_smtm_shnu_vol_rate", "nabt_smtn_shnu_tr_pbmn", "nabt_smtm_shnu_tr_pbmn_rate",
        "nabt_smtn_ntby_qty", "nabt_smtm_ntby_qty_rate", "nabt_smtn_ntby_tr_pbmn", "nabt_smtm_ntby_tr_pbmn_rate",
        "whol_entm_seln_vol", "entm_seln_vol_rate", "whol_entm_seln_tr_pbmn", "entm_seln_tr_pbmn_rate",
        "whol_entm_shnu_vol", "entm_shnu_vol_rate", "whol_entm_shnu_tr_pbmn", "entm_shnu_tr_pbmn_rate",
        "whol_entm_ntby_qt", "entm_ntby_qty_rat", "whol_entm_ntby_tr_pbmn", "entm_ntby_tr_pbmn_rate",
        "whol_onsl_seln_vol", "onsl_seln_vol_rate", "whol_onsl_seln_tr_pbmn", "onsl_seln_tr_pbmn_rate",
        "whol_onsl_shnu_vol", "onsl_shnu_vol_rate", "whol_onsl_shnu_tr_pbmn", "onsl_shnu_tr_pbmn_rate",
        "whol_onsl_ntby_qty", "onsl_ntby_qty_rate", "whol_onsl_ntby_tr_pbmn", "onsl_ntby_tr_pbmn_rate",
        "total_seln_qty", "whol_seln_vol_rate", "total_seln_tr_pbmn", "whol_seln_tr_pbmn_rate",
        "shnu_cntg_smtn", "whol_shun_vol_rate", "total_shnu_tr_pbmn", "whol_shun_tr_pbmn_rate",
        "whol_ntby_qty", "whol_smtm_ntby_qty_rate", "whol_ntby_tr_pbmn", "whol_ntby_tr_pbmn_rate",
        "arbt_entm_ntby_qty", "arbt_entm_ntby_tr_pbmn", "arbt_onsl_ntby_qty", "arbt_onsl_ntby_tr_pbmn",
        "nabt_entm_ntby_qty", "nabt_entm_ntby_tr_pbmn", "nabt_onsl_ntby_qty", "nabt_onsl_ntby_tr_pbmn",
        "acml_vol", "acml_tr_pbmn",
    ];

    /// <summary>The KIS names of fields that were empty, <c>(null)</c> or unreadable on the wire (their value reads as 0). Empty when the record is complete.</summary>
    public IReadOnlyList<string> Missing { get; init; } = [];

    /// <summary>Where the update came from (the live WebSocket, or a recording of it).</summary>
    public TradeSource Source { get; init; } = TradeSource.WebSocket;

    /// <summary>True when every field was present on the wire.</summary>
    public bool IsComplete => Missing.Count == 0;

    /// <summary>The registration this update arrives on (<see cref="Registration.Index(string)"/>).</summary>
    public Registration Registration => Registration.Index(IndexCode);
}
