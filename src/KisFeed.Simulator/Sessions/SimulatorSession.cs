using System.Net.WebSockets;
using System.Threading.Channels;

using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace KisFeed.Simulator;

/// <summary>
/// One WebSocket connection. The receive loop runs on the request; a writer loop drains a bounded per-session queue,
/// so a slow or dead client never blocks the tick or other sessions (overflow aborts only this session).
/// </summary>
internal sealed partial class SimulatorSession
{
    private readonly KisSimulator _owner;
    private readonly HttpContext _context;
    private readonly WebSocket _socket;
    private readonly Channel<Outgoing> _queue;
    private readonly Lock _gate = new();
    private readonly List<SimulatorRegistration> _registrations = [];
    private readonly List<SimulatorLedgerEntry> _ledger;
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly (string Iv, string Key) _cipher;
    private ITimer? _pingTimer;
    private ITimer? _pongDeadline;
    private DateTimeOffset? _oldestUnansweredPing;
    private string? _boundApprovalKey;
    private long _pingsSent;
    private long _pongsReceived;
    private long _framesSent;
    private long _recordsSent;
    private volatile bool _closeSent;
    private int _aborted;

    public SimulatorSession(KisSimulator owner, long id, HttpContext context, WebSocket socket, List<SimulatorLedgerEntry> ledger)
    {
        _owner = owner;
        Id = id;
        _context = context;
        _socket = socket;
        _ledger = ledger;
        ConnectedAt = owner.Time.GetUtcNow();
        _queue = Channel.CreateBounded<Outgoing>(new BoundedChannelOptions(owner.Options.SendQueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite fails when full; we never wait
        });
        _cipher = (RandomAscii(16), RandomAscii(32));
    }

    public long Id { get; }

    public DateTimeOffset ConnectedAt { get; }

    /// <summary>App key the session is bound to (set at its first valid message, notes §11 item 7).</summary>
    public string? AppKey { get; set; }

    public Task Ended => _ended.Task;

    private ILogger Logger => _owner.Logger;

    public SimulatorSessionInfo Snapshot()
    {
        lock (_gate)
        {
            return new SimulatorSessionInfo(
                Id, AppKey, [.. _registrations], Interlocked.Read(ref _pingsSent), Interlocked.Read(ref _pongsReceived),
                Interlocked.Read(ref _framesSent), Interlocked.Read(ref _recordsSent), ConnectedAt);
        }
    }

    public SimulatorRegistration[] Registrations()
    {
        lock (_gate)
        {
            return [.. _registrations];
        }
    }

    /// <summary>Runs the session until the socket ends; returns whether a close handshake completed.</summary>
    public async Task<bool> RunAsync(CancellationToken ct)
    {
        TimeProvider tp = _owner.Time;
        _pingTimer = tp.CreateTimer(static s => ((SimulatorSession)s!).OnPingDue(), this, _owner.Options.PingInterval, _owner.Options.PingInterval);
        _pongDeadline = tp.CreateTimer(static s => ((SimulatorSession)s!).OnPongDeadline(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        using var writerCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task writer = Task.Run(() => WriterLoopAsync(writerCts.Token), CancellationToken.None);
        bool clean = false;
        try
        {
            clean = await ReceiveLoopAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or Microsoft.AspNetCore.Connections.ConnectionAbortedException)
        {
            clean = false;
        }
        finally
        {
            _pingTimer.Dispose();
            _pongDeadline.Dispose();
            _queue.Writer.TryComplete();
            await writerCts.CancelAsync().ConfigureAwait(false);
            try
            {
                await writer.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            while (_queue.Reader.TryRead(out Outgoing? left))
            {
                left.Written?.TrySetResult();
            }
        }

        return clean && Volatile.Read(ref _aborted) == 0;
    }

    public void MarkEnded() => _ended.TrySetResult();

    private async Task<bool> ReceiveLoopAsync(CancellationToken ct)
    {
        byte[] buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            ValueWebSocketReceiveResult r = await _socket.ReceiveAsync(buffer.AsMemory(), ct).ConfigureAwait(false);
            if (r.MessageType == WebSocketMessageType.Close)
            {
                if (!_closeSent && _socket.State == WebSocketState.CloseReceived)
                {
                    // Client-initiated close: complete the handshake (echo its status).
                    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5), _owner.Time);
                    await _socket.CloseOutputAsync(_socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, null, cts.Token).ConfigureAwait(false);
                }

                return true;
            }

            if (message.Length + r.Count > 1024 * 1024)
            {
                message.SetLength(0); // absurd message: discard [inferred]
                continue;
            }

            message.Write(buffer, 0, r.Count);
            if (!r.EndOfMessage)
            {
                continue;
            }

            // KIS speaks text frames only (notes §2); a binary frame is read the same way [inferred].
            Handle(message.GetBuffer().AsSpan(0, (int)message.Length));
            message.SetLength(0);
        }
    }

    private async Task WriterLoopAsync(CancellationToken ct)
    {
        try
        {
            await foreach (Outgoing m in _queue.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                await _owner.WaitWhileStalledAsync(ct).ConfigureAwait(false);
                try
                {
                    await WriteAsync(m, ct).ConfigureAwait(false);
                }
                finally
                {
                    m.Written?.TrySetResult();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException)
        {
            Log.SendFailed(Logger, Id, ex);
            Abort();
        }
    }

    private async Task WriteAsync(Outgoing m, CancellationToken ct)
    {
        switch (m.Kind)
        {
            case OutKind.Close:
                if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                {
                    _closeSent = true;
                    await _socket.CloseOutputAsync(m.CloseStatus, m.CloseStatus == WebSocketCloseStatus.NormalClosure ? "bye" : "internal error", ct).ConfigureAwait(false);
                }

                return;
            case OutKind.Ping:
                await _socket.SendAsync(m.Bytes, WebSocketMessageType.Text, true, ct).ConfigureAwait(false);
                lock (_gate)
                {
                    // The timeout runs from the oldest PINGPONG actually written and not yet echoed.
                    if (_oldestUnansweredPing is null)
                    {
                        _oldestUnansweredPing = _owner.Time.GetUtcNow();
                        _pongDeadline?.Change(_owner.Options.EffectivePingTimeout, Timeout.InfiniteTimeSpan);
                    }
                }

                Interlocked.Increment(ref _pingsSent);
                _owner.CountPing();
                return;
            case OutKind.Data:
                DateTimeOffset sentAt = _owner.Time.GetUtcNow();
                long seq = Interlocked.Increment(ref _framesSent);
                await _socket.SendAsync(m.Bytes, WebSocketMessageType.Text, true, ct).ConfigureAwait(false);
                Interlocked.Add(ref _recordsSent, m.Records!.Count);
                _owner.CountData(m.Records.Count);
                _owner.LedgerFile?.Append(Id, seq, sentAt, m.TrId!, m.Records);
                lock (_ledger)
                {
                    for (int i = 0; i < m.Records.Count && _ledger.Count < _owner.Options.LedgerCapacityPerSession; i++)
                    {
                        string[] f = m.Records[i];
                        _ledger.Add(new SimulatorLedgerEntry(Id, seq, i, m.TrId!, f[0], f, sentAt));
                    }
                }

                return;
            default:
                // Raw bytes go out as a TEXT frame without any UTF-8 validation (ManagedWebSocket does not validate on send).
                await _socket.SendAsync(m.Bytes, WebSocketMessageType.Text, true, ct).ConfigureAwait(false);
                return;
        }
    }

    /// <summary>Queues a frame; a full queue means the client is too slow: abort it (never block the caller).</summary>
    public bool Enqueue(Outgoing m)
    {
        if (_queue.Writer.TryWrite(m))
        {
            return true;
        }

        m.Written?.TrySetResult();
        if (Volatile.Read(ref _aborted) == 0 && !_ended.Task.IsCompleted)
        {
            Log.QueueOverflow(Logger, Id, _owner.Options.SendQueueCapacity);
            Abort();
        }

        return false;
    }

    /// <summary>Ends the TCP connection with no close frame.</summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0 || _ended.Task.IsCompleted)
        {
            return;
        }

        try
        {
            _context.Abort();
        }
        catch (ObjectDisposedException)
        {
            // The request finished between the check and the call: the connection is already gone.
        }
    }
}
