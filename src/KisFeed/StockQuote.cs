namespace KisFeed;

/// <summary>
/// A stock's current price, from KIS REST 주식현재가 시세 (<c>inquire-price</c>, TR <c>FHKST01010100</c>): the field names
/// in brackets are those of the official field list.
/// </summary>
/// <param name="Venue">The market asked (<c>FID_COND_MRKT_DIV_CODE</c> J / NX / UN).</param>
/// <param name="Code">The stock code (<c>FID_INPUT_ISCD</c>).</param>
/// <param name="Price">Current price, KRW (<c>stck_prpr</c>).</param>
/// <param name="Change">Change from the previous close, KRW, signed (<c>prdy_vrss</c>).</param>
/// <param name="ChangeSign">The change's sign as KIS codes it (<c>prdy_vrss_sign</c>).</param>
/// <param name="ChangePercent">Change from the previous close, % (<c>prdy_ctrt</c>).</param>
/// <param name="AccumulatedVolume">Shares traded today (<c>acml_vol</c>).</param>
/// <param name="AccumulatedValue">Value traded today, KRW (<c>acml_tr_pbmn</c>).</param>
/// <param name="Open">Today's open, KRW (<c>stck_oprc</c>; 0 before the first trade).</param>
/// <param name="High">Today's high, KRW (<c>stck_hgpr</c>).</param>
/// <param name="Low">Today's low, KRW (<c>stck_lwpr</c>).</param>
/// <param name="ReferencePrice">The price the change is measured from, KRW (<c>stck_sdpr</c>, 기준가: the previous close; price − change when absent).</param>
/// <param name="ReceivedAt">When the answer arrived (the client's clock).</param>
public sealed record StockQuote(
    Venue Venue,
    string Code,
    long Price,
    long Change,
    PriceChangeSign ChangeSign,
    decimal ChangePercent,
    long AccumulatedVolume,
    long AccumulatedValue,
    long Open,
    long High,
    long Low,
    long ReferencePrice,
    DateTimeOffset ReceivedAt);
