using KisFeed.Protocol;

namespace KisFeed;

/// <summary>The session's connection state.</summary>
public enum ConnectionState
{
    /// <summary>Not started, or stopped.</summary>
    Disconnected,

    /// <summary>Getting an approval key, connecting, or re-sending registrations.</summary>
    Connecting,

    /// <summary>Connected; registrations are in place.</summary>
    Connected,

    /// <summary>The connection was lost; waiting for the backoff before the next attempt.</summary>
    Reconnecting,

    /// <summary>Disposed.</summary>
    Closed,
}

/// <summary>One (venue, stock code) registration at KIS.</summary>
/// <param name="Venue">The venue; its TR id is <see cref="VenueExtensions.ProgramTradeTrId"/>.</param>
/// <param name="Code">The stock code (<c>tr_key</c>).</param>
public readonly record struct Registration(Venue Venue, string Code)
{
    /// <summary>The KIS TR id.</summary>
    public string TrId => Venue.ProgramTradeTrId();

    /// <inheritdoc/>
    public override string ToString() => $"{TrId}/{Code}";
}

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

/// <summary>A registration that KIS refused when it was re-sent after a reconnect.</summary>
public sealed class SubscriptionFailedEventArgs(Registration registration, KisException error) : EventArgs
{
    /// <summary>The registration.</summary>
    public Registration Registration { get; } = registration;

    /// <summary>What KIS said.</summary>
    public KisException Error { get; } = error;
}

/// <summary>A frame that could not be read in full. Records that could be read from it were still delivered.</summary>
public sealed class FrameRejectedEventArgs(FrameError error, string detail, ReadOnlyMemory<byte> rawFrame, int recordsDelivered) : EventArgs
{
    /// <summary>What was wrong.</summary>
    public FrameError Error { get; } = error;

    /// <summary>Details in words.</summary>
    public string Detail { get; } = detail;

    /// <summary>The frame exactly as received (a copy).</summary>
    public ReadOnlyMemory<byte> RawFrame { get; } = rawFrame;

    /// <summary>Records from this frame that were read and delivered anyway.</summary>
    public int RecordsDelivered { get; } = recordsDelivered;
}

/// <summary>A period during which the session was down, so updates for these registrations may be missing.</summary>
public sealed class DataGapEventArgs(DateTimeOffset from, DateTimeOffset to, IReadOnlyList<Registration> registrations, string reason) : EventArgs
{
    /// <summary>When the connection was lost.</summary>
    public DateTimeOffset From { get; } = from;

    /// <summary>When the registrations were back in place.</summary>
    public DateTimeOffset To { get; } = to;

    /// <summary>The registrations affected.</summary>
    public IReadOnlyList<Registration> Registrations { get; } = registrations;

    /// <summary>Why the connection was lost.</summary>
    public string Reason { get; } = reason;
}

/// <summary>A consumer fell behind and updates were dropped from its buffer.</summary>
public sealed class RecordsDroppedEventArgs(ProgramTradeSubscription subscription, long droppedSoFar) : EventArgs
{
    /// <summary>The consumer's subscription.</summary>
    public ProgramTradeSubscription Subscription { get; } = subscription;

    /// <summary>Total dropped for this consumer so far.</summary>
    public long DroppedSoFar { get; } = droppedSoFar;
}

/// <summary>Counters since the client was created.</summary>
public sealed record KisClientStatistics(
    ConnectionState State,
    long FramesReceived,
    long RecordsReceived,
    long RecordsDropped,
    long RejectedFrames,
    long ControlMessages,
    long PingPongs,
    long Reconnects,
    int Registrations,
    DateTimeOffset? ConnectedSince,
    DateTimeOffset? LastMessageAt);
