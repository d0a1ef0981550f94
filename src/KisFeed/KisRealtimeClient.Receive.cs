using System.Text;

using KisFeed.Protocol;
using KisFeed.Transport;

namespace KisFeed;

public sealed partial class KisRealtimeClient
{
    private readonly ProgramTradeParser _parser = new();
    private readonly List<ProgramTrade> _batch = new(64);
    private readonly Dictionary<string, KisAes> _aes = new(StringComparer.Ordinal);

    /// <summary>
    /// Reads messages until the connection ends. Runs on one task per connection; it never waits on a consumer
    /// (their buffers never block) and answers PINGPONG before reading the next message.
    /// </summary>
    private async Task<(string Reason, Exception? Error)> ReceiveLoopAsync(WebSocketConnection ws, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                WebSocketMessage message = await ws.ReceiveAsync(cancellationToken).ConfigureAwait(false);
                Interlocked.Exchange(ref _lastMessageTimestamp, Time.GetTimestamp());
                if (message.Kind == WebSocketMessageKind.Close)
                {
                    return ($"the server closed the connection ({message.CloseStatus} {message.CloseDescription})".TrimEnd(), null);
                }

                ReadOnlyMemory<byte> payload = message.Payload;
                switch (KisMessage.Classify(payload.Span))
                {
                    case KisMessageKind.Data:
                        try
                        {
                            OnDataFrame(payload.Span);
                        }
                        catch (Exception ex) when (ex is not (OutOfMemoryException or OperationCanceledException))
                        {
                            // One bad frame must never end the session (a reconnect would turn it into a data gap).
                            _batch.Clear();
                            Reject(FrameError.BadField, $"the frame could not be read ({ex.GetType().Name}: {ex.Message})", payload.Span, 0);
                        }

                        break;
                    case KisMessageKind.Json:
                        ControlReply? reply = SafeParseReply(payload.Span);
                        Interlocked.Increment(ref _controls);
                        if (reply is null)
                        {
                            Reject(FrameError.BadJson, "a message starting with '{' is not valid JSON", payload.Span, 0);
                        }
                        else if (reply.IsPingPong)
                        {
                            Interlocked.Increment(ref _pingPongs);
                            // Echo the same text back at once; KIS drops sessions that do not answer.
                            await ws.SendTextAsync(payload, cancellationToken).ConfigureAwait(false);
                        }
                        else
                        {
                            OnControlReply(reply);
                        }

                        break;
                    default:
                        Reject(FrameError.UnknownMessage, "neither a data frame (0|… or 1|…) nor JSON", payload.Span, 0);
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ("the client stopped", null);
        }
        catch (Exception ex)
        {
            return (_abortReason ?? ex.Message, ex);
        }
        finally
        {
            _pending?.Reply.TrySetResult(null);
        }
    }

    private static ControlReply? SafeParseReply(ReadOnlySpan<byte> json)
    {
        try
        {
            return ControlReply.TryParse(json);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return null; // reported as BadJson by the caller
        }
    }

    private void OnDataFrame(ReadOnlySpan<byte> frame)
    {
        Interlocked.Increment(ref _frames);
        DateTimeOffset receivedAt = Time.GetUtcNow();
        FrameError error = DataFrame.TryRead(frame, out DataFrame data);
        if (error != FrameError.None)
        {
            Reject(error, DataFrame.Describe(error), frame, 0);
            return;
        }

        if (!VenueExtensions.TryFromProgramTradeTrId(data.TrId, out Venue venue))
        {
            Reject(FrameError.UnknownTrId, $"TR id '{Encoding.UTF8.GetString(data.TrId)}' is not a program-trading TR", frame, 0);
            return;
        }

        ReadOnlySpan<byte> payload = data.Payload;
        if (data.Encrypted)
        {
            byte[]? plain = _aes.TryGetValue(venue.ProgramTradeTrId(), out KisAes? aes) ? aes.TryDecrypt(payload) : null;
            if (plain is null)
            {
                Reject(FrameError.Undecryptable, aes is null ? "encrypted frame, but the subscribe reply gave no AES key for this TR" : "encrypted frame did not decrypt", frame, 0);
                return;
            }

            payload = plain;
        }

        ParseResult result = _parser.ParsePayload(venue, data.Count, payload, receivedAt, _batch);
        Deliver();
        if (!result.IsClean)
        {
            Reject(result.Error, result.Detail ?? result.Error.ToString(), frame, result.Records);
        }
    }

    private void Deliver()
    {
        Dictionary<Registration, ProgramTradeSubscription[]> routes = Volatile.Read(ref _routeSnapshot);
        foreach (ProgramTrade trade in _batch)
        {
            if (routes.TryGetValue(new Registration(trade.Venue, trade.Code), out ProgramTradeSubscription[]? subscribers))
            {
                foreach (ProgramTradeSubscription s in subscribers)
                {
                    s.Write(trade);
                }
            }
        }

        Interlocked.Add(ref _records, _batch.Count);
        _batch.Clear();
    }

    private void OnControlReply(ControlReply reply)
    {
        if (reply.HasTrId && reply.Iv is { Length: 16 } iv && reply.Key is { Length: 32 } key && !_aes.ContainsKey(reply.TrId!))
        {
            _aes[reply.TrId!] = new KisAes(key, iv);
        }

        PendingRequest? pending = _pending;
        if (pending is not null && (!reply.HasTrId || (reply.TrId == pending.Registration.TrId && (string.IsNullOrEmpty(reply.TrKey) || reply.TrKey == pending.Registration.Code))))
        {
            pending.Reply.TrySetResult(reply);
            return;
        }

        Log.UnsolicitedControl(_log, reply.RtCd, reply.MsgCd, Scrub(reply.Msg1), reply.TrId);
    }

    private void Reject(FrameError error, string detail, ReadOnlySpan<byte> frame, int delivered)
    {
        Interlocked.Increment(ref _rejected);
        Log.FrameRejected(_log, error, detail, delivered, Printable(frame));
        if (FrameRejected is not null)
        {
            Raise(FrameRejected, new FrameRejectedEventArgs(error, detail, frame.ToArray(), delivered));
        }
    }

    /// <summary>The frame as text for a log line: invalid UTF-8 shown as U+FFFD, control bytes escaped, at most 512 bytes.</summary>
    internal static string Printable(ReadOnlySpan<byte> frame)
    {
        ReadOnlySpan<byte> shown = frame.Length > 512 ? frame[..512] : frame;
        var sb = new StringBuilder(shown.Length + 16);
        foreach (char c in Encoding.UTF8.GetString(shown))
        {
            if (char.IsControl(c))
            {
                sb.Append($"\\x{(int)c:X2}");
            }
            else
            {
                sb.Append(c);
            }
        }

        if (frame.Length > shown.Length)
        {
            sb.Append($"…(+{frame.Length - shown.Length} bytes)");
        }

        return sb.ToString();
    }
}
