namespace KisFeed.Simulator;

/// <summary>A snapshot of one live session.</summary>
/// <param name="Id">Session id (unique per simulator, starts at 1).</param>
/// <param name="AppKey">The app key the session is bound to, or <see langword="null"/> before its first valid message.</param>
/// <param name="Registrations">Current registrations, in registration order.</param>
/// <param name="PingsSent">PINGPONG frames sent.</param>
/// <param name="PongsReceived">PINGPONG echoes received.</param>
/// <param name="FramesSent">Data frames sent.</param>
/// <param name="RecordsSent">Data records sent.</param>
/// <param name="ConnectedAt">When the WebSocket was accepted (simulator clock).</param>
public sealed record SimulatorSessionInfo(
    long Id,
    string? AppKey,
    IReadOnlyList<SimulatorRegistration> Registrations,
    long PingsSent,
    long PongsReceived,
    long FramesSent,
    long RecordsSent,
    DateTimeOffset ConnectedAt);
