namespace KisFeed.Simulator;

/// <summary>How <see cref="KisSimulator.DropAllSessionsAsync"/> ends sessions.</summary>
public enum DropMode
{
    /// <summary>TCP close without a close frame (an abnormal 1006 for the client).</summary>
    Abort,

    /// <summary>Close handshake with status 1000.</summary>
    CloseNormal,

    /// <summary>Close handshake with status 1011 (internal error).</summary>
    CloseError,
}
