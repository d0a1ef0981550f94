using System.Text.Json;
using System.Text.RegularExpressions;

namespace KisFeed.Simulator;

// Subscribe / unsubscribe requests and their control replies (notes §3, §4, §11 item 3).
internal sealed partial class SimulatorSession
{
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
        bool index = trId == TrIds.Index;
        if (trId is null || !(pgm || index || TrIds.OtherAccepted.Contains(trId)))
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

        // A well-formed key the simulator does not list (a code outside its universe, an index it does not offer): KIS
        // documents no answer; refused with OPSP8992 or accepted and silent, as configured [inferred].
        bool listed = pgm ? _owner.Options.Universe.Contains(trKey) : !index || _owner.Options.Universe.TryGetIndex(trKey, out _);
        if (!listed && trType == "1" && _owner.Options.UnknownCodes == UnknownCodeReply.Refuse)
        {
            Log.UnknownCode(Logger, Id, trId, trKey);
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
                    _owner.OnSubscribed(trId, trKey);
                }
            }
            else
            {
                outcome = exists && _registrations.Remove(reg) ? ControlReply.UnsubscribeSuccess : ControlReply.UnsubscribeNotFound;
            }
        }

        Reply(outcome, trType, trId, trKey, outcome.MsgCd == "OPSP0000" ? _cipher : null);
        if (!pgm && !index && outcome.MsgCd == "OPSP0000")
        {
            // KIS-like: the subscription succeeds; but nothing will ever come, so say so (once per TR, not per code).
            _owner.WarnUnservedOnce(trId);
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
}
