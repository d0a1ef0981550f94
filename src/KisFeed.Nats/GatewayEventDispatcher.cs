using System.Threading.Channels;

using Microsoft.Extensions.Logging;

namespace KisFeed.Nats;

/// <summary>
/// Raises a gateway's events one at a time, in order, on its own task: never on the lease loop, the lease watchdog or
/// a registration's pump, and never under one of their locks. The queue is bounded; when a handler is so slow that it
/// fills, the oldest events are dropped and counted (<see cref="Dropped"/>, metric <c>kisfeed.gateway.events.dropped</c>)
/// rather than the gateway waiting for it.
/// </summary>
internal sealed class GatewayEventDispatcher
{
    private readonly Channel<GatewayEvent> _queue;
    private readonly Action<GatewayEvent> _raise;
    private readonly ILogger _log;
    private readonly Action _onDrop;
    private readonly Task _loop;
    private long _dropped;

    public GatewayEventDispatcher(Action<GatewayEvent> raise, ILogger log, int capacity, Action onDrop)
    {
        _raise = raise;
        _log = log;
        _onDrop = onDrop;
        _queue = Channel.CreateBounded<GatewayEvent>(
            new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.DropOldest },
            _ =>
            {
                Interlocked.Increment(ref _dropped);
                _onDrop();
            });
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Events dropped because the handlers fell behind.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues an event (never waits).</summary>
    public void Post(GatewayEvent e) => _queue.Writer.TryWrite(e);

    private async Task RunAsync()
    {
        await foreach (GatewayEvent e in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                _raise(e);
            }
#pragma warning disable CA1031 // A handler's exception is the user's bug: logged, and the next events are still raised.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.EventHandlerFailed(_log, e.Kind.ToString(), ex);
            }
        }
    }

    /// <summary>Raises what is queued, then ends; waits at most <paramref name="timeout"/> for slow handlers.</summary>
    public async Task CompleteAsync(TimeSpan timeout, TimeProvider time)
    {
        _queue.Writer.TryComplete();
        try
        {
            await _loop.WaitAsync(timeout, time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Log.EventsAbandoned(_log, timeout.TotalSeconds);
        }
    }
}
