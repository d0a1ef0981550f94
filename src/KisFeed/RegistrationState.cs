namespace KisFeed;

/// <summary>Where one registration of a subscription stands (<see cref="RegistrationStatus.State"/>).</summary>
public enum RegistrationState : byte
{
    /// <summary>
    /// Held by the subscription, not confirmed by KIS at this moment: the session is connecting or reconnecting, or the
    /// request is on its way. It is sent (or re-sent) as soon as a connection is up; records follow once KIS confirms.
    /// </summary>
    Pending,

    /// <summary>Held and confirmed by KIS on the current connection: its records arrive.</summary>
    Active,

    /// <summary>
    /// KIS refused it (<see cref="RegistrationStatus.ErrorCode"/> and <see cref="RegistrationStatus.Message"/> say why,
    /// e.g. <c>OPSP8992</c> invalid tr_key for an unknown code). Refused when subscribing, it is not held: the other
    /// registrations of the subscription go on. Refused when re-sent after a reconnect, it stays held and is tried again
    /// on the next connection.
    /// </summary>
    Refused,

    /// <summary>
    /// Not held: it would have taken the session (or every session of a pool) over its registration cap
    /// (<see cref="KisOptions.MaxRegistrations"/>, 41 at KIS), or KIS said so (<c>OPSP0008</c> MAX SUBSCRIBE OVER).
    /// </summary>
    OverLimit,
}
