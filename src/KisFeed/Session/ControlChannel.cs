using System.Net.WebSockets;

using KisFeed.Protocol;
using KisFeed.Transport;

namespace KisFeed.Session;

/// <summary>
/// Subscribe and unsubscribe requests, one in flight at a time, each matched to its reply. KIS answers in order and
/// its replies carry the TR id and code (or, for session-level errors, no header at all), so one outstanding request
/// is enough to match every reply without guessing. <see cref="_one"/> owns <see cref="_pending"/> for writing; the
/// receive loop completes it.
/// </summary>
internal sealed class ControlChannel(TimeProvider time) : IDisposable
{
    private readonly SemaphoreSlim _one = new(1, 1);
    private volatile Pending? _pending; // set and cleared by the holder of _one; completed by the receive loop

    /// <summary>Returned by a message builder when the state wanted already holds: no request is sent.</summary>
    public static readonly byte[] AlreadyHeld = [];

    private sealed record Pending(IKisConnection Connection, Registration Registration, TaskCompletionSource<ControlReply?> Reply);

    /// <summary>
    /// Sends one request (built under the lock by <paramref name="buildMessage"/>; null: no approval key) and waits for its reply. Null when the connection went away first (the next connection
    /// restores the registration). Throws <see cref="KisException"/> (with a <see cref="TimeoutException"/> inside) when no reply came within <paramref name="timeout"/>.
    /// </summary>
    public async Task<ControlReply?> RequestAsync(IKisConnection connection, Registration registration, string trType, Func<byte[]?> buildMessage, TimeSpan timeout, CancellationToken cancellationToken)
    {
        await _one.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            byte[]? message = buildMessage();
            if (ReferenceEquals(message, AlreadyHeld))
            {
                return new ControlReply(registration.TrId, registration.Code, "N", "0", ControlCodes.AlreadySubscribed, "ALREADY IN SUBSCRIBE (confirmed on this connection)", null, null);
            }

            if (!connection.IsOpen || message is null)
            {
                return null;
            }

            var pending = new Pending(connection, registration, new TaskCompletionSource<ControlReply?>(TaskCreationOptions.RunContinuationsAsynchronously));
            _pending = pending;
            try
            {
                await connection.SendTextAsync(message, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or WebSocketException or ObjectDisposedException or InvalidOperationException)
            {
                return null;
            }

            try
            {
                return await pending.Reply.Task.WaitAsync(timeout, time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                string action = trType == SubscribeRequest.Subscribe ? "subscribe" : "unsubscribe";
                throw new KisException($"KIS did not answer the {action} of {registration} within {timeout.TotalSeconds:0.#} s.", new TimeoutException($"No reply within {timeout}."), isTransient: true);
            }
        }
        finally
        {
            _pending = null;
            _one.Release();
        }
    }

    /// <summary>
    /// Hands a reply that arrived on <paramref name="connection"/> to the request in flight, if it answers it: no TR id
    /// (a session-level error), or the same TR id and (when given) code. False: nobody asked.
    /// </summary>
    public bool TryComplete(IKisConnection connection, ControlReply reply)
    {
        Pending? pending = _pending;
        if (pending is null || !ReferenceEquals(pending.Connection, connection))
        {
            return false;
        }

        if (reply.HasTrId && (reply.TrId != pending.Registration.TrId || (!string.IsNullOrEmpty(reply.TrKey) && reply.TrKey != pending.Registration.Code)))
        {
            return false;
        }

        return pending.Reply.TrySetResult(reply);
    }

    /// <summary>The connection ended: the request in flight gets no reply.</summary>
    public void ConnectionEnded(IKisConnection connection)
    {
        Pending? pending = _pending;
        if (pending is not null && ReferenceEquals(pending.Connection, connection))
        {
            pending.Reply.TrySetResult(null);
        }
    }

    public void Dispose() => _one.Dispose();
}
