namespace KisFeed;

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
