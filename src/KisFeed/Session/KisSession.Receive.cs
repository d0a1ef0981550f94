using KisFeed.Protocol;
using KisFeed.Transport;

namespace KisFeed.Session;

// The receive loop: one task per connection; it never waits on a consumer and answers PINGPONG before reading the next message.
internal sealed partial class KisSession
{
    /// <summary>
    /// Reads messages until the connection ends. One task per connection; it never waits on a consumer (their
    /// buffers never block) and answers PINGPONG before reading the next message.
    /// </summary>
    private async Task<(string Reason, Exception? Error)> ReceiveLoopAsync(LiveConnection connection, CancellationToken cancellationToken)
    {
        IKisConnection transport = connection.Transport;
        try
        {
            while (true)
            {
                WebSocketMessage message = await transport.ReceiveAsync(cancellationToken).ConfigureAwait(false);
                connection.Touch();
                if (message.Kind == WebSocketMessageKind.Close)
                {
                    return ($"the server closed the connection ({message.CloseStatus} {message.CloseDescription})".TrimEnd(), null);
                }

                ReadOnlyMemory<byte> payload = message.Payload;
                switch (KisMessage.Classify(payload.Span))
                {
                    case KisMessageKind.Data:
                        _dispatcher.OnDataFrame(payload.Span, Time.GetUtcNow());
                        break;
                    case KisMessageKind.Json:
                        ControlReply? reply = SafeParseReply(payload.Span);
                        Interlocked.Increment(ref _counters.Controls);
                        if (reply is null)
                        {
                            Reject(FrameError.BadJson, "a message starting with '{' is not valid JSON", payload.Span, 0);
                        }
                        else if (reply.IsPingPong)
                        {
                            Interlocked.Increment(ref _counters.PingPongs);
                            // Echo the same text back at once; KIS drops sessions that do not answer.
                            await transport.SendTextAsync(payload, cancellationToken).ConfigureAwait(false);
                        }
                        else
                        {
                            _dispatcher.OnReply(reply);
                            if (!_control.TryComplete(transport, reply))
                            {
                                Log.UnsolicitedControl(_log, reply.RtCd, reply.MsgCd, _keys.Scrub(reply.Msg1), reply.TrId);
                            }
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
            return (connection.Cause?.Reason ?? ex.Message, ex);
        }
        finally
        {
            _control.ConnectionEnded(transport);
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
}
