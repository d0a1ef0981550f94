using KisFeed.Transport;

namespace KisFeed.Session;

/// <summary>Why a connection was dropped on purpose (by the watchdog, or after a session-level refusal).</summary>
internal sealed record DropCause(string Reason, ReconnectReason Kind);

/// <summary>
/// One connection of the session and what is known about it. Created by the supervisor; <see cref="_lastMessage"/>
/// is written by its receive loop and read by the watchdog; <see cref="_cause"/> is set once by whoever drops it first.
/// </summary>
internal sealed class LiveConnection(IKisConnection transport, TimeProvider time)
{
    private long _lastMessage = time.GetTimestamp(); // Interlocked: receive loop writes, watchdog and statistics read
    private DropCause? _cause; // Interlocked.CompareExchange: first writer wins

    public IKisConnection Transport { get; } = transport;

    public DateTimeOffset ConnectedAt { get; } = time.GetUtcNow();

    /// <summary>The reason the connection was dropped on purpose, or null when it was lost.</summary>
    public DropCause? Cause => Volatile.Read(ref _cause);

    /// <summary>True while the connection is open and nobody decided to drop it.</summary>
    public bool IsUsable => Transport.IsOpen && Cause is null;

    public void Touch() => Interlocked.Exchange(ref _lastMessage, time.GetTimestamp());

    /// <summary>How long nothing at all arrived.</summary>
    public TimeSpan Quiet => time.GetElapsedTime(Interlocked.Read(ref _lastMessage));

    /// <summary>When the last message arrived (the connection's start if none did).</summary>
    public DateTimeOffset LastMessageAt => time.GetUtcNow() - Quiet;

    /// <summary>Drops the connection at once, recording why (only the first cause is kept).</summary>
    public void Drop(string reason, ReconnectReason kind)
    {
        Interlocked.CompareExchange(ref _cause, new DropCause(reason, kind), null);
        Transport.Abort();
    }
}
