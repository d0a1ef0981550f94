using System.Buffers.Text;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

using static KisFeed.Protocol.CaretFields;

namespace KisFeed.Protocol;

/// <summary>The outcome of reading one data frame.</summary>
/// <param name="Error">The first problem found, or <see cref="FrameError.None"/>.</param>
/// <param name="Records">Records appended to the output.</param>
/// <param name="SkippedRecords">Records that could not be read because their code or time is unreadable (only with <see cref="FrameError.BadField"/>).</param>
/// <param name="FieldsPerRecord">Fields per record as sent (11 documented; more when KIS appends fields).</param>
/// <param name="Detail">A human-readable description of <paramref name="Error"/>, or null.</param>
internal readonly record struct ParseResult(FrameError Error, int Records, int SkippedRecords, int FieldsPerRecord, string? Detail)
{
    public bool IsClean => Error == FrameError.None;
}

/// <summary>
/// Reads the payload of a program-trading frame (<c>H0STPGM0</c>/<c>H0NXPGM0</c>/<c>H0UNPGM0</c>) straight from the
/// received bytes into <see cref="ProgramTrade"/> values, with no string per field.
/// </summary>
/// <remarks>
/// Records are concatenated with the same <c>^</c> as fields, so the record width is derived from the header count:
/// width = values / NNN. A trailing <c>^</c> is tolerated, empty or <c>(null)</c> numeric fields read as 0 and are
/// flagged in <see cref="ProgramTrade.Missing"/>, and fields beyond the 11 documented ones are skipped (KIS appends
/// fields without notice). Each record's code and time are checked, so a frame whose count does not match its
/// contents is reported instead of being misread.
/// <para>Why one file of this size: it is one algorithm, the zero-allocation fast path (one SIMD pass over the
/// carets, SWAR digits) and the exact slow path it falls back to, which must agree field for field; they are kept
/// side by side so that they are changed together.</para>
/// </remarks>
internal sealed class ProgramTradeParser
{
    /// <summary>The documented number of fields per program-trading record.</summary>
    public const int FieldCount = 11;

    private readonly CodeCache _codes;
    private readonly bool _fastPath;

    // Offsets of the '^' of the payload being read (reused: no allocation per frame).
    private int[] _carets = new int[256];
    private DateOnly _day;
    private long _dayStartUtcTicks = long.MaxValue;
    private long _dayEndUtcTicks = long.MinValue;

    /// <summary>Records that were not of the plain shape and went through the exact (slower) path; tests check that
    /// ordinary records never do.</summary>
    internal long FallbackRecords { get; private set; }

    public ProgramTradeParser(CodeCache? codes = null)
        : this(codes, fastPath: true)
    {
    }

    /// <summary>A parser; <paramref name="fastPath"/> false reads every record through the exact path (tests compare the two).</summary>
    internal ProgramTradeParser(CodeCache? codes, bool fastPath)
    {
        _codes = codes ?? new CodeCache();
        _fastPath = fastPath;
    }


    /// <summary>Reads a whole plain frame (<c>0|TR|NNN|payload</c>).</summary>
    public ParseResult ParseFrame(ReadOnlySpan<byte> frame, DateTimeOffset receivedAt, List<ProgramTrade> output)
    {
        FrameError error = DataFrame.TryRead(frame, out DataFrame data);
        if (error != FrameError.None)
        {
            return new ParseResult(error, 0, 0, 0, DataFrame.Describe(error));
        }

        if (data.Encrypted)
        {
            return new ParseResult(FrameError.Undecryptable, 0, 0, 0, "encrypted frame: decrypt it before parsing");
        }

        if (!VenueExtensions.TryFromProgramTradeTrId(data.TrId, out Venue venue))
        {
            return new ParseResult(FrameError.UnknownTrId, 0, 0, 0, $"TR id '{Ascii(data.TrId)}' is not a program-trading TR");
        }

        return ParsePayload(venue, data.Count, data.Payload, receivedAt, output);
    }

    /// <summary>Reads <paramref name="count"/> records of <paramref name="venue"/> from a payload.</summary>
    public ParseResult ParsePayload(Venue venue, int count, ReadOnlySpan<byte> payload, DateTimeOffset receivedAt, List<ProgramTrade> output)
    {
        int caretCount = FindCarets(payload);
        int values = caretCount + 1;
        (int width, int remainder) = PerRecord(values, count);

        // A trailing '^': with several records it shows as a count that does not divide; with one record (the usual
        // frame) any count divides, so a final '^' after exactly 11 values is taken as the trailing separator too.
        // (Read as an empty 12th field it would give the same values, but through the exact path.) Only exactly 11:
        // with more, the '^' may end a second record whose last field is empty, which must stay a count mismatch.
        if ((remainder != 0 || (count == 1 && values == FieldCount + 1)) && payload.Length > 0 && payload[^1] == (byte)'^')
        {
            payload = payload[..^1]; // a trailing '^'
            values--;
            (width, remainder) = PerRecord(values, count);
        }

        if (remainder != 0)
        {
            return new ParseResult(FrameError.CountMismatch, 0, 0, 0, $"{values} values do not divide into {count} record(s)");
        }

        if (width < FieldCount)
        {
            return new ParseResult(FrameError.TooFewFields, 0, 0, width, $"{width} field(s) per record, {FieldCount} expected");
        }

        if (width >= 2 * FieldCount && width % FieldCount == 0 && LooksLikeRecordStart(payload, FieldCount))
        {
            // More documented-width records than the header announced: reading them as one wide record would drop data.
            return new ParseResult(FrameError.CountMismatch, 0, 0, width, $"the header says {count} record(s) but the payload holds {values / FieldCount}");
        }

        DateOnly tradingDate = TradingDate(receivedAt);
        int parsed = 0;
        int skipped = 0;
        int damagedRecords = 0;
        string? detail = null;
        string? damageDetail = null;

        // Records are written straight into the list's storage (no copy through an out parameter and Add).
        int start = output.Count;
        CollectionsMarshal.SetCount(output, start + count);
        Span<ProgramTrade> slots = CollectionsMarshal.AsSpan(output).Slice(start, count);
        int pos = 0;
        for (int r = 0; r < count; r++)
        {
            if (width == FieldCount && _fastPath && TryReadPlain(payload, caretCount, r * FieldCount, venue, tradingDate, receivedAt, ref slots[parsed]))
            {
                parsed++;
                pos = r + 1 < count ? _carets[((r + 1) * FieldCount) - 1] + 1 : payload.Length;
                continue;
            }

            // Anything unusual (absent/(null) fields, extra fields, bad values, long codes): the exact path below.
            FallbackRecords++;
            ReadOnlySpan<byte> rest = payload[pos..];
            bool ok = TryReadRecord(ref rest, venue, width, tradingDate, receivedAt, out ProgramTrade trade, out string? why);
            pos = payload.Length - rest.Length;
            if (ok)
            {
                slots[parsed++] = trade;
                if (why is not null)
                {
                    damagedRecords++;
                    damageDetail ??= $"record {r + 1} of {count}: {why}";
                }
            }
            else
            {
                skipped++;
                detail ??= $"record {r + 1} of {count}: {why}";
            }
        }

        if (parsed != count)
        {
            CollectionsMarshal.SetCount(output, start + parsed);
        }

        // A skipped record (code or time unreadable) is the worse news; a damaged field still delivered the record.
        return skipped != 0
            ? new ParseResult(FrameError.BadField, parsed, skipped, width, detail)
            : damagedRecords != 0
                ? new ParseResult(FrameError.DamagedField, parsed, 0, width, damageDetail)
                : new ParseResult(FrameError.None, parsed, 0, width, null);
    }

    /// <summary>Values per record and the remainder; no division for the usual single-record frame.</summary>
    private static (int Width, int Remainder) PerRecord(int values, int count) => count == 1 ? (values, 0) : Math.DivRem(values, count);

    /// <summary>The trading date of <paramref name="receivedAt"/>, cached for the whole day (one computation per day, not per frame).</summary>
    private DateOnly TradingDate(DateTimeOffset receivedAt)
    {
        long utcTicks = receivedAt.UtcTicks;
        if (utcTicks >= _dayStartUtcTicks && utcTicks < _dayEndUtcTicks)
        {
            return _day;
        }

        DateOnly day = KoreaTime.DateOf(receivedAt);
        long start = KoreaTime.StartOf(day).UtcTicks;
        _day = day;
        _dayStartUtcTicks = start;
        _dayEndUtcTicks = start + TimeSpan.TicksPerDay;
        return day;
    }

    /// <summary>Stores the offset of every '^' of <paramref name="payload"/> in <see cref="_carets"/>; returns how many.</summary>
    private int FindCarets(ReadOnlySpan<byte> payload)
    {
        if (_carets.Length < payload.Length + 1)
        {
            _carets = new int[Math.Max(payload.Length + 1, _carets.Length * 2)];
        }

        int[] carets = _carets;
        int n = 0;
        int i = 0;
        ref byte origin = ref MemoryMarshal.GetReference(payload);
        if (Vector256.IsHardwareAccelerated && payload.Length >= Vector256<byte>.Count)
        {
            Vector256<byte> caret = Vector256.Create((byte)'^');
            int lastBlock = payload.Length - Vector256<byte>.Count;
            while (true)
            {
                int at = Math.Min(i, lastBlock);
                uint mask = Vector256.Equals(Vector256.LoadUnsafe(ref origin, (nuint)at), caret).ExtractMostSignificantBits();
                mask = at < i ? mask >> (i - at) << (i - at) : mask; // the last block overlaps bytes already seen
                while (mask != 0)
                {
                    carets[n++] = at + BitOperations.TrailingZeroCount(mask);
                    mask &= mask - 1;
                }

                if (at == lastBlock)
                {
                    return n;
                }

                i += Vector256<byte>.Count;
            }
        }

        for (; i < payload.Length; i++)
        {
            if (payload[i] == (byte)'^')
            {
                carets[n++] = i;
            }
        }

        return n;
    }

    /// <summary>
    /// The common record shape, read with the field bounds already known from <see cref="_carets"/>: a known 1–8 byte
    /// code, HHMMSS, and nine optionally signed numbers of 1–16 digits. False (nothing written) for anything else.
    /// </summary>
    private bool TryReadPlain(ReadOnlySpan<byte> p, int caretCount, int firstCaret, Venue venue, DateOnly tradingDate, DateTimeOffset receivedAt, ref ProgramTrade slot)
    {
        int[] carets = _carets;
        if ((uint)(firstCaret + FieldCount - 2) >= (uint)caretCount)
        {
            return false; // the record's first ten carets must all be in this payload
        }

        ref byte b = ref MemoryMarshal.GetReference(p);
        int start = firstCaret == 0 ? 0 : carets[firstCaret - 1] + 1;
        int codeEnd = carets[firstCaret];
        int codeLength = codeEnd - start;
        if ((uint)(codeLength - 1) >= 8u || codeEnd + 8 > p.Length)
        {
            return false;
        }

        ulong key = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref b, start)) & (ulong.MaxValue >> ((8 - codeLength) * 8));
        string? code = _codes.GetPacked(key, p.Slice(start, codeLength));
        if (code is null)
        {
            return false;
        }

        // Time: six digits, read as one word (the bytes after it exist: '^' and more fields follow).
        int timeStart = codeEnd + 1;
        if (carets[firstCaret + 1] - timeStart != 6)
        {
            return false;
        }

        ulong tw = (Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref b, timeStart)) ^ 0x3030303030303030UL) & 0x0000FFFFFFFFFFFFUL;
        if (NotDigits(tw) != 0)
        {
            return false;
        }

        uint hours = ((uint)(tw & 0xFF) * 10) + (uint)((tw >> 8) & 0xFF);
        uint minutes = ((uint)((tw >> 16) & 0xFF) * 10) + (uint)((tw >> 24) & 0xFF);
        uint seconds = ((uint)((tw >> 32) & 0xFF) * 10) + (uint)((tw >> 40) & 0xFF);
        if (hours > 23 || minutes > 59 || seconds > 59)
        {
            return false;
        }

        int last = firstCaret + FieldCount - 1; // the caret after the last field, or none at the payload's end
        int end10 = last < caretCount ? carets[last] : p.Length;
        if (!Field(ref b, carets[firstCaret + 1] + 1, carets[firstCaret + 2], out long sellVolume)
            || !Field(ref b, carets[firstCaret + 2] + 1, carets[firstCaret + 3], out long sellValue)
            || !Field(ref b, carets[firstCaret + 3] + 1, carets[firstCaret + 4], out long buyVolume)
            || !Field(ref b, carets[firstCaret + 4] + 1, carets[firstCaret + 5], out long buyValue)
            || !Field(ref b, carets[firstCaret + 5] + 1, carets[firstCaret + 6], out long netVolume)
            || !Field(ref b, carets[firstCaret + 6] + 1, carets[firstCaret + 7], out long netValue)
            || !Field(ref b, carets[firstCaret + 7] + 1, carets[firstCaret + 8], out long askResidual)
            || !Field(ref b, carets[firstCaret + 8] + 1, carets[firstCaret + 9], out long bidResidual)
            || !Field(ref b, carets[firstCaret + 9] + 1, end10, out long netResidual))
        {
            return false;
        }

        var time = new TimeOnly((hours * TimeSpan.TicksPerHour) + (minutes * TimeSpan.TicksPerMinute) + (seconds * TimeSpan.TicksPerSecond));
        slot = new ProgramTrade(venue, code, tradingDate, time, sellVolume, sellValue, buyVolume, buyValue, netVolume, netValue, askResidual, bidResidual, netResidual, receivedAt);
        return true;
    }

    /// <summary>
    /// The number in bytes [start, end): an optional sign and 1–16 digits, read as one or two 8-byte words that end at
    /// <paramref name="end"/> (bytes before the field are masked off, so the words may start before it). In bounds: a
    /// number field follows at least a 1-byte code, '^', six time digits and '^' (9 bytes), and the words start at most
    /// 7 bytes before the field (end − 8 with 1+ digits, end − 16 with 9+), so never before the payload.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Field(ref byte b, int start, int end, out long value)
    {
        value = 0;
        if (start >= end)
        {
            return false; // an empty field (the exact path reads it as absent); b[start] may be past the payload's end
        }

        bool negative = Unsafe.Add(ref b, start) == (byte)'-';
        start += (negative || Unsafe.Add(ref b, start) == (byte)'+') ? 1 : 0;
        int digits = end - start;
        if ((uint)(digits - 1) >= 16u)
        {
            return false;
        }

        const ulong Zeros = 0x3030303030303030UL;
        ulong lo = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref b, end - 8)) ^ Zeros;
        if (digits <= 8)
        {
            lo &= ulong.MaxValue << ((8 - digits) * 8); // digits == 8: a shift of 0
            if (NotDigits(lo) != 0)
            {
                return false;
            }

            value = (long)EightDigits(lo);
        }
        else
        {
            ulong hi = (Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref b, end - 16)) ^ Zeros) & (ulong.MaxValue << ((16 - digits) * 8));
            if ((NotDigits(lo) | NotDigits(hi)) != 0)
            {
                return false;
            }

            value = ((long)EightDigits(hi) * 100_000_000) + (long)EightDigits(lo);
        }

        value = negative ? -value : value;
        return true;
    }

    /// <summary>For a word of bytes minus '0': the high bit of every byte that is not 0–9 (0 when all eight are digits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong NotDigits(ulong t) => ((t + 0x7676767676767676UL) | t) & 0x8080808080808080UL;

    /// <summary>Eight digit values (0–9, first digit in the lowest byte) to their number (fast_float's SWAR conversion).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong EightDigits(ulong v)
    {
        const ulong Mask = 0x000000FF000000FF;
        const ulong Mul1 = 100 + (1_000_000UL << 32);
        const ulong Mul2 = 1 + (10_000UL << 32);
        v = (v * 10) + (v >> 8);
        return (((v & Mask) * Mul1) + (((v >> 16) & Mask) * Mul2)) >> 32;
    }

    private bool TryReadRecord(ref ReadOnlySpan<byte> payload, Venue venue, int width, DateOnly tradingDate, DateTimeOffset receivedAt, out ProgramTrade trade, out string? why)
    {
        trade = default;
        why = null;
        ReadOnlySpan<byte> codeField = Next(ref payload);
        ReadOnlySpan<byte> timeField = Next(ref payload);

        // The nine numbers, read in one pass each (digits are accumulated while looking for the '^').
        int absent = 0;
        int bad = 0; // bit i: number i (0-8) is damaged
        string? badField = null;
        long sellVolume = Number(ref payload, 0, ref absent, ref bad, ref badField);
        long sellValue = Number(ref payload, 1, ref absent, ref bad, ref badField);
        long buyVolume = Number(ref payload, 2, ref absent, ref bad, ref badField);
        long buyValue = Number(ref payload, 3, ref absent, ref bad, ref badField);
        long netVolume = Number(ref payload, 4, ref absent, ref bad, ref badField);
        long netValue = Number(ref payload, 5, ref absent, ref bad, ref badField);
        long askResidual = Number(ref payload, 6, ref absent, ref bad, ref badField);
        long bidResidual = Number(ref payload, 7, ref absent, ref bad, ref badField);
        long netResidual = Number(ref payload, 8, ref absent, ref bad, ref badField);
        for (int extra = FieldCount; extra < width; extra++)
        {
            _ = Next(ref payload);
        }

        string? code = _codes.Get(codeField);
        if (code is null)
        {
            why = $"stock code is not valid: '{Ascii(codeField)}'";
            return false;
        }

        if (!TryParseTime(timeField, out TimeOnly time, out bool timeAbsent))
        {
            why = $"time is not HHMMSS: '{Ascii(timeField)}'";
            return false;
        }

        // A damaged number costs that field only: the record is delivered with it flagged, and `why` reports it.
        var missing = (ProgramTradeFields)((absent | bad) << 2);
        if (bad != 0)
        {
            why = $"field(s) {(ProgramTradeFields)(bad << 2)} damaged (first: '{badField}'), delivered as Missing";
        }

        if (timeAbsent)
        {
            missing |= ProgramTradeFields.Time;
        }

        trade = new ProgramTrade(venue, code, tradingDate, time, sellVolume, sellValue, buyVolume, buyValue, netVolume, netValue, askResidual, bidResidual, netResidual, receivedAt, missing);
        return true;
    }

    /// <summary>Reads the next '^'-terminated field as a number, noting absent (empty/(null)) and bad fields.</summary>
    private static long Number(ref ReadOnlySpan<byte> payload, int index, ref int absent, ref int bad, ref string? badField)
    {
        ReadOnlySpan<byte> s = payload;
        int i = 0;
        bool negative = false;
        if (s.Length > 0 && s[0] is (byte)'-' or (byte)'+')
        {
            negative = s[0] == (byte)'-';
            i = 1;
        }

        int start = i;
        long acc = 0;
        while (i < s.Length)
        {
            uint d = (uint)(s[i] - '0');
            if (d > 9)
            {
                break;
            }

            acc = (acc * 10) + d;
            i++;
        }

        int digits = i - start;
        if (digits is > 0 and <= 18 && (i == s.Length || s[i] == (byte)'^'))
        {
            payload = i == s.Length ? default : s[(i + 1)..];
            return negative ? -acc : acc;
        }

        // Empty, (null), too long, or not a number: take the whole field and decide.
        ReadOnlySpan<byte> field = Next(ref payload);
        if (TryParseNumber(field, out long value, out bool wasAbsent))
        {
            if (wasAbsent)
            {
                absent |= 1 << index;
            }

            return value;
        }

        badField ??= Ascii(field);
        bad |= 1 << index;

        return 0;
    }

    private static bool LooksLikeRecordStart(ReadOnlySpan<byte> payload, int fieldIndex)
    {
        CodeAndTimeAt(payload, fieldIndex, out ReadOnlySpan<byte> code, out ReadOnlySpan<byte> time);
        return code.Length is >= 6 and <= 9 && IsAsciiAlnum(code) && time.Length == 6 && IsDigits(time);
    }

    private static bool IsAsciiAlnum(ReadOnlySpan<byte> s)
    {
        foreach (byte b in s)
        {
            if (!char.IsAsciiLetterOrDigit((char)b))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsAbsent(ReadOnlySpan<byte> field) => field.IsEmpty || field.SequenceEqual("(null)"u8);

    /// <summary>Parses a signed decimal integer; empty or <c>(null)</c> is 0 and marked absent.</summary>
    internal static bool TryParseNumber(ReadOnlySpan<byte> field, out long value, out bool absent)
    {
        absent = false;
        value = 0;
        if (IsAbsent(field))
        {
            absent = true;
            return true;
        }

        int i = 0;
        bool negative = false;
        if (field[0] is (byte)'-' or (byte)'+')
        {
            negative = field[0] == (byte)'-';
            i = 1;
        }

        int digits = field.Length - i;
        if (digits is <= 0 or > 18)
        {
            // Longer than any KIS amount; let the general parser decide (it checks overflow).
            return digits > 18 && Utf8Parser.TryParse(field, out value, out int consumed) && consumed == field.Length;
        }

        long acc = 0;
        for (; i < field.Length; i++)
        {
            uint d = (uint)(field[i] - '0');
            if (d > 9)
            {
                return false;
            }

            acc = (acc * 10) + d;
        }

        value = negative ? -acc : acc;
        return true;
    }

    internal static bool TryParseTime(ReadOnlySpan<byte> field, out TimeOnly time, out bool absent)
    {
        time = default;
        absent = false;
        if (IsAbsent(field))
        {
            absent = true;
            return true;
        }

        if (field.Length != 6 || !IsDigits(field))
        {
            return false;
        }

        int h = ((field[0] - '0') * 10) + (field[1] - '0');
        int m = ((field[2] - '0') * 10) + (field[3] - '0');
        int s = ((field[4] - '0') * 10) + (field[5] - '0');
        if (h > 23 || m > 59 || s > 59)
        {
            return false;
        }

        time = new TimeOnly(h, m, s);
        return true;
    }

    private static string Ascii(ReadOnlySpan<byte> bytes)
    {
        ReadOnlySpan<byte> shown = bytes.Length > 40 ? bytes[..40] : bytes;
        return System.Text.Encoding.UTF8.GetString(shown) + (bytes.Length > 40 ? "…" : string.Empty);
    }
}
