using System.Net.WebSockets;

namespace KisFeed.Transport;

/// <summary>The TCP (or TLS) connection to the WebSocket server could not be made.</summary>
internal sealed class WebSocketConnectException : IOException
{
    /// <summary>Creates the exception.</summary>
    public WebSocketConnectException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The server did not accept the HTTP/1.1 upgrade to WebSocket (non-101 answer, bad accept key, bad headers).</summary>
internal sealed class WebSocketHandshakeException : IOException
{
    /// <summary>Creates the exception.</summary>
    public WebSocketHandshakeException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    /// <summary>The HTTP status code the server answered with, when a status line was read.</summary>
    public int? StatusCode { get; init; }
}

/// <summary>The peer broke RFC 6455 (or sent a message over the size limit); the connection was failed with <see cref="CloseStatus"/>.</summary>
internal sealed class WebSocketProtocolException : IOException
{
    /// <summary>Creates the exception.</summary>
    public WebSocketProtocolException(WebSocketCloseStatus closeStatus, string message)
        : base(message)
    {
        CloseStatus = closeStatus;
    }

    /// <summary>The status sent to the peer in our Close frame (1002 protocol error, 1009 message too big).</summary>
    public WebSocketCloseStatus CloseStatus { get; }
}

/// <summary>The byte stream ended (TCP FIN/reset) without the peer sending a Close frame first.</summary>
internal sealed class WebSocketConnectionClosedException : IOException
{
    /// <summary>Creates the exception.</summary>
    public WebSocketConnectionClosedException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
