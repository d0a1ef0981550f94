using System.Text;

using KisFeed.Delivery;
using KisFeed.Protocol;

namespace KisFeed.Session;

/// <summary>
/// Turns data frames into trades and hands each to the consumers of its registration. Everything here is owned by
/// the receive loop of the current connection (there is one at a time), so nothing is locked: the parser, its
/// batch and the AES keys, which are taken from every subscribe reply (a new session issues new ones).
/// </summary>
internal sealed class FrameDispatcher(RegistrationTable table, SessionCounters counters, KisMetrics metrics, Action<FrameError, string, ReadOnlySpan<byte>, int> reject)
{
    private readonly ProgramTradeParser _parser = new();
    private readonly List<ProgramTrade> _batch = new(64);
    private readonly IndexProgramTradeParser _indexParser = new();
    private readonly List<IndexProgramTrade> _indexBatch = new(8);
    private readonly Dictionary<string, KisAes> _aes = new(StringComparer.Ordinal);

    /// <summary>Keeps the AES key and iv of a subscribe reply for its TR, replacing any older one.</summary>
    public void OnReply(ControlReply reply)
    {
        if (reply.HasTrId && reply.Iv is { Length: 16 } iv && reply.Key is { Length: 32 } key)
        {
            if (_aes.TryGetValue(reply.TrId!, out KisAes? old))
            {
                if (old.Matches(key, iv))
                {
                    return;
                }

                old.Dispose();
            }

            _aes[reply.TrId!] = new KisAes(key, iv);
        }
    }

    public void OnDataFrame(ReadOnlySpan<byte> frame, DateTimeOffset receivedAt)
    {
        Interlocked.Increment(ref counters.Frames);
        try
        {
            Dispatch(frame, receivedAt);
        }
        catch (Exception ex) when (ex is not (OutOfMemoryException or OperationCanceledException))
        {
            // One bad frame must never end the session (a reconnect would turn it into a data gap).
            _batch.Clear();
            _indexBatch.Clear();
            reject(FrameError.BadField, $"the frame could not be read ({ex.GetType().Name}: {ex.Message})", frame, 0);
        }
    }

    private void Dispatch(ReadOnlySpan<byte> frame, DateTimeOffset receivedAt)
    {
        FrameError error = DataFrame.TryRead(frame, out DataFrame data);
        if (error != FrameError.None)
        {
            reject(error, DataFrame.Describe(error), frame, 0);
            return;
        }

        bool index = !VenueExtensions.TryFromProgramTradeTrId(data.TrId, out Venue venue);
        if (index && !data.TrId.SequenceEqual("H0UPPGM0"u8))
        {
            reject(FrameError.UnknownTrId, $"TR id '{Encoding.UTF8.GetString(data.TrId)}' is not a program-trading TR", frame, 0);
            return;
        }

        ReadOnlySpan<byte> payload = data.Payload;
        if (data.Encrypted)
        {
            byte[]? plain = _aes.TryGetValue(index ? IndexProgramTrade.TrId : venue.ProgramTradeTrId(), out KisAes? aes) ? aes.TryDecrypt(payload) : null;
            if (plain is null)
            {
                reject(FrameError.Undecryptable, aes is null ? "encrypted frame, but the subscribe reply gave no AES key for this TR" : "encrypted frame did not decrypt with the key of the latest subscribe reply", frame, 0);
                return;
            }

            payload = plain;
        }

        ParseResult result;
        if (index)
        {
            result = _indexParser.ParsePayload(data.Count, payload, receivedAt, _indexBatch);
            DeliverIndex();
        }
        else
        {
            result = _parser.ParsePayload(venue, data.Count, payload, receivedAt, _batch);
            Deliver();
        }

        if (result.Error == FrameError.DamagedField)
        {
            Interlocked.Increment(ref counters.Damaged);
        }

        if (!result.IsClean)
        {
            reject(result.Error, result.Detail ?? result.Error.ToString(), frame, result.Records);
        }
    }

    private void Deliver()
    {
        Dictionary<Registration, Subscriber[]> routes = table.Routes;
        foreach (ProgramTrade trade in _batch)
        {
            if (routes.TryGetValue(new Registration(trade.Venue, trade.Code), out Subscriber[]? subscribers))
            {
                foreach (Subscriber s in subscribers)
                {
                    s.Write(trade);
                }
            }
        }

        Interlocked.Add(ref counters.Records, _batch.Count);
        if (_batch.Count > 0)
        {
            metrics.Records(_batch[0].Venue, _batch.Count); // one frame, one TR: one venue
        }

        _batch.Clear();
    }

    private void DeliverIndex()
    {
        Dictionary<Registration, Subscriber[]> routes = table.Routes;
        foreach (IndexProgramTrade update in _indexBatch)
        {
            if (routes.TryGetValue(new Registration(Venue.Krx, update.IndexCode) { Kind = RecordKind.IndexProgramTrade }, out Subscriber[]? subscribers))
            {
                foreach (Subscriber s in subscribers)
                {
                    s.WriteIndex(update);
                }
            }
        }

        Interlocked.Add(ref counters.Records, _indexBatch.Count);
        if (_indexBatch.Count > 0)
        {
            metrics.Records(Venue.Krx, _indexBatch.Count); // H0UPPGM0 is KRX's index feed
        }

        _indexBatch.Clear();
    }

    /// <summary>The frame as text for a log line: invalid UTF-8 shown as U+FFFD, control bytes escaped, at most 512 bytes.</summary>
    public static string Printable(ReadOnlySpan<byte> frame)
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
