namespace KisFeed;

/// <summary>Where a <see cref="ProgramTrade"/> came from.</summary>
public enum TradeSource : byte
{
    /// <summary>Pushed live over the KIS WebSocket (or read back from a recording of it).</summary>
    WebSocket = 0,

    /// <summary>
    /// Read from the KIS REST history (<c>program-trade-by-stock</c>), used to seed a day or heal a gap. REST rows have
    /// no resting-order fields, so <see cref="ProgramTrade.AskResidual"/>, <see cref="ProgramTrade.BidResidual"/> and
    /// <see cref="ProgramTrade.NetBidResidual"/> are flagged in <see cref="ProgramTrade.Missing"/>.
    /// </summary>
    Rest = 1,
}
