using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace KisFeed.Nats;

/// <summary>
/// The payload of a stream message, version 1 (trades, gaps) and 2 (adds healing outcomes): fixed little-endian binary. Trades are 110 bytes for a 6-character
/// code (the same trade as JSON is about 3× larger and several times slower to write and read: see docs/scale-out.md
/// and <c>kisfeed-bench nats</c>).
/// </summary>
/// <remarks>
/// <para>Common header (7 bytes + code):</para>
/// <code>
/// 0  u8   version (1)
/// 1  u8   kind: 1 trade, 2 gap
/// 2  u8   venue: 0 krx, 1 nxt, 2 unified (Venue's values)
/// 3  u8   source (trade: TradeSource; gap: flags, bit 0 = a seed, DataGap.IsSeed; else 0)
/// 4  u16  missing fields (trade: ProgramTradeFields; gap: 0)
/// 6  u8   code length n (1..16), then n bytes of ASCII code
/// </code>
/// <para>Trade body (after the code): i32 trading date (DateOnly.DayNumber), i64 time of day (TimeOnly ticks), 9 × i64
/// (sell volume, sell value, buy volume, buy value, net buy volume, net buy value, ask residual, bid residual, net bid
/// residual), i64 received-at UTC ticks, i16 received-at offset minutes.</para>
/// <para>Gap body: i64 from UTC ticks, i64 to UTC ticks, i64 gap id, u16 reason length, reason UTF-8.</para>
/// <para>Version 2 adds kind 3, a healing outcome (<see cref="GapHealingReport"/> of one registration), body: i64 gap from
/// UTC ticks, i64 gap to UTC ticks, i64 gap id, u8 outcome (<see cref="GapHealing"/>), i32 rows, u8 flags (bit 0: still
/// missing from present, bit 1: still missing to present), i64 still missing from UTC ticks, i64 still missing to UTC
/// ticks, u16 detail length, detail UTF-8. Trades and gaps are still written as version 1, byte for byte: readers of
/// version 1 keep reading them, and their <c>Nats-Msg-Id</c>s (hashes of the payload) do not change; such a reader skips a
/// healing message as a version it does not know.</para>
/// <para>Version 3 is data from a simulator (a gateway on the built-in simulator, on <c>kisfeed simulate</c> or on demo
/// keys): the layout of versions 1 and 2, every kind, with bit 7 of header byte 3 set (<see cref="SimulatedFlag"/>;
/// <see cref="MarkSimulated"/>, <see cref="IsSimulated"/>). Live data stays version 1 and 2 byte for byte. A reader that
/// predates version 3 rejects it as an unknown version, counted, so it can never show simulated data as the market.</para>
/// <para>A reader rejects a version it does not know, and any payload that fails the checks of <see cref="TryDecode"/>
/// (new fields mean a new version: a version-1 payload with bytes after its last field is rejected).</para>
/// </remarks>
public static class FeedCodec
{
    /// <summary>The payload version of trades and gaps (unchanged since version 1).</summary>
    public const byte Version = 1;

    /// <summary>The payload version of healing outcomes, and the highest version this code reads.</summary>
    public const byte HealingVersion = 2;

    /// <summary>The payload version of simulated data (any kind): version 1/2's layout, <see cref="SimulatedFlag"/> set.</summary>
    public const byte SimulatedVersion = 3;

    /// <summary>Bit 7 of header byte 3 (the trade's source, the gap's flags, 0 for healing): set in version 3 only.</summary>
    public const byte SimulatedFlag = 0x80;

    /// <summary>Kind byte of a trade.</summary>
    public const byte TradeKind = 1;

    /// <summary>Kind byte of a gap.</summary>
    public const byte GapKind = 2;

    // Bit 0 of a gap's header byte 3: the gap is the seed of a feed started from the start of the day. Readers that
    // predate it ignore the byte and take the seed for an ordinary gap.
    private const byte GapSeedFlag = 1;

    /// <summary>Kind byte of a healing outcome (version 2).</summary>
    public const byte HealingKind = 3;

    private const int HeaderSize = FeedDecoder.HeaderSize;
    private const int TradeBodySize = FeedDecoder.TradeBodySize;
    private const int MaxCodeLength = FeedDecoder.MaxCodeLength;
    private const int HealingFixedSize = FeedDecoder.HealingFixedSize;

    /// <summary>Bytes of an encoded trade.</summary>
    public static int TradeSize(in ProgramTrade trade) => HeaderSize + trade.Code.Length + TradeBodySize;

    /// <summary>Writes <paramref name="trade"/> into <paramref name="destination"/>; returns the bytes written.</summary>
    public static int WriteTrade(in ProgramTrade trade, Span<byte> destination)
    {
        int pos = WriteHeader(destination, TradeKind, trade.Venue, (byte)trade.Source, (ushort)trade.Missing, trade.Code);
        Span<byte> d = destination[pos..];
        BinaryPrimitives.WriteInt32LittleEndian(d, trade.TradingDate.DayNumber);
        BinaryPrimitives.WriteInt64LittleEndian(d[4..], trade.Time.Ticks);
        BinaryPrimitives.WriteInt64LittleEndian(d[12..], trade.SellVolume);
        BinaryPrimitives.WriteInt64LittleEndian(d[20..], trade.SellValue);
        BinaryPrimitives.WriteInt64LittleEndian(d[28..], trade.BuyVolume);
        BinaryPrimitives.WriteInt64LittleEndian(d[36..], trade.BuyValue);
        BinaryPrimitives.WriteInt64LittleEndian(d[44..], trade.NetBuyVolume);
        BinaryPrimitives.WriteInt64LittleEndian(d[52..], trade.NetBuyValue);
        BinaryPrimitives.WriteInt64LittleEndian(d[60..], trade.AskResidual);
        BinaryPrimitives.WriteInt64LittleEndian(d[68..], trade.BidResidual);
        BinaryPrimitives.WriteInt64LittleEndian(d[76..], trade.NetBidResidual);
        BinaryPrimitives.WriteInt64LittleEndian(d[84..], trade.ReceivedAt.UtcTicks);
        BinaryPrimitives.WriteInt16LittleEndian(d[92..], (short)trade.ReceivedAt.Offset.TotalMinutes);
        return pos + TradeBodySize;
    }

    /// <summary>Encodes a trade into a new array.</summary>
    public static byte[] EncodeTrade(in ProgramTrade trade)
    {
        byte[] bytes = new byte[TradeSize(trade)];
        WriteTrade(trade, bytes);
        return bytes;
    }

    /// <summary>Encodes the gap of one registration.</summary>
    public static byte[] EncodeGap(DataGap gap, Registration registration)
    {
        ArgumentNullException.ThrowIfNull(gap);
        string reason = gap.Reason.Length > 1000 ? gap.Reason[..1000] : gap.Reason;
        int reasonBytes = Encoding.UTF8.GetByteCount(reason);
        byte[] bytes = new byte[HeaderSize + registration.Code.Length + 26 + reasonBytes];
        int pos = WriteHeader(bytes, GapKind, registration.Venue, gap.IsSeed ? GapSeedFlag : (byte)0, 0, registration.Code);
        Span<byte> d = bytes.AsSpan(pos);
        BinaryPrimitives.WriteInt64LittleEndian(d, gap.From.UtcTicks);
        BinaryPrimitives.WriteInt64LittleEndian(d[8..], gap.To.UtcTicks);
        BinaryPrimitives.WriteInt64LittleEndian(d[16..], gap.Id);
        BinaryPrimitives.WriteUInt16LittleEndian(d[24..], (ushort)reasonBytes);
        Encoding.UTF8.GetBytes(reason, d[26..]);
        return bytes;
    }

    /// <summary>Encodes how healing <paramref name="gapFrom"/>–<paramref name="gapTo"/> of one registration ended (version 2).</summary>
    public static byte[] EncodeHealing(GapHealingReport report, DateTimeOffset gapFrom, DateTimeOffset gapTo)
    {
        ArgumentNullException.ThrowIfNull(report);
        string detail = report.Detail.Length > 1000 ? report.Detail[..1000] : report.Detail;
        int detailBytes = Encoding.UTF8.GetByteCount(detail);
        Registration r = report.Registration;
        byte[] bytes = new byte[HeaderSize + r.Code.Length + HealingFixedSize + detailBytes];
        int pos = WriteHeader(bytes, HealingKind, r.Venue, 0, 0, r.Code);
        bytes[0] = HealingVersion;
        Span<byte> d = bytes.AsSpan(pos);
        BinaryPrimitives.WriteInt64LittleEndian(d, gapFrom.UtcTicks);
        BinaryPrimitives.WriteInt64LittleEndian(d[8..], gapTo.UtcTicks);
        BinaryPrimitives.WriteInt64LittleEndian(d[16..], report.GapId);
        d[24] = (byte)report.Outcome;
        BinaryPrimitives.WriteInt32LittleEndian(d[25..], report.Rows);
        d[29] = (byte)((report.StillMissingFrom is null ? 0 : 1) | (report.StillMissingTo is null ? 0 : 2));
        BinaryPrimitives.WriteInt64LittleEndian(d[30..], report.StillMissingFrom?.UtcTicks ?? 0);
        BinaryPrimitives.WriteInt64LittleEndian(d[38..], report.StillMissingTo?.UtcTicks ?? 0);
        BinaryPrimitives.WriteUInt16LittleEndian(d[46..], (ushort)detailBytes);
        Encoding.UTF8.GetBytes(detail, d[HealingFixedSize..]);
        return bytes;
    }

    /// <summary>
    /// Marks an encoded payload (any kind) as data from a simulator: version 3, <see cref="SimulatedFlag"/> set. A
    /// gateway does this to every payload of a simulator's session; the message id is then taken of the marked payload.
    /// </summary>
    public static void MarkSimulated(Span<byte> payload)
    {
        if (payload.Length < HeaderSize || payload[0] is not (Version or HealingVersion))
        {
            throw new ArgumentException("Not an encoded version 1 or 2 payload.", nameof(payload));
        }

        payload[0] = SimulatedVersion;
        payload[3] |= SimulatedFlag;
    }

    /// <summary>Whether a payload (already read by <see cref="TryDecode"/>) is marked as data from a simulator (version 3).</summary>
    public static bool IsSimulated(ReadOnlySpan<byte> payload) => payload.Length > 3 && payload[0] == SimulatedVersion && (payload[3] & SimulatedFlag) != 0;

    /// <summary>The largest volume or residual (shares) a record may carry: 10^12, far above any stock's day.</summary>
    public const long MaxVolume = 1_000_000_000_000;

    /// <summary>The largest value (KRW) a record may carry: 10^15 (1,000조), far above any stock's day.</summary>
    public const long MaxValue = 1_000_000_000_000_000;

    /// <summary>How much later than the server stored a message its received-at (or a gap's end) may be: clocks differ a little.</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>How many days before the server stored a message its trading date may be (REST history is of recent days).</summary>
    public static readonly TimeSpan MaxRecordAge = TimeSpan.FromDays(31);

    /// <summary>Reads a payload; a trade becomes a trade item, a gap a gap item of one registration, a healing outcome a healing item.</summary>
    /// <exception cref="FormatException">The payload fails a check of <see cref="TryDecode"/> (the message names the field).</exception>
    public static FeedItem Decode(ReadOnlySpan<byte> payload) => Decode(payload, out _);

    /// <summary>
    /// Reads a payload like <see cref="Decode(ReadOnlySpan{byte})"/>; for a healing outcome, <paramref name="healedGap"/>
    /// is the gap it heals (its bounds, as the publishing client reported them; its registration is the report's).
    /// </summary>
    /// <exception cref="FormatException">The payload fails a check of <see cref="TryDecode"/> (the message names the field).</exception>
    public static FeedItem Decode(ReadOnlySpan<byte> payload, out DataGap? healedGap) =>
        TryDecode(payload, null, null, out FeedItem item, out healedGap, out FeedRejectReason reason, out string detail)
            ? item
            : throw new FormatException($"{reason}: {detail}");

    /// <summary>
    /// Reads and checks a stream message: header (version, kind, venue, code), lengths, the subject's kind, venue and code
    /// against the payload, time of day, trading date, received-at, the value ranges KIS produces (<see cref="MaxVolume"/>,
    /// <see cref="MaxValue"/>, no negative volume, value or residual) and net = buy − sell, net bid residual = bid − ask
    /// (fields flagged missing are not checked). Never throws on bad data.
    /// </summary>
    /// <param name="payload">The message's data.</param>
    /// <param name="subject">The message's subject, checked against the payload; null to skip that check.</param>
    /// <param name="storedAt">When the server stored the message (its JetStream timestamp): the trading date must be within
    /// <see cref="MaxRecordAge"/> before it and received-at at most <see cref="MaxClockSkew"/> after it; null to skip.</param>
    /// <param name="item">The item read.</param>
    /// <param name="healedGap">For a healing outcome, the gap it heals.</param>
    /// <param name="reason">Why the payload was rejected (<see cref="FeedRejectReason.None"/> when read).</param>
    /// <param name="detail">What was wrong, naming the field and its value (empty when read).</param>
    /// <returns>True when the payload was read.</returns>
    public static bool TryDecode(ReadOnlySpan<byte> payload, string? subject, DateTimeOffset? storedAt, out FeedItem item, out DataGap? healedGap, out FeedRejectReason reason, out string detail) =>
        FeedDecoder.TryDecode(payload, subject, storedAt, out item, out healedGap, out reason, out detail);

    /// <summary>
    /// The <c>Nats-Msg-Id</c> of an encoded trade: venue, code, trading day and a 128-bit hash of every field except
    /// <see cref="ProgramTrade.ReceivedAt"/> (when this copy arrived is not part of what the record says). The same record
    /// published twice, by one gateway retrying or by two gateways, gets the same id and is stored once.
    /// </summary>
    public static string TradeMessageId(in ProgramTrade trade, ReadOnlySpan<byte> encoded)
    {
        // Hash everything but the trailing received-at (10 bytes).
        UInt128 hash = XxHash128.HashToUInt128(encoded[..^10]);
        return string.Create(null, stackalloc char[64], $"p{(int)trade.Venue}.{trade.Code}.{trade.TradingDate.DayNumber}.{hash:x32}");
    }

    /// <summary>The <c>Nats-Msg-Id</c> of a gap of one registration: venue, code, from, to (the gap id is client-local and left out).</summary>
    public static string GapMessageId(DataGap gap, Registration registration)
    {
        ArgumentNullException.ThrowIfNull(gap);
        return $"g{(int)registration.Venue}.{registration.Code}.{gap.From.UtcTicks:x}.{gap.To.UtcTicks:x}";
    }

    /// <summary>The <c>Nats-Msg-Id</c> of a healing outcome: venue, code and the healed gap's from and to (one outcome per gap and registration).</summary>
    public static string HealingMessageId(Registration registration, DateTimeOffset gapFrom, DateTimeOffset gapTo) =>
        $"h{(int)registration.Venue}.{registration.Code}.{gapFrom.UtcTicks:x}.{gapTo.UtcTicks:x}";

    private static int WriteHeader(Span<byte> destination, byte kind, Venue venue, byte source, ushort missing, string code)
    {
        if (code.Length is 0 or > MaxCodeLength)
        {
            throw new ArgumentException($"Code must be 1 to {MaxCodeLength} characters.", nameof(code));
        }

        destination[0] = Version;
        destination[1] = kind;
        destination[2] = (byte)venue;
        destination[3] = source;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], missing);
        destination[6] = (byte)code.Length;
        for (int i = 0; i < code.Length; i++)
        {
            char c = code[i];
            if (c > 0x7F)
            {
                throw new ArgumentException("Code must be ASCII.", nameof(code));
            }

            destination[HeaderSize + i] = (byte)c;
        }

        return HeaderSize + code.Length;
    }

}
