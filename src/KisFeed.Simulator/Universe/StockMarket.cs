namespace KisFeed.Simulator;

/// <summary>The KRX market a listed stock belongs to.</summary>
public enum StockMarket
{
    /// <summary>유가증권시장 (KOSPI): index <c>0001</c>; its large caps make up <c>2001</c> (KOSPI200).</summary>
    Kospi,

    /// <summary>코스닥 (KOSDAQ): index <c>1001</c>.</summary>
    Kosdaq,
}
