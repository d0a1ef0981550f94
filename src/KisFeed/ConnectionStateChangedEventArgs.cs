namespace KisFeed;

/// <summary>A connection-state change.</summary>
public sealed class ConnectionStateChangedEventArgs(ConnectionState previous, ConnectionState current, string reason, Exception? error, int attempt, TimeSpan? nextAttemptIn) : EventArgs
{
    /// <summary>The state before.</summary>
    public ConnectionState Previous { get; } = previous;

    /// <summary>The state now.</summary>
    public ConnectionState Current { get; } = current;

    /// <summary>Why it changed, in words.</summary>
    public string Reason { get; } = reason;

    /// <summary>The error that caused it, if any.</summary>
    public Exception? Error { get; } = error;

    /// <summary>Reconnect attempt number (0 for the first connection).</summary>
    public int Attempt { get; } = attempt;

    /// <summary>With <see cref="ConnectionState.Reconnecting"/>: the wait before the next attempt.</summary>
    public TimeSpan? NextAttemptIn { get; } = nextAttemptIn;
}
