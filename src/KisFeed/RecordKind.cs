namespace KisFeed;

/// <summary>
/// What a <see cref="Registration"/> brings: which family of KIS real-time TRs, and so what its key names. With the
/// registration's <see cref="Venue"/> it gives the TR id (<see cref="Registration.TrId"/>).
/// </summary>
/// <remarks>
/// Every kind shares a session's registration cap (41 at KIS) and is restored after a reconnect alike.
/// </remarks>
public enum RecordKind : byte
{
    /// <summary>
    /// Program trading of one stock: <c>H0STPGM0</c> (KRX), <c>H0NXPGM0</c> (NXT), <c>H0UNPGM0</c> (unified); the key is
    /// the stock's short code (<see cref="StockCode"/>), the records are <see cref="ProgramTrade"/>.
    /// </summary>
    StockProgramTrade = 0,

    /// <summary>
    /// Program trading of a whole index (업종): <c>H0UPPGM0</c>, one TR (KRX indices; the registration's venue is
    /// <see cref="Venue.Krx"/>); the key is a 4-digit index code (<see cref="KisFeed.IndexCode"/>), the records are
    /// <see cref="IndexProgramTrade"/>. Make one with <see cref="Registration.Index(string)"/>.
    /// </summary>
    IndexProgramTrade = 1,
}
