namespace KisFeed;

/// <summary>Why a real-time frame (or part of it) could not be read.</summary>
public enum FrameError
{
    /// <summary>The frame was read in full.</summary>
    None = 0,

    /// <summary>The frame is not of the form <c>0|TR|NNN|payload</c>.</summary>
    BadHeader,

    /// <summary>The record count <c>NNN</c> is not a positive number.</summary>
    BadCount,

    /// <summary>The TR id is not one KisFeed reads.</summary>
    UnknownTrId,

    /// <summary>The number of <c>^</c>-separated values does not divide into <c>NNN</c> records.</summary>
    CountMismatch,

    /// <summary>Each record has fewer than the 11 documented fields.</summary>
    TooFewFields,

    /// <summary>The stock code or the time of a record is unreadable; the record was skipped.</summary>
    BadField,

    /// <summary>
    /// A numeric field of a record is damaged (say, a stray byte stuck to the digits). The record was delivered with
    /// that field flagged in <see cref="ProgramTrade.Missing"/>; the raw frame is reported.
    /// </summary>
    DamagedField,

    /// <summary>An encrypted frame (<c>1|</c>) arrived for a TR with no AES key from its subscribe reply, or did not decrypt.</summary>
    Undecryptable,

    /// <summary>A JSON control message could not be parsed.</summary>
    BadJson,

    /// <summary>A message that is neither a data frame nor JSON.</summary>
    UnknownMessage,
}
