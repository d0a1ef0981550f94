namespace KisFeed;

/// <summary>The 11 wire fields of a program-trading record, as flags (used to mark fields that were empty or <c>(null)</c>).</summary>
[Flags]
public enum ProgramTradeFields
{
    /// <summary>No field.</summary>
    None = 0,
    /// <summary><c>MKSC_SHRN_ISCD</c>.</summary>
    Code = 1 << 0,
    /// <summary><c>STCK_CNTG_HOUR</c>.</summary>
    Time = 1 << 1,
    /// <summary><c>SELN_CNQN</c>.</summary>
    SellVolume = 1 << 2,
    /// <summary><c>SELN_TR_PBMN</c>.</summary>
    SellValue = 1 << 3,
    /// <summary><c>SHNU_CNQN</c>.</summary>
    BuyVolume = 1 << 4,
    /// <summary><c>SHNU_TR_PBMN</c>.</summary>
    BuyValue = 1 << 5,
    /// <summary><c>NTBY_CNQN</c>.</summary>
    NetBuyVolume = 1 << 6,
    /// <summary><c>NTBY_TR_PBMN</c>.</summary>
    NetBuyValue = 1 << 7,
    /// <summary><c>SELN_RSQN</c>.</summary>
    AskResidual = 1 << 8,
    /// <summary><c>SHNU_RSQN</c>.</summary>
    BidResidual = 1 << 9,
    /// <summary><c>WHOL_NTBY_QTY</c>.</summary>
    NetBidResidual = 1 << 10,
}
