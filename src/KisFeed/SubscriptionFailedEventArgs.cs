namespace KisFeed;

/// <summary>
/// A registration the session could not hold: KIS refused it (when subscribing, or when it was re-sent after a
/// reconnect), or it was over the session's cap.
/// </summary>
public sealed class SubscriptionFailedEventArgs(RegistrationStatus status, bool restoring) : EventArgs
{
    /// <summary>The registration.</summary>
    public Registration Registration => Status.Registration;

    /// <summary>Where it stands: <see cref="RegistrationState.Refused"/> or <see cref="RegistrationState.OverLimit"/>, with KIS's code and message.</summary>
    public RegistrationStatus Status { get; } = status ?? throw new ArgumentNullException(nameof(status));

    /// <summary>
    /// True when it was refused as it was re-sent after a reconnect: it stays held and is tried again on the next
    /// connection. False when refused as it was subscribed: it is not held (the subscription's other registrations go on).
    /// </summary>
    public bool WhileRestoring { get; } = restoring;

    /// <summary>What KIS said, as an exception.</summary>
    public KisException Error => Status.Error ?? new KisException(Status.ToString());
}
