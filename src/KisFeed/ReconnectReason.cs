namespace KisFeed;

/// <summary>Why the session is waiting to reconnect; some reasons call for a longer wait.</summary>
public enum ReconnectReason
{
    /// <summary>The connection dropped, failed, or the watchdog saw no data.</summary>
    ConnectionLost,

    /// <summary>KIS answered <c>OPSP8996 ALREADY IN USE appkey</c>: an old session still holds the app key.</summary>
    AppKeyInUse,

    /// <summary>KIS rejected the approval key (<c>OPSP0011</c>); a new one is requested first.</summary>
    ApprovalRejected,
}
