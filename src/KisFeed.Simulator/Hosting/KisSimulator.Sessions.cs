using System.Net.WebSockets;

using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace KisFeed.Simulator;

// Sessions: the WebSocket endpoint, app-key binding, drops, raw frames, stalls and the ledger.
public sealed partial class KisSimulator
{
    /// <summary>Ends every live session and waits until they are gone.</summary>
    public async Task DropAllSessionsAsync(DropMode mode)
    {
        SimulatorSession[] sessions = [.. _sessions.Values];
        Log.Dropping(Logger, sessions.Length, mode);
        foreach (SimulatorSession s in sessions)
        {
            if (mode == DropMode.Abort)
            {
                s.Abort();
            }
            else
            {
                var status = mode == DropMode.CloseNormal ? WebSocketCloseStatus.NormalClosure : WebSocketCloseStatus.InternalServerError;
                if (!s.Enqueue(new Outgoing(OutKind.Close, default, CloseStatus: status)))
                {
                    continue;
                }

                // A client that never answers the close frame is cut after 5 s (simulator clock).
                _ = Task.Delay(TimeSpan.FromSeconds(5), Time, _shutdown.Token)
                    .ContinueWith(_ => s.Abort(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            }
        }

        await Task.WhenAll(sessions.Select(s => s.Ended)).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends <paramref name="bytes"/> as one TEXT frame to every live session, unvalidated (invalid UTF-8 such as 0xFF
    /// goes out as is, like the frames of notes §6/§10). Completes once written (after a <see cref="Stall"/> ends).
    /// </summary>
    public Task SendRawAsync(ReadOnlyMemory<byte> bytes)
    {
        byte[] copy = bytes.ToArray();
        var waits = new List<Task>();
        foreach (SimulatorSession s in _sessions.Values)
        {
            var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            s.Enqueue(new Outgoing(OutKind.Text, copy, Written: written));
            waits.Add(written.Task);
        }

        return Task.WhenAll(waits);
    }

    /// <summary>
    /// <see langword="true"/>: stop writing anything (data, PINGPONG, replies) while TCP stays open; no market data is
    /// generated meanwhile. <see langword="false"/>: resume (queued replies go out).
    /// </summary>
    public void Stall(bool stalled)
    {
        if (stalled)
        {
            if (!IsStalled)
            {
                _stallGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
        else
        {
            _stallGate.TrySetResult();
        }
    }

    /// <summary>
    /// Whether data for <paramref name="trId"/> flows now: it is one of <see cref="ServedTrIds"/> and its venue is in
    /// session at the simulator's clock (always, with <see cref="MarketHours.AlwaysOpen"/>); index program trading follows KRX.
    /// </summary>
    public bool IsOpenNow(string trId) =>
        (TrIds.TryGetVenue(trId, out Venue venue) || trId == TrIds.Index) && KoreaTime.IsOpen(Options.Hours, trId == TrIds.Index ? Venue.Krx : venue, Time.GetUtcNow());

    /// <summary>Every approval key issued so far answers OPSP0011 from now on, on live sessions too.</summary>
    public void InvalidateApprovalKeys()
    {
        foreach (KeyValuePair<string, ApprovalRecord> kv in _approvalKeys)
        {
            _approvalKeys[kv.Key] = kv.Value with { Invalidated = true };
        }
    }

    /// <summary>Every data record written so far, all sessions (including ended ones), in session then send order.</summary>
    public IReadOnlyList<SimulatorLedgerEntry> GetLedger() =>
        [.. _ledgers.OrderBy(kv => kv.Key).SelectMany(kv => Copy(kv.Value))];

    /// <summary>Every data record written to one session, in send order (empty for an unknown id).</summary>
    public IReadOnlyList<SimulatorLedgerEntry> GetLedger(long sessionId) =>
        _ledgers.TryGetValue(sessionId, out List<SimulatorLedgerEntry>? l) ? Copy(l) : [];

    /// <summary>
    /// Checks the approval key of a message (notes §11 item 3). Natural expiry only stops a key from binding a NEW
    /// session: KIS uses the key once at connect (notes §1.1, "365일 내내"). <see cref="InvalidateApprovalKeys"/> hits
    /// every message. Binds the session to the key's app key at its first valid message; a second live session on the
    /// same app key (or a locked app key) gets OPSP8996 with rt_cd "9" (notes §4.3, §8.1).
    /// </summary>
    internal ControlReply? Authorize(SimulatorSession session, string? approvalKey, ref string? boundApprovalKey)
    {
        if (approvalKey is null || !_approvalKeys.TryGetValue(approvalKey, out ApprovalRecord? rec) || rec.Invalidated)
        {
            return ControlReply.InvalidApproval(approvalKey);
        }

        if (session.AppKey is not null)
        {
            if (approvalKey == boundApprovalKey)
            {
                return null;
            }

            if (rec.AppKey != session.AppKey || Expired(rec))
            {
                return ControlReply.InvalidApproval(approvalKey);
            }

            boundApprovalKey = approvalKey;
            return null;
        }

        if (Expired(rec))
        {
            return ControlReply.InvalidApproval(approvalKey);
        }

        lock (_bindGate)
        {
            bool lockedOut = _appKeyLockedUntil.TryGetValue(rec.AppKey, out DateTimeOffset until) && Time.GetUtcNow() < until;
            if (lockedOut || _sessions.Values.Any(s => s != session && s.AppKey == rec.AppKey))
            {
                Log.AlreadyInUse(Logger, session.Id, Redact.Key(rec.AppKey));
                Interlocked.Increment(ref _alreadyInUseReplies);
                return ControlReply.AlreadyInUse;
            }

            session.AppKey = rec.AppKey;
            int onKey = _sessions.Values.Count(s => s.AppKey == rec.AppKey);
            if (onKey > _mostSessionsOnOneKey)
            {
                Volatile.Write(ref _mostSessionsOnOneKey, onKey);
            }
        }

        boundApprovalKey = approvalKey;
        Log.Bound(Logger, session.Id, Redact.Key(rec.AppKey));
        return null;
    }

    private bool Expired(ApprovalRecord rec) => Time.GetUtcNow() - rec.IssuedAt >= Options.ApprovalKeyLifetime;

    private static List<SimulatorLedgerEntry> Copy(List<SimulatorLedgerEntry> l)
    {
        lock (l)
        {
            return [.. l];
        }
    }

    private async Task HandleFallbackAsync(HttpContext context)
    {
        IHttpUpgradeFeature? upgrade = context.Features.Get<IHttpUpgradeFeature>();
        string? wsKey = context.Request.Headers["Sec-WebSocket-Key"];
        if (upgrade is not { IsUpgradableRequest: true }
            || !HttpMethods.IsGet(context.Request.Method)
            || !string.Equals(context.Request.Headers.Upgrade, "websocket", StringComparison.OrdinalIgnoreCase)
            || string.IsNullOrEmpty(wsKey))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        // Any path is accepted: the TR is chosen by the subscribe JSON, not the URL (notes §2).
        // The RFC 6455 handshake is done here (not by UseWebSockets) so the stream can be wrapped to see the client's
        // PING/PONG control frames. No RFC pings from the server: PINGPONG is the heartbeat (notes §5).
        context.Response.Headers.Connection = "Upgrade";
        context.Response.Headers.Upgrade = "websocket";
        context.Response.Headers["Sec-WebSocket-Accept"] = Convert.ToBase64String(
            System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.ASCII.GetBytes(wsKey + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
        Stream opaque = await upgrade.UpgradeAsync().ConfigureAwait(false);
        long id = Interlocked.Increment(ref _nextSessionId);
        SimulatorSession? session = null;
        var sniffer = new ControlFrameSniffer(opaque, (op, payload) => session?.OnControlFrame(op, payload));
        using WebSocket socket = WebSocket.CreateFromStream(sniffer, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
        var ledger = new List<SimulatorLedgerEntry>();
        _ledgers[id] = ledger;
        session = new SimulatorSession(this, id, context, socket, ledger);
        _sessions[id] = session;
        Log.SessionConnected(Logger, id, context.Connection.RemoteIpAddress?.ToString());
        bool clean = false;
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _shutdown.Token);
            clean = await session.RunAsync(cts.Token).ConfigureAwait(false);
        }
        finally
        {
            lock (_bindGate)
            {
                _sessions.TryRemove(id, out _);
                if (!clean && session.AppKey is { } appKey && Options.AppKeyLockAfterAbnormalClose > TimeSpan.Zero)
                {
                    // Notes §8.1/§10: after an abnormal close KIS keeps the app key "in use" for a while.
                    _appKeyLockedUntil[appKey] = Time.GetUtcNow() + Options.AppKeyLockAfterAbnormalClose;
                }
            }

            Log.SessionEnded(Logger, id, clean);
            session.MarkEnded();
            if (!clean)
            {
                context.Abort();
            }
        }
    }
}
