using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;

using KisFeed.Transport;

namespace KisFeed.TestKit;

/// <summary>
/// An in-memory stand-in for the network: each connect makes a duplex pair whose server end the test takes with
/// <see cref="AcceptAsync"/>. Nothing here knows the KIS protocol; the test writes the server's JSON and frames itself.
/// </summary>
public sealed class InMemoryTransport : IKisTransport
{
    private readonly Channel<InMemoryServerEnd> _accepted = Channel.CreateUnbounded<InMemoryServerEnd>();
    private int _attempts; // Interlocked
    private volatile string? _refuse;

    /// <summary>Connect attempts so far (refused ones included).</summary>
    public int Attempts => Volatile.Read(ref _attempts);

    /// <summary>While set, connects fail with an <see cref="IOException"/> carrying this text.</summary>
    public string? Refuse
    {
        get => _refuse;
        set => _refuse = value;
    }

    async Task<IKisConnection> IKisTransport.ConnectAsync(Uri uri, TimeSpan connectTimeout, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _attempts);
        await Task.Yield();
        cancellationToken.ThrowIfCancellationRequested();
        if (_refuse is { } why)
        {
            throw new IOException(why);
        }

        var toServer = Channel.CreateUnbounded<Frame>();
        var toClient = Channel.CreateUnbounded<Frame>();
        var client = new InMemoryClientEnd(toServer.Writer, toClient.Reader);
        var server = new InMemoryServerEnd(toClient.Writer, toServer.Reader, client);
        _accepted.Writer.TryWrite(server);
        return client;
    }

    /// <summary>The server end of the next connection the client makes.</summary>
    public async Task<InMemoryServerEnd> AcceptAsync(CancellationToken ct)
    {
        try
        {
            return await _accepted.Reader.ReadAsync(ct);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("Timed out waiting for the client to connect");
        }
    }

    internal readonly record struct Frame(byte[]? Text, bool Close);
}

/// <summary>The client end: what the session reads from and writes to.</summary>
internal sealed class InMemoryClientEnd(ChannelWriter<InMemoryTransport.Frame> toServer, ChannelReader<InMemoryTransport.Frame> fromServer) : IKisConnection
{
    private readonly CancellationTokenSource _aborted = new();
    private volatile bool _closed;

    public bool IsOpen => !_closed;

    public async ValueTask<WebSocketMessage> ReceiveAsync(CancellationToken cancellationToken)
    {
        InMemoryTransport.Frame frame;
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _aborted.Token);
        try
        {
            frame = await fromServer.ReadAsync(either.Token);
        }
        catch (ChannelClosedException ex)
        {
            _closed = true;
            throw new IOException("the connection was reset (in-memory transport)", ex);
        }
        catch (OperationCanceledException) when (_aborted.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new IOException("the connection was aborted (in-memory transport)");
        }

        if (frame.Close)
        {
            _closed = true;
            return new WebSocketMessage(WebSocketMessageKind.Close, ReadOnlyMemory<byte>.Empty, WebSocketCloseStatus.NormalClosure, "server closed");
        }

        return new WebSocketMessage(WebSocketMessageKind.Text, frame.Text);
    }

    public ValueTask SendTextAsync(ReadOnlyMemory<byte> utf8, CancellationToken cancellationToken)
    {
        if (_closed || !toServer.TryWrite(new InMemoryTransport.Frame(utf8.ToArray(), false)))
        {
            throw new IOException("the connection is closed (in-memory transport)");
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask CloseAsync(WebSocketCloseStatus status, string? description, CancellationToken cancellationToken)
    {
        if (!_closed)
        {
            _closed = true;
            toServer.TryWrite(new InMemoryTransport.Frame(null, true));
            toServer.TryComplete();
        }

        return ValueTask.CompletedTask;
    }

    public void Abort()
    {
        _closed = true;
        toServer.TryComplete(new IOException("aborted by the client"));
        _aborted.Cancel();
    }

    internal void ResetByServer(ChannelWriter<InMemoryTransport.Frame> toClient)
    {
        toClient.TryComplete(new IOException("reset by the server"));
        toServer.TryComplete();
    }

    public ValueTask DisposeAsync()
    {
        Abort();
        return ValueTask.CompletedTask;
    }
}

/// <summary>The server end, driven by the test: read what the client sent, send replies and frames, drop or close.</summary>
public sealed class InMemoryServerEnd
{
    private readonly ChannelWriter<InMemoryTransport.Frame> _toClient;
    private readonly ChannelReader<InMemoryTransport.Frame> _fromClient;
    private readonly InMemoryClientEnd _client;
    private volatile bool _clientGone;

    internal InMemoryServerEnd(ChannelWriter<InMemoryTransport.Frame> toClient, ChannelReader<InMemoryTransport.Frame> fromClient, InMemoryClientEnd client)
    {
        _toClient = toClient;
        _fromClient = fromClient;
        _client = client;
    }

    /// <summary>True once the client closed or aborted its end (seen when reading).</summary>
    public bool ClientGone => _clientGone || _fromClient.Completion.IsCompleted;

    /// <summary>True when the client ended with a close frame (a clean close), false while open or after an abort (seen when reading).</summary>
    public bool ClosedCleanly { get; private set; }

    /// <summary>The next text the client sent; null when it closed or dropped the connection.</summary>
    public async Task<string?> ReadAsync(CancellationToken ct)
    {
        try
        {
            while (true)
            {
                InMemoryTransport.Frame frame = await _fromClient.ReadAsync(ct);
                if (frame.Close)
                {
                    ClosedCleanly = true;
                    _clientGone = true;
                    return null;
                }

                return Encoding.UTF8.GetString(frame.Text!);
            }
        }
        catch (ChannelClosedException)
        {
            _clientGone = true;
            return null;
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException("Timed out waiting for the client to send");
        }
    }

    public void Send(string text) => Send(Encoding.UTF8.GetBytes(text));

    public void Send(byte[] bytes) => _toClient.TryWrite(new InMemoryTransport.Frame(bytes, false));

    /// <summary>A clean close from the server.</summary>
    public void Close()
    {
        _toClient.TryWrite(new InMemoryTransport.Frame(null, true));
        _toClient.TryComplete();
    }

    /// <summary>The connection breaks (like a TCP reset): the client's next receive fails.</summary>
    public void Drop() => _client.ResetByServer(_toClient);
}
