using System.Threading.Channels;

using KisFeed.Session;

using Microsoft.Extensions.Logging;

namespace KisFeed.Delivery;

/// <summary>
/// Runs user event handlers one at a time on their own task, never on the socket's receive loop. The queue is bounded:
/// when handlers fall behind by <see cref="DefaultCapacity"/> events, new events are dropped and counted
/// (<see cref="Dropped"/>, the <c>kisfeed.events.dropped</c> counter), and a warning says so at most once a second.
/// </summary>
internal sealed class EventDispatcher : IAsyncDisposable
{
    /// <summary>Events queued for slow handlers before new ones are dropped.</summary>
    public const int DefaultCapacity = 4096;

    private readonly Channel<Action> _queue;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly Action _countDrop;
    private readonly Task _loop;
    private long _dropped; // Interlocked: any posting task (the drop callback runs on it)
    private long _lastWarning = long.MinValue; // Interlocked

    public EventDispatcher(ILogger log, TimeProvider time, Action countDrop, int capacity = DefaultCapacity)
    {
        _log = log;
        _time = time;
        _countDrop = countDrop;
        _queue = Channel.CreateBounded<Action>(
            new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true, SingleWriter = false },
            _ => OnDropped());
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Events dropped because the handlers fell behind.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues a handler call; never waits (a full queue drops it and counts it).</summary>
    public void Post(Action action) => _queue.Writer.TryWrite(action);

    private void OnDropped()
    {
        long dropped = Interlocked.Increment(ref _dropped);
        _countDrop();
        long now = _time.GetTimestamp();
        long last = Interlocked.Read(ref _lastWarning);
        if ((last == long.MinValue || _time.GetElapsedTime(last, now) >= TimeSpan.FromSeconds(1))
            && Interlocked.CompareExchange(ref _lastWarning, now, last) == last)
        {
            Log.EventsDropped(_log, dropped);
        }
    }

    private async Task RunAsync()
    {
        await foreach (Action action in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                action();
            }
            catch (Exception ex)
            {
                Log.HandlerFailed(_log, ex);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }
}
