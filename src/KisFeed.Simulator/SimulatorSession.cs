using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Channels;

using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace KisFeed.Simulator;

internal enum OutKind
{
    Text,
    Ping,
    Data,
    Close,
}

internal sealed record Outgoing(
    OutKind Kind,
    ReadOnlyMemory<byte> Bytes,
    string? TrId = null,
    List<string[]>? Records = null,
    WebSocketCloseStatus CloseStatus = WebSocketCloseStatus.NormalClosure,
    TaskCompletionSource? Written = null);

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

    private void OnPingDue()
    {
        if (_owner.IsStalled || _ended.Task.IsCompleted)
        {
            return; // a stalled server sends nothing, PINGPONG included
        }

        Enqueue(new Outgoing(OutKind.Ping, ControlReply.PingPong(_owner.Time.GetUtcNow())));
    }

    private void OnPongDeadline()
    {
        lock (_gate)
        {
            if (_oldestUnansweredPing is null)
            {
                return;
            }
        }

        Log.PingTimeout(Logger, Id, _owner.Options.EffectivePingTimeout);
        Abort();
    }

    private void Handle(ReadOnlySpan<byte> utf8)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(utf8.ToArray());
        }
        catch (JsonException)
        {
            Reply(ControlReply.InvalidJson, null, null, null, null);
            return;
        }

        using (doc)
        {
            HandleDocument(doc.RootElement);
        }
    }

    private void HandleDocument(JsonElement root)
    {
        // Validation order: notes §11 item 3 (inferred there): JSON → header → body → input → tr_type → custtype →
        // approval_key (OPSP0011 / session OPSP8996) → tr_id → tr_key → duplicate → count.
        if (root.ValueKind != JsonValueKind.Object)
        {
            Reply(ControlReply.InvalidJson, null, null, null, null);
            return;
        }

        if (!root.TryGetProperty("header", out JsonElement header) || header.ValueKind != JsonValueKind.Object)
        {
            Reply(ControlReply.HeaderNotFound, null, null, null, null);
            return;
        }

        // PINGPONG echo (notes §5: the client sends the received JSON back as a text frame).
        if (Str(header, "tr_id") == "PINGPONG")
        {
            OnPong();
            return;
        }

        string? trType = Str(header, "tr_type");
        if (!root.TryGetProperty("body", out JsonElement body) || body.ValueKind != JsonValueKind.Object)
        {
            Reply(ControlReply.BodyNotFound, trType, null, null, null);
            return;
        }

        if (!body.TryGetProperty("input", out JsonElement input) || input.ValueKind != JsonValueKind.Object)
        {
            Reply(ControlReply.InputNotFound, trType, null, null, null);
            return;
        }

        string? trId = Str(input, "tr_id");
        string? trKey = Str(input, "tr_key");
        if (trType is not ("1" or "2"))
        {
            Reply(ControlReply.InvalidTrType, trType, trId, trKey, null);
            return;
        }

        string? custType = Str(header, "custtype");
        if (custType is null)
        {
            Reply(ControlReply.CustTypeNotFound, trType, trId, trKey, null);
            return;
        }

        if (custType is not ("P" or "B"))
        {
            Reply(ControlReply.InvalidCustType, trType, trId, trKey, null);
            return;
        }

        string? approvalKey = Str(header, "approval_key");
        ControlReply? keyError = _owner.Authorize(this, approvalKey, ref _boundApprovalKey);
        if (keyError is { } ke)
        {
            Reply(ke, trType, trId, trKey, null);
            return;
        }

        bool pgm = trId is not null && TrIds.TryGetVenue(trId, out _);
        if (trId is null || !(pgm || TrIds.OtherAccepted.Contains(trId)))
        {
            Reply(ControlReply.InvalidTrId, trType, trId, trKey, null);
            return;
        }

        if (trKey is null)
        {
            Reply(ControlReply.TrKeyNotFound, trType, trId, trKey, null);
            return;
        }

        if (!(pgm ? StockCode().IsMatch(trKey) : OtherKey().IsMatch(trKey)))
        {
            Reply(ControlReply.InvalidTrKey, trType, trId, trKey, null);
            return;
        }

        var reg = new SimulatorRegistration(trId, trKey);
        ControlReply outcome;
        lock (_gate)
        {
            bool exists = _registrations.Contains(reg);
            if (trType == "1")
            {
                if (exists)
                {
                    outcome = ControlReply.AlreadySubscribed;
                }
                else if (_registrations.Count >= _owner.Options.MaxRegistrations)
                {
                    outcome = ControlReply.MaxSubscribeOver; // the socket stays open (notes §8.1)
                }
                else
                {
                    _registrations.Add(reg);
                    outcome = ControlReply.SubscribeSuccess;
                }
            }
            else
            {
                outcome = exists && _registrations.Remove(reg) ? ControlReply.UnsubscribeSuccess : ControlReply.UnsubscribeNotFound;
            }
        }

        Reply(outcome, trType, trId, trKey, outcome.MsgCd == "OPSP0000" ? _cipher : null);
        if (!pgm && outcome.MsgCd == "OPSP0000")
        {
            // KIS-like: the subscription succeeds; but nothing will ever come, so say so (once per TR, not per code).
            _owner.WarnUnservedOnce(trId);
        }
    }

    /// <summary>A client PING (0x9) or PONG (0xA) control frame, seen by <see cref="ControlFrameSniffer"/>.</summary>
    public void OnControlFrame(byte opcode, byte[] payload)
    {
        if (opcode is not (0x9 or 0xA))
        {
            return;
        }

        if (IsPingPongJson(payload))
        {
            OnPong(); // notes §5 variants 1 (pong frame) and 3 (ping frame) carry the received JSON
            return;
        }

        if (opcode == 0xA)
        {
            _owner.CountUnsolicitedPong();
        }

        if (opcode == 0xA && _owner.Options.AbortOnUnsolicitedPong)
        {
            Log.UnsolicitedPong(Logger, Id);
            Abort();
        }
    }

    private static bool IsPingPongJson(byte[] payload)
    {
        try
        {
            using var doc = JsonDocument.Parse(payload);
            return doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("header", out JsonElement h)
                && h.ValueKind == JsonValueKind.Object
                && Str(h, "tr_id") == "PINGPONG";
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private void OnPong()
    {
        Interlocked.Increment(ref _pongsReceived);
        lock (_gate)
        {
            _oldestUnansweredPing = null;
            _pongDeadline?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    private void Reply(ControlReply reply, string? trType, string? trId, string? trKey, (string, string)? output)
    {
        Log.ControlHandled(Logger, Id, trType, trId, trKey, reply.MsgCd);
        byte[] bytes = reply.ToUtf8(trId, trKey, output, _owner.Options.ErrorReplyShape);
        (ControlReplyFault fault, TimeSpan delay) = _owner.TakeReplyFault();
        switch (fault)
        {
            case ControlReplyFault.Drop:
                Log.ReplyFault(Logger, Id, fault, reply.MsgCd);
                return;
            case ControlReplyFault.Duplicate:
                Log.ReplyFault(Logger, Id, fault, reply.MsgCd);
                Enqueue(new Outgoing(OutKind.Text, bytes));
                Enqueue(new Outgoing(OutKind.Text, bytes));
                return;
            case ControlReplyFault.Delay:
                Log.ReplyFault(Logger, Id, fault, reply.MsgCd);
                _ = _owner.DelayAsync(delay).ContinueWith(
                    _ => Enqueue(new Outgoing(OutKind.Text, bytes)), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
                return;
            default:
                Enqueue(new Outgoing(OutKind.Text, bytes));
                return;
        }
    }

    private static string? Str(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string RandomAscii(int length)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        return string.Create(length, 0, static (span, _) =>
        {
            for (int i = 0; i < span.Length; i++)
            {
                span[i] = alphabet[Random.Shared.Next(alphabet.Length)];
            }
        });
    }

    /// <summary>6-character short code (digits, or KRX's newer alphanumeric codes); ETN 'Q' + 6 digits (notes §3).</summary>
    [GeneratedRegex("^(?:[0-9][0-9A-Z]{5}|Q[0-9]{6})$", RegexOptions.CultureInvariant)]
    private static partial Regex StockCode();

    /// <summary>Other accepted TRs (index codes such as 0001, etc.): 1–12 printable ASCII [inferred].</summary>
    [GeneratedRegex("^[0-9A-Za-z]{1,12}$", RegexOptions.CultureInvariant)]
    private static partial Regex OtherKey();

    internal static byte[] FormatDataFrame(string trId, List<string[]> records)
    {
        // Notes §6: "0|<TR>|<NNN>|" then count × 11 values joined by '^' — no record separator.
        var sb = new StringBuilder(32 + (records.Count * 120));
        sb.Append("0|").Append(trId).Append('|').Append(records.Count.ToString("D3", System.Globalization.CultureInfo.InvariantCulture)).Append('|');
        for (int r = 0; r < records.Count; r++)
        {
            string[] f = records[r];
            for (int i = 0; i < f.Length; i++)
            {
                if (r > 0 || i > 0)
                {
                    sb.Append('^');
                }

                sb.Append(f[i]);
            }
        }

        return Encoding.UTF8.GetBytes(sb.ToString());
    }
}
