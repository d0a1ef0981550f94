using System.Net.WebSockets;

namespace KisFeed.Simulator;

/// <summary>One message queued for a session's writer: bytes, and for data the records (for the ledger).</summary>
internal sealed record Outgoing(
    OutKind Kind,
    ReadOnlyMemory<byte> Bytes,
    string? TrId = null,
    List<string[]>? Records = null,
    WebSocketCloseStatus CloseStatus = WebSocketCloseStatus.NormalClosure,
    TaskCompletionSource? Written = null);
