namespace KisFeed.Simulator;

/// <summary>
/// What a WebSocket subscription to a well-formed code outside the simulator's universe gets. KIS does not document
/// it; both are guesses [inferred] (notes §4.2 lists OPSP8992 "SUBSCRIBE ERROR : invalid tr_key"; notes §12 suspects a
/// subscription that succeeds and stays silent for stocks a venue does not list).
/// </summary>
public enum UnknownCodeReply
{
    /// <summary><c>OPSP8992 SUBSCRIBE ERROR : invalid tr_key</c> (rt_cd 1), nothing registered.</summary>
    Refuse,

    /// <summary>SUBSCRIBE SUCCESS (it counts toward the cap) and no data ever.</summary>
    Silent,
}
