using System.Net.WebSockets;
namespace KisFeed.Transport;

internal enum WebSocketMessageKind { Text, Binary, Close }
internal readonly record struct WebSocketMessage(WebSocketMessageKind Kind, ReadOnlyMemory<byte> Payload, WebSocketCloseStatus? CloseStatus, string? CloseDescription);
internal sealed record WebSocketConnectionOptions { public static WebSocketConnectionOptions Default { get; } = new(); public TimeSpan ConnectTimeout { get; init; } }
internal sealed class WebSocketConnection : IAsyncDisposable
{
    public static Task<WebSocketConnection> ConnectAsync(Uri uri, WebSocketConnectionOptions o, CancellationToken ct) => throw new NotImplementedException();
    public bool IsOpen => false;
    public ValueTask<WebSocketMessage> ReceiveAsync(CancellationToken ct) => throw new NotImplementedException();
    public ValueTask SendTextAsync(ReadOnlyMemory<byte> m, CancellationToken ct) => throw new NotImplementedException();
    public ValueTask CloseAsync(WebSocketCloseStatus s, string? d, CancellationToken ct) => throw new NotImplementedException();
    public void Abort() { }
    public ValueTask DisposeAsync() => default;
}
