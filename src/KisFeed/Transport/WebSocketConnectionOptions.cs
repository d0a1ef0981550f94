namespace KisFeed.Transport;

/// <summary>Settings of a <see cref="WebSocketConnection"/>. Immutable: write <c>Default with { ... }</c>.</summary>
internal sealed record WebSocketConnectionOptions
{
    /// <summary>The defaults: 10 s connect, 4 MiB messages, 2 s close wait, 16 KiB initial buffer, user agent <c>KisFeed</c>.</summary>
    public static WebSocketConnectionOptions Default { get; } = new();

    /// <summary>Longest time for TCP connect, TLS (wss) and the HTTP upgrade handshake, each.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Largest reassembled message accepted; a bigger one closes the connection with 1009 (message too big).</summary>
    public int MaxMessageSize { get; init; } = 4 * 1024 * 1024;

    /// <summary>How long <see cref="WebSocketConnection.CloseAsync"/> waits for the peer's Close frame before shutting the stream.</summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Initial size of the pooled receive buffer; it grows (up to about <see cref="MaxMessageSize"/>) when a frame needs it.</summary>
    public int InitialReceiveBufferSize { get; init; } = 16 * 1024;

    /// <summary>Extra HTTP request headers sent with the upgrade request (names and values must not contain CR or LF).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> RequestHeaders { get; init; } = [];

    /// <summary>The <c>User-Agent</c> header of the upgrade request; <see langword="null"/> or empty to send none.</summary>
    public string? UserAgent { get; init; } = "KisFeed";
}
