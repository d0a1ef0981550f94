namespace KisFeed;

/// <summary>Counters since the client was created.</summary>
/// <param name="State">The connection state now.</param>
/// <param name="FramesReceived">Data frames received.</param>
/// <param name="RecordsReceived">Records read from them and delivered.</param>
/// <param name="RecordsDropped">Records lost to consumers' full buffers.</param>
/// <param name="RejectedFrames">Frames (or parts of frames) that could not be read; see <see cref="KisRealtimeClient.FrameRejected"/>.</param>
/// <param name="ControlMessages">JSON control messages received (PINGPONG included).</param>
/// <param name="PingPongs">PINGPONG heartbeats answered.</param>
/// <param name="Reconnects">Reconnections after a loss.</param>
/// <param name="Registrations">Registrations held now.</param>
/// <param name="ConnectedSince">When the current connection was made (null while down).</param>
/// <param name="LastMessageAt">When anything last arrived.</param>
/// <param name="DamagedRecords">Frames with a damaged numeric field whose records were delivered with it flagged Missing.</param>
/// <param name="Gaps">Data gaps reported.</param>
/// <param name="EventsDropped">Public events dropped because handlers fell behind (the dispatcher's queue holds 4096).</param>
public sealed record KisClientStatistics(
    ConnectionState State,
    long FramesReceived,
    long RecordsReceived,
    long RecordsDropped,
    long RejectedFrames,
    long ControlMessages,
    long PingPongs,
    long Reconnects,
    int Registrations,
    DateTimeOffset? ConnectedSince,
    DateTimeOffset? LastMessageAt,
    long DamagedRecords = 0,
    long Gaps = 0,
    long EventsDropped = 0);
