using System.Net.WebSockets;

namespace KisFeed.Transport;

/// <summary>What a <see cref="WebSocketMessage"/> carries.</summary>
internal enum WebSocketMessageKind
{
    /// <summary>A text message (opcode 1). The bytes are handed over as sent; they are never checked for valid UTF-8.</summary>
    Text = 0,

    /// <summary>A binary message (opcode 2).</summary>
    Binary = 1,

    /// <summary>The peer's Close frame. No further messages follow.</summary>
    Close = 2,
}

/// <summary>One reassembled WebSocket message, read in place from the connection's receive buffer.</summary>
/// <remarks>
/// <see cref="Payload"/> points into the connection's pooled receive buffer: it is valid only until the next call to
/// <see cref="WebSocketConnection.ReceiveAsync"/> (or until the connection is disposed). Copy it if you need it longer.
/// </remarks>
internal readonly struct WebSocketMessage
{
    /// <summary>Creates a message.</summary>
    public WebSocketMessage(WebSocketMessageKind kind, ReadOnlyMemory<byte> payload, WebSocketCloseStatus? closeStatus = null, string? closeDescription = null)
    {
        Kind = kind;
        Payload = payload;
        CloseStatus = closeStatus;
        CloseDescription = closeDescription;
    }

    /// <summary>Text, binary or close.</summary>
    public WebSocketMessageKind Kind { get; }

    /// <summary>
    /// The whole message (all fragments joined). For <see cref="WebSocketMessageKind.Close"/> this is the raw close
    /// body (2-byte status code followed by the reason), possibly empty. Valid until the next receive.
    /// </summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>The status code of a Close message; <see langword="null"/> when the peer sent none or for data messages.</summary>
    public WebSocketCloseStatus? CloseStatus { get; }

    /// <summary>The reason text of a Close message (decoded leniently), or <see langword="null"/> when there was none.</summary>
    public string? CloseDescription { get; }
}
