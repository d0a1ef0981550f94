using KisFeed.Protocol;

namespace KisFeed.Session;

/// <summary>What a refused request means for the session as a whole.</summary>
internal enum SessionAction
{
    /// <summary>Only this registration is affected.</summary>
    None,

    /// <summary><c>OPSP0011</c> with credentials at hand: request a new approval key and reconnect.</summary>
    RenewApprovalKey,

    /// <summary><c>OPSP8996</c> while reconnecting: an old session still holds the key; close cleanly and wait longer.</summary>
    WaitForAppKey,
}

/// <summary>Turns a control reply into success or a typed error with advice, and says what the session must do.</summary>
internal static class ControlErrors
{
    /// <summary>True when the state the request wanted now holds (success, already subscribed, or not subscribed on unsubscribe).</summary>
    public static bool Holds(ControlReply reply, bool subscribe) =>
        reply.IsSuccess || reply.MsgCd is ControlCodes.AlreadySubscribed || (!subscribe && reply.MsgCd is ControlCodes.NotSubscribed);

    public static (KisApiException Error, SessionAction Action) Refusal(ControlReply reply, Registration registration, bool subscribe, bool canRenewKey, bool restoring, Func<string?, string> scrub)
    {
        string msg1 = scrub(reply.Msg1);
        string what = subscribe ? "subscribe" : "unsubscribe";
        string advice = reply.MsgCd switch
        {
            ControlCodes.MaxSubscribeOver => "The session already holds KIS's maximum of 41 registrations; unsubscribe others or use another app key.",
            ControlCodes.InvalidApproval when canRenewKey => "KisFeed is requesting a new approval key and reconnecting.",
            ControlCodes.InvalidApproval => "The approval key is unknown or expired: request a new one (POST /oauth2/Approval), or give KisFeed the app key and secret so it can.",
            ControlCodes.AppKeyInUse => "Another session is using this app key (KIS allows one per app key, and may hold the slot for a while after an abnormal close). Close the other session or wait.",
            ControlCodes.InvalidTrKey => $"'{registration.Key}' is not a key KIS knows for {registration.TrId} (for a stock TR: not a listed stock code).",
            ControlCodes.InvalidTrId => $"KIS does not serve {registration.TrId} on this server (paper-trading servers do not serve program trading).",
            _ => "See the KIS error-code table in docs/protocol.md.",
        };
        var error = new KisApiException(
            $"KIS refused to {what} {registration}: rt_cd={reply.RtCd} {reply.MsgCd} {msg1}. {advice}",
            $"{what} {registration}", reply.MsgCd, msg1, rtCd: reply.RtCd, registration: registration);
        SessionAction action = reply.MsgCd switch
        {
            ControlCodes.InvalidApproval when canRenewKey => SessionAction.RenewApprovalKey,
            ControlCodes.AppKeyInUse when restoring => SessionAction.WaitForAppKey,
            _ => SessionAction.None,
        };
        return (error, action);
    }

    /// <summary>What a subscribe refused by KIS means for the registration: over the cap for <c>OPSP0008</c>, refused otherwise.</summary>
    public static RegistrationStatus StatusOf(Registration registration, ControlReply reply, KisException error) =>
        new(registration, reply.MsgCd == ControlCodes.MaxSubscribeOver ? RegistrationState.OverLimit : RegistrationState.Refused)
        {
            ErrorCode = reply.MsgCd,
            Message = error.Message,
            Error = error,
        };
}
