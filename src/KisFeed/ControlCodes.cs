namespace KisFeed;

/// <summary>The KIS real-time server's <c>msg_cd</c> values that KisFeed acts on (full table in docs).</summary>
public static class ControlCodes
{
    /// <summary><c>SUBSCRIBE SUCCESS</c>.</summary>
    public const string Subscribed = "OPSP0000";

    /// <summary><c>UNSUBSCRIBE SUCCESS</c>.</summary>
    public const string Unsubscribed = "OPSP0001";

    /// <summary><c>ALREADY IN SUBSCRIBE</c>: not an error.</summary>
    public const string AlreadySubscribed = "OPSP0002";

    /// <summary><c>UNSUBSCRIBE ERROR(not found!)</c>.</summary>
    public const string NotSubscribed = "OPSP0003";

    /// <summary><c>MAX SUBSCRIBE OVER</c>: the session already holds 41 registrations.</summary>
    public const string MaxSubscribeOver = "OPSP0008";

    /// <summary><c>invalid approval : ...</c>: the approval key is unknown or expired.</summary>
    public const string InvalidApproval = "OPSP0011";

    /// <summary><c>SUBSCRIBE ERROR : invalid tr_id</c>.</summary>
    public const string InvalidTrId = "OPSP8991";

    /// <summary><c>SUBSCRIBE ERROR : invalid tr_key</c>.</summary>
    public const string InvalidTrKey = "OPSP8992";

    /// <summary><c>ALREADY IN USE appkey</c>: another session holds this app key.</summary>
    public const string AppKeyInUse = "OPSP8996";
}
