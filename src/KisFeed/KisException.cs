namespace KisFeed;

/// <summary>
/// Base class of every error KisFeed raises on purpose, and the type of those that do not come from a KIS answer: the
/// connection could not be made or was lost, KIS did not answer in time (with a <see cref="TimeoutException"/> inside),
/// the session stopped. Errors KIS itself reported are <see cref="KisApiException"/>; a subscription that holds none of
/// its registrations is <see cref="KisSubscriptionException"/>. The list, and when each is thrown: <c>docs/session.md</c>.
/// </summary>
public class KisException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong and what to do, with no secret in it.</param>
    /// <param name="inner">The cause, if any.</param>
    /// <param name="isTransient">True when the same call may succeed later without changing anything.</param>
    public KisException(string message, Exception? inner = null, bool isTransient = false)
        : base(message, inner)
    {
        IsTransient = isTransient;
    }

    /// <summary>
    /// True when the same call may succeed later with nothing changed: the network or the server was down, KIS did not
    /// answer in time, a rate limit was hit, or another session held the app key for a while. False when the input,
    /// the credentials or the setup must change first.
    /// </summary>
    public virtual bool IsTransient { get; }
}
