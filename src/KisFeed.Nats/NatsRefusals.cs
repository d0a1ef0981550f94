using System.Runtime.CompilerServices;

using NATS.Client.Core;

namespace KisFeed.Nats;

/// <summary>
/// The refusals a server sent on a connection (<c>-ERR 'Permissions Violation …'</c>, <c>'Authorization Violation'</c>). A refused request is
/// simply never answered, which looks like a slow server; this lets the retry loops tell "not allowed" (fail at once,
/// naming the subject) from "not yet" (wait).
/// </summary>
internal static class NatsRefusals
{
    private static readonly ConditionalWeakTable<INatsConnection, Tracker> Trackers = [];

    /// <summary>Starts watching <paramref name="connection"/> (once); returns its tracker.</summary>
    public static Tracker Watch(INatsConnection connection) => Trackers.GetValue(connection, c => new Tracker(c));

    internal sealed class Tracker
    {
        private string? _last;
        private long _at;

        public Tracker(INatsConnection connection) =>
            connection.ServerError += (_, e) =>
            {
                if (NatsStart.IsRefusal(e.Error))
                {
                    Volatile.Write(ref _last, e.Error.Trim('\'', ' '));
                    Interlocked.Exchange(ref _at, TimeProvider.System.GetTimestamp());
                }

                return ValueTask.CompletedTask;
            };

        /// <summary>The last refusal received after <paramref name="since"/> (a <see cref="TimeProvider.GetTimestamp"/>), or null.</summary>
        public string? Since(long since) => Interlocked.Read(ref _at) >= since ? Volatile.Read(ref _last) : null;
    }
}
