namespace KisFeed;

/// <summary>A KRX market, as the REST market totals take it (<c>FID_MRKT_CLS_CODE</c> <c>K</c>/<c>Q</c>, <c>MRKT_DIV_CLS_CODE</c> <c>1</c>/<c>4</c>).</summary>
public enum KrxMarket : byte
{
    /// <summary>KOSPI (유가증권시장): <c>K</c>, investor view <c>1</c>.</summary>
    Kospi = 0,

    /// <summary>KOSDAQ: <c>Q</c>, investor view <c>4</c>.</summary>
    Kosdaq = 1,
}
