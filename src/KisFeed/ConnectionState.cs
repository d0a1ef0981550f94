namespace KisFeed;

/// <summary>The session's connection state.</summary>
public enum ConnectionState
{
    /// <summary>Not started, or stopped.</summary>
    Disconnected,

    /// <summary>Getting an approval key, connecting, or re-sending registrations.</summary>
    Connecting,

    /// <summary>Connected; registrations are in place.</summary>
    Connected,

    /// <summary>The connection was lost; waiting for the backoff before the next attempt.</summary>
    Reconnecting,

    /// <summary>Disposed.</summary>
    Closed,
}
