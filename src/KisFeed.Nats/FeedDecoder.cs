using System.Buffers.Binary;
using System.Text;

namespace KisFeed.Nats;

/// <summary>
/// Reads and checks one stream payload (<see cref="FeedCodec"/> layout). Anyone who may publish on the stream can put
/// anything there, so nothing is trusted: every field is checked against what KIS and a gateway can produce, and the
/// payload against its subject, before a trade, gap or healing outcome leaves this class. A payload that fails gets a
/// <see cref="FeedRejectReason"/> and a one-line detail naming the field and its value; nothing here throws on bad data.
/// </summary>
internal static class FeedDecoder
{
    internal const int HeaderSize = 7;
    internal const int TradeBodySize = 4 + 8 + (9 * 8) + 8 + 2;
    internal const int MaxCodeLength = 16;
    internal const int GapFixedSize = 26;
    internal const int HealingFixedSize = 48;

    private static readonly DateOnly Earliest = new(2000, 1, 1);
    private const ushort KnownFields = (1 << 11) - 1;

    public static bool TryDecode(ReadOnlySpan<byte> payload, string? subject, DateTimeOffset? storedAt, out FeedItem item, out DataGap? healedGap, out FeedRejectReason reason, out string detail)
    {
        item = default;
        healedGap = null;
        reason = Header(payload, out byte kind, out Venue venue, out string code, out detail);
        if (reason != FeedRejectReason.None)
        {
            return false;
        }

        if (subject is not null && !SubjectMatches(subject, kind, venue, code, out detail))
        {
            reason = FeedRejectReason.SubjectMismatch;
            return false;
        }

        ReadOnlySpan<byte> body = payload[(HeaderSize + code.Length)..];
        reason = kind switch
        {
            FeedCodec.TradeKind => Trade(payload, body, venue, code, storedAt, out item, out detail),
            FeedCodec.GapKind => Gap(SourceByte(payload), body, venue, code, storedAt, out item, out detail),
            _ => Healing(body, venue, code, out item, out healedGap, out detail),
        };
        return reason == FeedRejectReason.None;
    }

    private static FeedRejectReason Header(ReadOnlySpan<byte> p, out byte kind, out Venue venue, out string code, out string detail)
    {
        kind = 0;
        venue = default;
        code = string.Empty;
        detail = string.Empty;
        if (p.Length == 0)
        {
            detail = "empty payload";
            return FeedRejectReason.Empty;
        }

        if (p[0] is not (FeedCodec.Version or FeedCodec.HealingVersion or FeedCodec.SimulatedVersion))
        {
            detail = $"payload version {p[0]}; this reader knows 1 to {FeedCodec.SimulatedVersion}";
            return FeedRejectReason.UnknownVersion;
        }

        if (p.Length < HeaderSize)
        {
            detail = $"{p.Length} byte(s), shorter than the {HeaderSize}-byte header";
            return FeedRejectReason.Truncated;
        }

        kind = p[1];
        if (kind is not (FeedCodec.TradeKind or FeedCodec.GapKind) && !(kind == FeedCodec.HealingKind && p[0] >= FeedCodec.HealingVersion))
        {
            detail = $"payload kind {kind} in version {p[0]}";
            return FeedRejectReason.UnknownKind;
        }

        if (p[2] > (byte)Venue.Unified)
        {
            detail = $"venue byte {p[2]} (0 krx, 1 nxt, 2 unified)";
            return FeedRejectReason.BadHeader;
        }

        venue = (Venue)p[2];
        int n = p[6];
        if (n is 0 or > MaxCodeLength)
        {
            detail = $"code length {n} (1 to {MaxCodeLength})";
            return FeedRejectReason.BadHeader;
        }

        if (p.Length < HeaderSize + n)
        {
            detail = $"{p.Length} byte(s), the code needs {HeaderSize + n}";
            return FeedRejectReason.Truncated;
        }

        ReadOnlySpan<byte> ascii = p.Slice(HeaderSize, n);
        foreach (byte b in ascii)
        {
            if (!char.IsAsciiLetterOrDigit((char)b))
            {
                detail = $"code byte 0x{b:x2}: a stock code is ASCII letters and digits";
                return FeedRejectReason.BadHeader;
            }
        }

        code = Encoding.ASCII.GetString(ascii);
        ushort missing = BinaryPrimitives.ReadUInt16LittleEndian(p[4..]);
        if (p[0] == FeedCodec.SimulatedVersion && (p[3] & FeedCodec.SimulatedFlag) == 0)
        {
            detail = $"version {FeedCodec.SimulatedVersion} (simulated data) without the simulated flag in byte 3 (0x{p[3]:x2})";
            return FeedRejectReason.BadHeader;
        }

        byte source = SourceByte(p);
        bool headerOk = kind switch
        {
            FeedCodec.TradeKind => source <= (byte)TradeSource.Rest && (missing & ~KnownFields) == 0,
            FeedCodec.GapKind => source <= 1 && missing == 0,
            _ => source == 0 && missing == 0,
        };
        if (!headerOk)
        {
            detail = $"source byte {source} / missing-field flags 0x{missing:x4} not valid for kind {kind}";
            return FeedRejectReason.BadHeader;
        }

        return FeedRejectReason.None;
    }

    // Header byte 3 without the simulated flag (set, and only set, in version 3).
    private static byte SourceByte(ReadOnlySpan<byte> p) => p[0] == FeedCodec.SimulatedVersion ? (byte)(p[3] & ~FeedCodec.SimulatedFlag) : p[3];

    private static bool SubjectMatches(string subject, byte kind, Venue venue, string code, out string detail)
    {
        detail = string.Empty;
        string[] tokens = subject.Split('.');
        string expected = kind switch { FeedCodec.TradeKind => "pgm", FeedCodec.GapKind => "gap", _ => "heal" };
        if (tokens.Length != 4 || tokens[1] != expected || !FeedSubjects.TryParseVenueToken(tokens[2], out Venue subjectVenue) || subjectVenue != venue || tokens[3] != code)
        {
            detail = $"subject '{subject}' does not match a {expected} payload of {FeedSubjects.VenueToken(venue)} {code}";
            return false;
        }

        return true;
    }

    private static FeedRejectReason Length(ReadOnlySpan<byte> body, int size, string what, out string detail)
    {
        detail = string.Empty;
        if (body.Length < size)
        {
            detail = $"{what} body is {body.Length} byte(s), needs {size}";
            return FeedRejectReason.Truncated;
        }

        if (body.Length > size)
        {
            detail = $"{body.Length - size} byte(s) after the {size}-byte {what} body (new fields need a new version)";
            return FeedRejectReason.TrailingBytes;
        }

        return FeedRejectReason.None;
    }

    private static FeedRejectReason Trade(ReadOnlySpan<byte> p, ReadOnlySpan<byte> d, Venue venue, string code, DateTimeOffset? storedAt, out FeedItem item, out string detail)
    {
        item = default;
        FeedRejectReason length = Length(d, TradeBodySize, "trade", out detail);
        if (length != FeedRejectReason.None)
        {
            return length;
        }

        var missing = (ProgramTradeFields)BinaryPrimitives.ReadUInt16LittleEndian(p[4..]);
        long ticks = BinaryPrimitives.ReadInt64LittleEndian(d[4..]);
        if (ticks < 0 || ticks >= TimeSpan.TicksPerDay || ticks % TimeSpan.TicksPerSecond != 0)
        {
            detail = $"time of day {ticks} ticks: KIS sends whole seconds from 00:00:00 to 23:59:59";
            return FeedRejectReason.BadTime;
        }

        int dayNumber = BinaryPrimitives.ReadInt32LittleEndian(d);
        DateOnly latest = storedAt is { } stored ? KoreaTime.DateOf(stored).AddDays(1) : new DateOnly(2100, 1, 1);
        DateOnly earliest = storedAt is { } s2 ? Max(Earliest, KoreaTime.DateOf(s2).AddDays(-FeedCodec.MaxRecordAge.Days)) : Earliest;
        if (dayNumber < earliest.DayNumber || dayNumber > latest.DayNumber)
        {
            detail = $"trading date (day number {dayNumber}) outside {earliest:yyyy-MM-dd}..{latest:yyyy-MM-dd}";
            return FeedRejectReason.BadDate;
        }

        DateOnly date = DateOnly.FromDayNumber(dayNumber);
        long receivedTicks = BinaryPrimitives.ReadInt64LittleEndian(d[84..]);
        short offsetMinutes = BinaryPrimitives.ReadInt16LittleEndian(d[92..]);
        if (!TryInstant(receivedTicks, offsetMinutes, out DateTimeOffset receivedAt))
        {
            detail = $"received-at {receivedTicks} ticks, offset {offsetMinutes} min is not a valid instant";
            return FeedRejectReason.BadReceivedAt;
        }

        int dayDifference = KoreaTime.DateOf(receivedAt).DayNumber - dayNumber;
        if (dayDifference is < 0 or > 1)
        {
            detail = $"received at {receivedAt:O}, not on trading day {date:yyyy-MM-dd} (KST)";
            return FeedRejectReason.BadReceivedAt;
        }

        if (storedAt is { } at && receivedAt > at + FeedCodec.MaxClockSkew)
        {
            detail = $"received at {receivedAt:O}, {(receivedAt - at).TotalSeconds:0} s after the server stored it at {at:O} (a forged time, or the gateway's clock is wrong: check NTP)";
            return FeedRejectReason.BadReceivedAt;
        }

        Span<long> v = stackalloc long[9];
        for (int i = 0; i < 9; i++)
        {
            v[i] = BinaryPrimitives.ReadInt64LittleEndian(d[(12 + (8 * i))..]);
        }

        FeedRejectReason range = Values(v, missing, out detail);
        if (range != FeedRejectReason.None)
        {
            return range;
        }

        item = FeedItem.FromTrade(new ProgramTrade(venue, code, date, new TimeOnly(ticks), v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], receivedAt, missing, (TradeSource)SourceByte(p)));
        return FeedRejectReason.None;
    }

    // Field order: sell volume, sell value, buy volume, buy value, net volume, net value, ask residual, bid residual, net residual.
    private static readonly string[] FieldNames = ["sell volume", "sell value", "buy volume", "buy value", "net buy volume", "net buy value", "ask residual", "bid residual", "net bid residual"];

    private static FeedRejectReason Values(ReadOnlySpan<long> v, ProgramTradeFields missing, out string detail)
    {
        detail = string.Empty;
        for (int i = 0; i < 9; i++)
        {
            if (IsMissing(missing, i))
            {
                continue;
            }

            bool isValue = i is 1 or 3 or 5;
            long max = isValue ? FeedCodec.MaxValue : FeedCodec.MaxVolume;
            bool isNet = i is 4 or 5 or 8;
            if (v[i] > max || v[i] < (isNet ? -max : 0))
            {
                detail = $"{FieldNames[i]} {v[i]:N0} outside {(isNet ? -max : 0):N0}..{max:N0}";
                return FeedRejectReason.OutOfRange;
            }
        }

        // Net = buy − sell (volume, value) and net bid residual = bid − ask residual, as KIS computes them.
        if (!Holds(v, missing, net: 4, plus: 2, minus: 0, out detail) || !Holds(v, missing, net: 5, plus: 3, minus: 1, out detail) || !Holds(v, missing, net: 8, plus: 7, minus: 6, out detail))
        {
            return FeedRejectReason.Inconsistent;
        }

        return FeedRejectReason.None;
    }

    private static bool Holds(ReadOnlySpan<long> v, ProgramTradeFields missing, int net, int plus, int minus, out string detail)
    {
        detail = string.Empty;
        if (IsMissing(missing, net) || IsMissing(missing, plus) || IsMissing(missing, minus) || v[net] == v[plus] - v[minus])
        {
            return true;
        }

        detail = $"{FieldNames[net]} {v[net]:N0} ≠ {FieldNames[plus]} {v[plus]:N0} − {FieldNames[minus]} {v[minus]:N0}";
        return false;
    }

    // ProgramTradeFields: bit 0 code, bit 1 time, then the nine numbers from bit 2.
    private static bool IsMissing(ProgramTradeFields missing, int field) => ((int)missing & (1 << (field + 2))) != 0;

    private static FeedRejectReason Gap(byte flags, ReadOnlySpan<byte> d, Venue venue, string code, DateTimeOffset? storedAt, out FeedItem item, out string detail)
    {
        item = default;
        if (d.Length < GapFixedSize)
        {
            detail = $"gap body is {d.Length} byte(s), needs at least {GapFixedSize}";
            return FeedRejectReason.Truncated;
        }

        int reasonLength = BinaryPrimitives.ReadUInt16LittleEndian(d[24..]);
        FeedRejectReason length = Length(d, GapFixedSize + reasonLength, "gap", out detail);
        if (length != FeedRejectReason.None)
        {
            return length;
        }

        if (!TryInstant(BinaryPrimitives.ReadInt64LittleEndian(d), 0, out DateTimeOffset from) || !TryInstant(BinaryPrimitives.ReadInt64LittleEndian(d[8..]), 0, out DateTimeOffset to)
            || from > to || KoreaTime.DateOf(from) < Earliest || (storedAt is { } at && to > at + FeedCodec.MaxClockSkew))
        {
            detail = $"gap bounds {BinaryPrimitives.ReadInt64LittleEndian(d)}..{BinaryPrimitives.ReadInt64LittleEndian(d[8..])} ticks: reversed, invalid, or after the server stored it";
            return FeedRejectReason.BadGap;
        }

        long id = BinaryPrimitives.ReadInt64LittleEndian(d[16..]);
        string reason = Encoding.UTF8.GetString(d.Slice(GapFixedSize, reasonLength));
        item = FeedItem.FromGap(new DataGap(id, from, to, [new Registration(venue, code)], reason) { IsSeed = (flags & 1) != 0 });
        return FeedRejectReason.None;
    }

    private static FeedRejectReason Healing(ReadOnlySpan<byte> d, Venue venue, string code, out FeedItem item, out DataGap? healedGap, out string detail)
    {
        item = default;
        healedGap = null;
        if (d.Length < HealingFixedSize)
        {
            detail = $"healing body is {d.Length} byte(s), needs at least {HealingFixedSize}";
            return FeedRejectReason.Truncated;
        }

        int detailLength = BinaryPrimitives.ReadUInt16LittleEndian(d[46..]);
        FeedRejectReason length = Length(d, HealingFixedSize + detailLength, "healing", out detail);
        if (length != FeedRejectReason.None)
        {
            return length;
        }

        byte outcome = d[24];
        int rows = BinaryPrimitives.ReadInt32LittleEndian(d[25..]);
        byte flags = d[29];
        bool ok = TryInstant(BinaryPrimitives.ReadInt64LittleEndian(d), 0, out DateTimeOffset from)
            & TryInstant(BinaryPrimitives.ReadInt64LittleEndian(d[8..]), 0, out DateTimeOffset to)
            & TryInstant(BinaryPrimitives.ReadInt64LittleEndian(d[30..]), 0, out DateTimeOffset missingFrom)
            & TryInstant(BinaryPrimitives.ReadInt64LittleEndian(d[38..]), 0, out DateTimeOffset missingTo);
        if (!ok || outcome > (byte)GapHealing.NotHealed || rows < 0 || flags > 3 || from > to || ((flags & 3) == 3 && missingFrom > missingTo))
        {
            detail = $"healing outcome {outcome}, rows {rows}, flags {flags}: invalid or reversed bounds";
            return FeedRejectReason.BadHealing;
        }

        var registration = new Registration(venue, code);
        long id = BinaryPrimitives.ReadInt64LittleEndian(d[16..]);
        string text = Encoding.UTF8.GetString(d.Slice(HealingFixedSize, detailLength));
        healedGap = new DataGap(id, from, to, [registration], "healed gap");
        item = FeedItem.FromHealing(new GapHealingReport(id, registration, (GapHealing)outcome, rows, (flags & 1) != 0 ? missingFrom : null, (flags & 2) != 0 ? missingTo : null, text));
        return FeedRejectReason.None;
    }

    /// <summary>An instant from UTC ticks and an offset (whole minutes, at most ±14 h), without the exceptions of the constructor.</summary>
    private static bool TryInstant(long utcTicks, short offsetMinutes, out DateTimeOffset instant)
    {
        instant = default;
        long offsetTicks = offsetMinutes * TimeSpan.TicksPerMinute;
        if (offsetMinutes is < -840 or > 840 || utcTicks < DateTime.MinValue.Ticks || utcTicks > DateTime.MaxValue.Ticks
            || utcTicks + offsetTicks < DateTime.MinValue.Ticks || utcTicks + offsetTicks > DateTime.MaxValue.Ticks)
        {
            return false;
        }

        instant = new DateTimeOffset(utcTicks + offsetTicks, TimeSpan.FromTicks(offsetTicks));
        return true;
    }

    private static DateOnly Max(DateOnly a, DateOnly b) => a > b ? a : b;
}
