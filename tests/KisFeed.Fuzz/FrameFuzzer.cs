using System.Globalization;
using System.Text;

using KisFeed.Protocol;

namespace KisFeed.Fuzz;

/// <summary>One input that broke a property: what, and the bytes (hex) to reproduce it.</summary>
public sealed record Finding(string Target, string Property, string Detail, byte[] Input)
{
    /// <summary>Findings with one signature are one bug: target, property, and the exception type if any.</summary>
    public string Signature => Property == "no exception" ? $"{Target}: {Property}: {Detail.Split(':')[0]}" : $"{Target}: {Property}";

    public override string ToString() => $"{Target}: {Property}: {Detail.Split('\n')[0]}\n  input ({Input.Length} bytes): {Convert.ToHexString(Input.AsSpan(0, Math.Min(Input.Length, 400)))}";
}

/// <summary>
/// A property-based fuzzer for the frame reader, the program-trading parser, the control-reply parser, the message
/// classifier, the AES path and the log printer. Inputs are (a) generated valid frames with known values, checked
/// field by field, and (b) real frames and replies from the protocol notes mutated byte-wise (flip, insert, delete,
/// splice, duplicate, truncate, separator storms), checked for: no exception, counts that add up, no more records than
/// declared, every delivered record's code/time plausible.
/// </summary>
public sealed class FrameFuzzer(int seed)
{
    // Notes §7.2 (the one real frame), §4.1, §4.3, §5 (exact texts).
    private static readonly string[] Seeds =
    [
        "0|H0STPGM0|001|005930^092237^1413444^109159646900^1189408^91931710200^-224036^-17227936700^65033^15475^-49558",
        "0|H0NXPGM0|002|005930^092237^1413444^109159646900^1189408^91931710200^-224036^-17227936700^65033^15475^-49558^000660^092238^1^2^3^4^2^2^5^6^1",
        "0|H0UNPGM0|001|005930^092237^^(null)^1189408^91931710200^-224036^-17227936700^65033^15475^-49558^",
        "0|H0STPGM0|001|005930^092237^1413444^109159646900^1189408^91931710200^-224036^-17227936700^65033^15475^-49558^X^Y",
        "1|H0STPGM0|001|U2FsdGVkX1+abcdefghijklmnopqrstuvwxyz0123456789==",
        "{\"header\":{\"tr_id\":\"H0STPGM0\",\"tr_key\":\"005930\",\"encrypt\":\"N\"},\"body\":{\"rt_cd\":\"0\",\"msg_cd\":\"OPSP0000\",\"msg1\":\"SUBSCRIBE SUCCESS\",\"output\":{\"iv\":\"0123456789abcdef\",\"key\":\"abcdefghijklmnopabcdefghijklmnop\"}}}",
        "{\"header\":{\"tr_id\":\"(null)\",\"tr_key\":\"\",\"encrypt\":\"N\"},\"body\":{\"rt_cd\":\"9\",\"msg_cd\":\"OPSP8996\",\"msg1\":\"ALREADY IN USE appkey\"}}",
        "{\"body\":{\"rt_cd\":\"1\",\"msg_cd\":\"OPSP0011\",\"msg1\":\"invalid approval : 062f61cb-c756-4b8f-9fab-92113c6fbea4\"}}",
        "{\"body\":{\"rt_cd\":\"1\",\"msg_cd\":\"OPSP0003\",\"msg1\":\"UNSUBSCRIBE ERROR(not found!)\"}}",
        "{\"header\":{\"tr_id\":\"(null)\"},\"body\":{\"rt_cd\":\"9\",\"msg_cd\":\"OPSP0017\",\"msg1\":\"ERROR : htsid가잘못되었습니다\"}}",
        "{\"header\":{\"tr_id\":\"PINGPONG\",\"datetime\":\"20260710171541\"}}",
    ];

    private static readonly byte[] Interesting = "^|0123456789-+(null)\"{}:,\\ \n\0"u8.ToArray().Concat(new byte[] { 0xFF, 0xFE, 0xC3, 0x80, 0xE2, 0x82 }).ToArray();
    private static readonly DateTimeOffset Now = new(2026, 7, 10, 0, 30, 0, TimeSpan.Zero);

    private readonly Random _rng = new(seed);
    private readonly ProgramTradeParser _parser = new();
    private readonly List<ProgramTrade> _out = new(1024);
    private readonly KisAes _aes = new("abcdefghijklmnopabcdefghijklmnop", "0123456789abcdef");
    private readonly byte[][] _seeds = [.. Seeds.Select(Encoding.UTF8.GetBytes)];

    public long Inputs { get; private set; }

    public long GeneratedValid { get; private set; }

    public long CleanParses { get; private set; }

    public long RejectedParses { get; private set; }

    /// <summary>Runs one input; returns a finding or null.</summary>
    public Finding? Step()
    {
        Inputs++;
        return _rng.Next(10) < 4 ? GeneratedCase() : MutatedCase();
    }

    /// <summary>Checks every target on one input (used by the mutated cases and by the regression tests).</summary>
    public Finding? Check(byte[] input)
    {
        try
        {
            _ = KisMessage.Classify(input);
            ControlReply? reply = ControlReply.TryParse(input);
            if (reply is not null)
            {
                _ = (reply.IsPingPong, reply.IsSuccess, reply.HasTrId, reply.ToString());
            }

            string printable = KisFeed.Session.FrameDispatcher.Printable(input);
            if (printable.Length > 4 * 512 + 64)
            {
                return new Finding("Printable", "bounded log line", $"length {printable.Length}", input);
            }

            FrameError read = DataFrame.TryRead(input, out DataFrame frame);
            int declared = read == FrameError.None ? frame.Count : 0;
            if (read == FrameError.None && frame.Encrypted)
            {
                byte[]? plain = _aes.TryDecrypt(frame.Payload);
                if (plain is not null && VenueExtensions.TryFromProgramTradeTrId(frame.TrId, out Venue v))
                {
                    _out.Clear();
                    CheckResult(_parser.ParsePayload(v, frame.Count, plain, Now, _out), frame.Count, input, "ParsePayload(decrypted)");
                }
            }

            _out.Clear();
            ParseResult r = _parser.ParseFrame(input, Now, _out);
            if (r.IsClean)
            {
                CleanParses++;
            }
            else
            {
                RejectedParses++;
            }

            return CheckResult(r, declared, input, "ParseFrame");
        }
        catch (Exception ex)
        {
            return new Finding("parsers", "no exception", ex.GetType().Name + ": " + ex.Message + "\n" + ex.StackTrace, input);
        }
    }

    private Finding? CheckResult(ParseResult r, int declared, byte[] input, string target)
    {
        if (r.Records != _out.Count)
        {
            return new Finding(target, "Records == delivered", $"{r.Records} reported, {_out.Count} delivered", input);
        }

        if (r.Records + r.SkippedRecords > Math.Max(declared, 0))
        {
            return new Finding(target, "no more records than declared", $"{r.Records}+{r.SkippedRecords} > {declared}", input);
        }

        if (r.IsClean && r.Records != declared)
        {
            return new Finding(target, "clean ⇒ all declared records", $"{r.Records} of {declared}", input);
        }

        foreach (ProgramTrade t in _out)
        {
            // Notes §7.1: MKSC_SHRN_ISCD is at most 9 characters (6 in practice, Q + 6 for ETNs).
            if (t.Code is null || t.Code.Length is < 1 or > 9)
            {
                return new Finding(target, "code of 1-9 characters", $"'{t.Code}'", input);
            }
        }

        return null;
    }

    private Finding? MutatedCase()
    {
        byte[] input = Mutate(_seeds[_rng.Next(_seeds.Length)]);
        int rounds = _rng.Next(4);
        for (int i = 0; i < rounds; i++)
        {
            input = Mutate(input);
        }

        return Check(input);
    }

    private byte[] Mutate(byte[] src)
    {
        var b = new List<byte>(src);
        switch (_rng.Next(9))
        {
            case 0 when b.Count > 0:
                int i0 = _rng.Next(b.Count);
                b[i0] ^= (byte)(1 << _rng.Next(8));
                break;
            case 1:
                b.Insert(_rng.Next(b.Count + 1), Interesting[_rng.Next(Interesting.Length)]);
                break;
            case 2 when b.Count > 0:
                int i2 = _rng.Next(b.Count);
                b.RemoveRange(i2, Math.Min(b.Count - i2, 1 + _rng.Next(8)));
                break;
            case 3 when b.Count > 0:
                b = [.. b.Take(_rng.Next(b.Count + 1))]; // truncate
                break;
            case 4:
                byte[] other = _seeds[_rng.Next(_seeds.Length)];
                int cut = _rng.Next(b.Count + 1), from = _rng.Next(other.Length);
                b = [.. b.Take(cut), .. other.Skip(from)]; // splice
                break;
            case 5 when b.Count > 0:
                int s = _rng.Next(b.Count), len = Math.Min(b.Count - s, 1 + _rng.Next(64));
                b.InsertRange(s, b.GetRange(s, len)); // duplicate a chunk (records, fields)
                break;
            case 6 when b.Count > 0:
                b[_rng.Next(b.Count)] = Interesting[_rng.Next(Interesting.Length)];
                break;
            case 7:
                // Rewrite the count field with something odd.
                string[] counts = ["000", "001", "002", "999", "1000", "-01", "+01", " 1", "01", "0x1", "", "2147483648", "99999999999"];
                string text = Encoding.Latin1.GetString([.. b]);
                string[] parts = text.Split('|', 4);
                if (parts.Length == 4)
                {
                    parts[2] = counts[_rng.Next(counts.Length)];
                    b = [.. Encoding.Latin1.GetBytes(string.Join('|', parts))];
                }

                break;
            default:
                // Separator storm.
                int at = _rng.Next(b.Count + 1);
                byte sep = _rng.Next(2) == 0 ? (byte)'^' : (byte)'|';
                b.InsertRange(at, Enumerable.Repeat(sep, 1 + _rng.Next(20)));
                break;
        }

        return [.. b];
    }

    private Finding? GeneratedCase()
    {
        GeneratedValid++;
        Venue venue = (Venue)_rng.Next(3);
        int count = 1 + (_rng.Next(10) == 0 ? _rng.Next(999) : _rng.Next(8));
        int extra = _rng.Next(6) == 0 ? 1 + _rng.Next(4) : 0;
        bool trailing = _rng.Next(5) == 0;
        var sb = new StringBuilder();
        sb.Append("0|").Append(venue.ProgramTradeTrId()).Append('|').Append(count.ToString("D3", CultureInfo.InvariantCulture)).Append('|');
        var expected = new List<(string Code, TimeOnly Time, long[] Values, ProgramTradeFields Missing)>();
        for (int r = 0; r < count; r++)
        {
            string code = _rng.Next(20) == 0 ? "Q" + _rng.Next(1_000_000).ToString("D6", CultureInfo.InvariantCulture) : _rng.Next(1_000_000).ToString("D6", CultureInfo.InvariantCulture);
            var time = new TimeOnly(_rng.Next(24), _rng.Next(60), _rng.Next(60));
            long[] values = new long[9];
            ProgramTradeFields missing = ProgramTradeFields.None;
            if (r > 0)
            {
                sb.Append('^');
            }

            sb.Append(code).Append('^').Append(time.ToString("HHmmss", CultureInfo.InvariantCulture));
            for (int f = 0; f < 9; f++)
            {
                sb.Append('^');
                int kind = _rng.Next(40);
                if (kind == 0)
                {
                    sb.Append("(null)");
                    missing |= (ProgramTradeFields)(1 << (f + 2));
                }
                else if (kind == 1)
                {
                    missing |= (ProgramTradeFields)(1 << (f + 2));
                }
                else
                {
                    long v = kind switch
                    {
                        2 => long.MaxValue,
                        3 => long.MinValue + 1,
                        4 => 0,
                        _ => _rng.NextInt64(-1_000_000_000_000, 1_000_000_000_000),
                    };
                    values[f] = v;
                    sb.Append(v.ToString(CultureInfo.InvariantCulture));
                }
            }

            for (int e = 0; e < extra; e++)
            {
                sb.Append('^').Append(_rng.Next(3) == 0 ? string.Empty : "X" + e.ToString(CultureInfo.InvariantCulture));
            }

            expected.Add((code, time, values, missing));
        }

        if (trailing)
        {
            sb.Append('^');
        }

        byte[] input = Encoding.UTF8.GetBytes(sb.ToString());
        try
        {
            _out.Clear();
            ParseResult res = _parser.ParseFrame(input, Now, _out);
            if (!res.IsClean || _out.Count != count)
            {
                return new Finding("ParseFrame(valid)", "a valid frame parses clean", $"{res.Error} {res.Detail}, {_out.Count}/{count} records, extra {extra}, trailing {trailing}", input);
            }

            for (int r = 0; r < count; r++)
            {
                ProgramTrade t = _out[r];
                (string code, TimeOnly time, long[] v, ProgramTradeFields missing) = expected[r];
                long[] got = [t.SellVolume, t.SellValue, t.BuyVolume, t.BuyValue, t.NetBuyVolume, t.NetBuyValue, t.AskResidual, t.BidResidual, t.NetBidResidual];
                if (t.Code != code || t.Time != time || !got.SequenceEqual(v) || t.Missing != missing || t.Venue != venue)
                {
                    return new Finding("ParseFrame(valid)", "values as sent", $"record {r}: got {t}, want {code} {time} [{string.Join(',', v)}] missing {missing}", input);
                }
            }

            CleanParses++;
            return Check(input);
        }
        catch (Exception ex)
        {
            return new Finding("ParseFrame(valid)", "no exception", ex.GetType().Name + ": " + ex.Message + "\n" + ex.StackTrace, input);
        }
    }
}
