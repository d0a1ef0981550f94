using System.Buffers.Text;

using static KisFeed.Protocol.CaretFields;

namespace KisFeed.Protocol;

/// <summary>
/// Reads the payload of an index program-trading frame (<c>H0UPPGM0</c>, 88 fields per record) into
/// <see cref="IndexProgramTrade"/> values, with the same rules as <see cref="ProgramTradeParser"/>: the record width is
/// values / NNN (records are concatenated with the same <c>^</c>), a trailing <c>^</c> is tolerated, empty or
/// <c>(null)</c> fields read as 0 and are named in <see cref="IndexProgramTrade.Missing"/>, fields beyond the 88
/// documented ones are skipped, and each record's index code and time are checked so that a frame whose count does not
/// match its contents is reported instead of being misread.
/// </summary>
/// <remarks>
/// One exact path only: index frames come a few a second (one per index per update), not thousands, so the SIMD fast
/// path of the stock parser would buy nothing here.
/// </remarks>
internal sealed class IndexProgramTradeParser
{
    private const int FieldCount = IndexProgramTrade.FieldCount;

    private readonly long[] _numbers = new long[FieldCount];
    private readonly decimal[] _rates = new decimal[FieldCount];
    private readonly Dictionary<string, string> _codes = new(StringComparer.Ordinal); // one string per index code, not per record
    private readonly List<int> _missing = [];

    /// <summary>Reads a whole plain frame (<c>0|H0UPPGM0|NNN|payload</c>).</summary>
    public ParseResult ParseFrame(ReadOnlySpan<byte> frame, DateTimeOffset receivedAt, List<IndexProgramTrade> output)
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

        if (!data.TrId.SequenceEqual("H0UPPGM0"u8))
        {
            return new ParseResult(FrameError.UnknownTrId, 0, 0, 0, $"TR id '{Ascii(data.TrId)}' is not index program trading (H0UPPGM0)");
        }

        return ParsePayload(data.Count, data.Payload, receivedAt, output);
    }

    /// <summary>Reads <paramref name="count"/> records from a payload.</summary>
    public ParseResult ParsePayload(int count, ReadOnlySpan<byte> payload, DateTimeOffset receivedAt, List<IndexProgramTrade> output)
    {
        int values = payload.Count((byte)'^') + 1;
        (int width, int remainder) = Math.DivRem(values, count);

        // A trailing '^' (as in ProgramTradeParser): a count that does not divide, or exactly one value too many in a
        // single-record frame.
        if ((remainder != 0 || (count == 1 && values == FieldCount + 1)) && payload.Length > 0 && payload[^1] == (byte)'^')
        {
            payload = payload[..^1];
            values--;
            (width, remainder) = Math.DivRem(values, count);
        }

        if (remainder != 0)
        {
            return new ParseResult(FrameError.CountMismatch, 0, 0, 0, $"{values} values do not divide into {count} record(s)");
        }

        if (width < FieldCount)
        {
            return new ParseResult(FrameError.TooFewFields, 0, 0, width, $"{width} field(s) per record, {FieldCount} expected (H0UPPGM0)");
        }

        if (width >= 2 * FieldCount && width % FieldCount == 0 && LooksLikeRecordStart(payload, FieldCount))
        {
            return new ParseResult(FrameError.CountMismatch, 0, 0, width, $"the header says {count} record(s) but the payload holds {values / FieldCount}");
        }

        DateOnly tradingDate = KoreaTime.DateOf(receivedAt);
        int parsed = 0;
        int skipped = 0;
        int damaged = 0;
        string? skipDetail = null;
        string? damageDetail = null;
        for (int r = 0; r < count; r++)
        {
            if (TryReadRecord(ref payload, width, tradingDate, receivedAt, out IndexProgramTrade? record, out string? why))
            {
                output.Add(record);
                parsed++;
                if (why is not null)
                {
                    damaged++;
                    damageDetail ??= $"record {r + 1} of {count}: {why}";
                }
            }
            else
            {
                skipped++;
                skipDetail ??= $"record {r + 1} of {count}: {why}";
            }
        }

        return skipped != 0
            ? new ParseResult(FrameError.BadField, parsed, skipped, width, skipDetail)
            : damaged != 0
                ? new ParseResult(FrameError.DamagedField, parsed, 0, width, damageDetail)
                : new ParseResult(FrameError.None, parsed, 0, width, null);
    }

    private bool TryReadRecord(ref ReadOnlySpan<byte> payload, int width, DateOnly tradingDate, DateTimeOffset receivedAt, out IndexProgramTrade record, out string? why)
    {
        record = null!;
        why = null;
        _missing.Clear();
        ReadOnlySpan<byte> codeField = Next(ref payload);
        ReadOnlySpan<byte> timeField = Next(ref payload);
        string? firstBad = null;
        int badFields = 0;
        for (int i = 2; i < FieldCount; i++)
        {
            ReadOnlySpan<byte> field = Next(ref payload);
            _numbers[i] = 0;
            _rates[i] = 0;
            bool ok;
            bool absent;
            if (IsRate(i))
            {
                ok = TryParseRate(field, out _rates[i], out absent);
            }
            else
            {
                ok = ProgramTradeParser.TryParseNumber(field, out _numbers[i], out absent);
            }

            if (!ok)
            {
                badFields++;
                firstBad ??= $"{IndexProgramTrade.KisFieldNames[i]} '{Ascii(field)}'";
                _numbers[i] = 0;
                _rates[i] = 0;
                _missing.Add(i);
            }
            else if (absent)
            {
                _missing.Add(i);
            }
        }

        for (int extra = FieldCount; extra < width; extra++)
        {
            _ = Next(ref payload); // fields KIS appended: skipped
        }

        if (!IndexCode.TryNormalize(Ascii(codeField), out string? code))
        {
            why = $"index code is not 4 digits: '{Ascii(codeField)}'";
            return false;
        }

        if (!ProgramTradeParser.TryParseTime(timeField, out TimeOnly time, out bool timeAbsent))
        {
            why = $"time is not HHMMSS: '{Ascii(timeField)}'";
            return false;
        }

        if (timeAbsent)
        {
            _missing.Insert(0, 1);
        }

        if (badFields != 0)
        {
            why = $"{badFields} field(s) damaged (first: {firstBad}), delivered as Missing";
        }

        if (!_codes.TryGetValue(code, out string? shared))
        {
            _codes[code] = shared = code;
        }

        record = new IndexProgramTrade(
            shared, tradingDate, time,
            ArbitrageCustomer: Flow(2, 10, 4, 12, 78, 79),
            ArbitrageOwn: Flow(3, 11, 5, 13, 80, 81),
            NonArbitrageCustomer: Flow(6, 14, 8, 16, 82, 83),
            NonArbitrageOwn: Flow(7, 15, 9, 17, 84, 85),
            Arbitrage: Sum(18),
            NonArbitrage: Sum(30),
            Customer: Sum(42),
            Own: Sum(54),
            Total: Sum(66),
            ArbitrageShares: Shares(18),
            NonArbitrageShares: Shares(30),
            CustomerShares: Shares(42),
            OwnShares: Shares(54),
            TotalShares: Shares(66),
            MarketVolume: _numbers[86],
            MarketValue: _numbers[87],
            ReceivedAt: receivedAt)
        {
            Missing = _missing.Count == 0 ? [] : [.. _missing.Select(i => IndexProgramTrade.KisFieldNames[i])],
        };
        return true;
    }

    /// <summary>True for the share-rate fields: the odd positions of the five sum blocks (18–77).</summary>
    private static bool IsRate(int i) => i is >= 18 and < 78 && (i - 18) % 2 == 1;

    private IndexProgramFlow Flow(int sellVolume, int sellValue, int buyVolume, int buyValue, int netVolume, int netValue) =>
        new(_numbers[sellVolume], _numbers[sellValue], _numbers[buyVolume], _numbers[buyValue], _numbers[netVolume], _numbers[netValue]);

    /// <summary>A sum block: sell volume, (rate), sell value, (rate), buy volume, (rate), buy value, (rate), net volume, (rate), net value, (rate).</summary>
    private IndexProgramFlow Sum(int b) => Flow(b, b + 2, b + 4, b + 6, b + 8, b + 10);

    private IndexProgramShares Shares(int b) => new(_rates[b + 1], _rates[b + 3], _rates[b + 5], _rates[b + 7], _rates[b + 9], _rates[b + 11]);

    /// <summary>A decimal rate such as <c>12.34</c> or <c>-0.5</c>; empty or <c>(null)</c> is 0 and marked absent.</summary>
    internal static bool TryParseRate(ReadOnlySpan<byte> field, out decimal value, out bool absent)
    {
        absent = false;
        value = 0;
        if (field.IsEmpty || field.SequenceEqual("(null)"u8))
        {
            absent = true;
            return true;
        }

        if (field[0] == (byte)'+')
        {
            field = field[1..];
        }

        return Utf8Parser.TryParse(field, out value, out int consumed) && consumed == field.Length;
    }

    /// <summary>True when the field at <paramref name="fieldIndex"/> and the next look like the start of a record: a 4-digit index code and HHMMSS.</summary>
    private static bool LooksLikeRecordStart(ReadOnlySpan<byte> payload, int fieldIndex)
    {
        CodeAndTimeAt(payload, fieldIndex, out ReadOnlySpan<byte> code, out ReadOnlySpan<byte> time);
        return code.Length == 4 && IsDigits(code) && time.Length == 6 && IsDigits(time);
    }

    private static string Ascii(ReadOnlySpan<byte> bytes)
    {
        ReadOnlySpan<byte> shown = bytes.Length > 40 ? bytes[..40] : bytes;
        return System.Text.Encoding.UTF8.GetString(shown) + (bytes.Length > 40 ? "…" : string.Empty);
    }
}
