namespace KisFeed.Nats;

/// <summary>
/// Why a stream message was rejected by <see cref="FeedCodec.TryDecode(ReadOnlySpan{byte}, string?, DateTimeOffset?, out FeedItem, out DataGap?, out FeedRejectReason, out string)"/>:
/// it is skipped (never stored, never shown), counted by this reason, and reported in a rate-limited log line.
/// </summary>
public enum FeedRejectReason
{
    /// <summary>Not rejected.</summary>
    None = 0,

    /// <summary>The payload is empty.</summary>
    Empty,

    /// <summary>The version byte is not one this reader knows (a newer gateway, or garbage).</summary>
    UnknownVersion,

    /// <summary>The kind byte is not trade, gap or healing outcome (or healing in a version-1 payload).</summary>
    UnknownKind,

    /// <summary>The payload ends before its fields do.</summary>
    Truncated,

    /// <summary>Bytes follow the last field of the payload's version.</summary>
    TrailingBytes,

    /// <summary>A header byte is out of range: venue, code length or characters, source, missing-field flags.</summary>
    BadHeader,

    /// <summary>The subject's kind, venue or code contradicts the payload (or the subject is not a KisFeed subject).</summary>
    SubjectMismatch,

    /// <summary>The time of day is outside 00:00:00–23:59:59 or not a whole second (KIS sends HHMMSS).</summary>
    BadTime,

    /// <summary>The trading date is outside the plausible range around when the server stored the message.</summary>
    BadDate,

    /// <summary>The received-at instant is invalid, on another day than the trading date, or later than the server stored it.</summary>
    BadReceivedAt,

    /// <summary>A volume, value or residual is negative where KIS never sends one, or beyond any real magnitude.</summary>
    OutOfRange,

    /// <summary>Net buy ≠ buy − sell (volume or value), or net bid residual ≠ bid − ask residual, with all three fields present.</summary>
    Inconsistent,

    /// <summary>A gap whose bounds are invalid or reversed, or later than the server stored it.</summary>
    BadGap,

    /// <summary>A healing outcome with an unknown outcome, negative rows or invalid bounds.</summary>
    BadHealing,
}
