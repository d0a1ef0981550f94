using NATS.Client.Core;

namespace KisFeed.Cli;

/// <summary>
/// A NATS connection whose dispose waits at most <see cref="CliApp.StopDeadlineMargin"/>: closing a connection to a
/// server that has gone away must not hold a stopping reader (its sockets close with the process).
/// </summary>
internal sealed class BoundedNatsConnection(NatsConnection connection) : IAsyncDisposable
{
    public NatsConnection Connection { get; } = connection;

    public async ValueTask DisposeAsync() => await CliApp.DisposeWithinAsync(Connection, CliApp.StopDeadlineMargin);
}
