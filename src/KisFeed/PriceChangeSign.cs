namespace KisFeed;

/// <summary>The sign of a price change as KIS codes it (<c>prdy_vrss_sign</c>).</summary>
public enum PriceChangeSign : byte
{
    /// <summary>Not given or not understood.</summary>
    Unknown = 0,

    /// <summary><c>1</c> 상한: up to the daily limit.</summary>
    UpperLimit = 1,

    /// <summary><c>2</c> 상승: up.</summary>
    Up = 2,

    /// <summary><c>3</c> 보합: unchanged.</summary>
    Unchanged = 3,

    /// <summary><c>4</c> 하한: down to the daily limit.</summary>
    LowerLimit = 4,

    /// <summary><c>5</c> 하락: down.</summary>
    Down = 5,
}
