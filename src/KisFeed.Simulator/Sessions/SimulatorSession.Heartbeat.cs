using System.Text.Json;

namespace KisFeed.Simulator;

// PINGPONG: the server's heartbeat, the echo deadline, and the client's RFC 6455 PING/PONG frames.
internal sealed partial class SimulatorSession
{
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
}
