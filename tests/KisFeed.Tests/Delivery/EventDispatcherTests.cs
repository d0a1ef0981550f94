using KisFeed.Delivery;
using KisFeed.TestKit;

using Microsoft.Extensions.Logging;

namespace KisFeed.Tests.Delivery;

/// <summary>The public events' queue is bounded: a handler that blocks costs the events beyond it, counted, never memory.</summary>
public class EventDispatcherTests
{
    [Fact]
    public async Task BehindABlockedHandlerTheQueueHoldsItsCapacityAndDropsAndCountsTheRest()
    {
        using CancellationTokenSource deadline = Wait.Deadline(TestContext.Current.CancellationToken);
        var time = new ManualTime(DateTimeOffset.UnixEpoch);
        var log = new CountingLogger();
        int counted = 0;
        var dispatcher = new EventDispatcher(log, time, () => Interlocked.Increment(ref counted), capacity: 2);
        using var release = new ManualResetEventSlim();
        using var started = new ManualResetEventSlim();
        var ran = new List<int>();
        dispatcher.Post(() =>
        {
            started.Set();
            release.Wait(deadline.Token);
            lock (ran)
            {
                ran.Add(0);
            }
        });
        await Wait.UntilAsync(() => started.IsSet, deadline.Token, "the first handler runs and blocks");

        for (int i = 1; i <= 9; i++)
        {
            int n = i;
            dispatcher.Post(() =>
            {
                lock (ran)
                {
                    ran.Add(n);
                }
            });
        }

        Assert.Equal(7, dispatcher.Dropped); // 1 running, 2 queued, 7 dropped
        Assert.Equal(7, Volatile.Read(ref counted));
        Assert.Equal(1, log.Warnings); // said once, not per event
        release.Set();
        await dispatcher.DisposeAsync();
        Assert.Equal([0, 1, 2], ran);
    }

    [Fact]
    public async Task AHandlerThatThrowsIsLoggedAndTheNextStillRuns()
    {
        var log = new CountingLogger();
        var dispatcher = new EventDispatcher(log, TimeProvider.System, () => { });
        bool second = false;
        dispatcher.Post(() => throw new InvalidOperationException("handler bug"));
        dispatcher.Post(() => second = true);
        await dispatcher.DisposeAsync();
        Assert.True(second);
        Assert.Equal(1, log.Errors);
    }

    private sealed class CountingLogger : ILogger
    {
        private int _warnings;
        private int _errors;

        public int Warnings => Volatile.Read(ref _warnings);

        public int Errors => Volatile.Read(ref _errors);

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning)
            {
                Interlocked.Increment(ref _warnings);
            }
            else if (logLevel == LogLevel.Error)
            {
                Interlocked.Increment(ref _errors);
            }
        }
    }
}
