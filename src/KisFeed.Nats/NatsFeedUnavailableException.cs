using NATS.Client.Core;

namespace KisFeed.Nats;

/// <summary>
/// NATS JetStream did not become usable within <see cref="NatsFeedOptions.StartTimeout"/>: no quorum, JetStream off,
/// the stream missing, or the servers unreachable. The message names what was being opened, the last error, and what to check.
/// </summary>
public sealed class NatsFeedUnavailableException : NatsException
{
    /// <summary>Creates the exception with its message.</summary>
    public NatsFeedUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its message and the last error seen.</summary>
    public NatsFeedUnavailableException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
