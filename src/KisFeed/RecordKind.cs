namespace KisFeed;

/// <summary>
/// What a <see cref="Registration"/> brings: which family of KIS real-time TRs, and so what its key names. With the
/// registration's <see cref="Venue"/> it gives the TR id (<see cref="Registration.TrId"/>).
/// </summary>
/// <remarks>
/// Every kind shares a session's registration cap (41 at KIS). Index program trading (<c>H0UPPGM0</c>, keyed by an
/// index code such as <c>0001</c>) is the next kind to come, on the same path.
/// </remarks>
public enum RecordKind : byte
{
    /// <summary>
    /// Program trading of one stock: <c>H0STPGM0</c> (KRX), <c>H0NXPGM0</c> (NXT), <c>H0UNPGM0</c> (unified); the key is
    /// the stock's short code (<see cref="StockCode"/>), the records are <see cref="ProgramTrade"/>.
    /// </summary>
    StockProgramTrade = 0,
}
