namespace KisFeed;

/// <summary>Base class of every error KisFeed raises on purpose.</summary>
public class KisException : Exception
{
    /// <summary>Creates the exception.</summary>
    public KisException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>The approval-key request (<c>POST /oauth2/Approval</c>) failed.</summary>
public sealed class KisApprovalException : KisException
{
    /// <summary>Creates the exception.</summary>
    public KisApprovalException(string message, int? httpStatus, string? errorCode, Exception? inner = null)
        : base(message, inner)
    {
        HttpStatus = httpStatus;
        ErrorCode = errorCode;
    }

    /// <summary>HTTP status, when the server answered.</summary>
    public int? HttpStatus { get; }

    /// <summary>KIS gateway error code (e.g. <c>EGW00103</c>), when given.</summary>
    public string? ErrorCode { get; }

    /// <summary>True when retrying with the same credentials cannot help (HTTP 400–499 other than 429).</summary>
    public bool IsCredentialError => HttpStatus is >= 400 and < 500 and not 429 && ErrorCode != "EGW00201";

    /// <summary>True when KIS refused because requests came too fast (<c>EGW00201</c>), not because of the credentials.</summary>
    public bool IsRateLimited => HttpStatus == 429 || ErrorCode == "EGW00201";
}

/// <summary>KIS answered a subscribe or unsubscribe message with an error code.</summary>
public class KisControlException : KisException
{
    /// <summary>Creates the exception.</summary>
    public KisControlException(string message, string? msgCd, string? msg1, string? rtCd, string trId, string trKey)
        : base(message)
    {
        MsgCd = msgCd;
        Msg1 = msg1;
        RtCd = rtCd;
        TrId = trId;
        TrKey = trKey;
    }

    /// <summary>KIS <c>msg_cd</c>, e.g. <c>OPSP0008</c>.</summary>
    public string? MsgCd { get; }

    /// <summary>KIS <c>msg1</c> (secrets redacted), e.g. <c>MAX SUBSCRIBE OVER</c>.</summary>
    public string? Msg1 { get; }

    /// <summary>KIS <c>rt_cd</c>: <c>"1"</c> for a registration error, <c>"9"</c> for a session error.</summary>
    public string? RtCd { get; }

    /// <summary>The TR id of the request.</summary>
    public string TrId { get; }

    /// <summary>The stock code of the request.</summary>
    public string TrKey { get; }
}

/// <summary>
/// The request would take the session over its registration limit (41 (TR id, code) pairs per session at KIS).
/// Raised before anything is sent.
/// </summary>
public sealed class KisSubscriptionLimitException : KisException
{
    /// <summary>Creates the exception.</summary>
    public KisSubscriptionLimitException(int current, int requested, int limit)
        : base($"This subscription needs {requested} new registration(s) but the session already holds {current} of its {limit}. " +
               $"KIS counts one registration per (TR id, stock code) pair, so one code on all three venues takes 3. " +
               "Subscribe to fewer codes or venues, or unsubscribe others first; each app key gets its own session, so more app keys allow more codes.")
    {
        Current = current;
        Requested = requested;
        Limit = limit;
    }

    /// <summary>Registrations held now.</summary>
    public int Current { get; }

    /// <summary>New registrations the request needed.</summary>
    public int Requested { get; }

    /// <summary>The limit.</summary>
    public int Limit { get; }
}

/// <summary>The connection could not be made or was lost before a request completed.</summary>
public sealed class KisConnectionException : KisException
{
    /// <summary>Creates the exception.</summary>
    public KisConnectionException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>KIS did not answer in time.</summary>
public sealed class KisTimeoutException : KisException
{
    /// <summary>Creates the exception.</summary>
    public KisTimeoutException(string message)
        : base(message)
    {
    }
}
