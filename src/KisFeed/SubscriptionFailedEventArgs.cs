namespace KisFeed;

/// <summary>A registration that KIS refused when it was re-sent after a reconnect.</summary>
public sealed class SubscriptionFailedEventArgs(Registration registration, KisException error) : EventArgs
{
    /// <summary>The registration.</summary>
    public Registration Registration { get; } = registration;

    /// <summary>What KIS said.</summary>
    public KisException Error { get; } = error;
}
