using System.Collections.Concurrent;

using Microsoft.Extensions.Time.Testing;

namespace KisFeed.TestKit;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that also tells which timers code under test has started (due time, when), so a
/// test can wait until a delay is really pending before it moves the clock: no wall clock, no race.
/// </summary>
public sealed class ManualTime(DateTimeOffset start) : FakeTimeProvider(start)
{
    private readonly ConcurrentQueue<StartedTimer> _started = new();

    /// <summary>A timer started by the code under test.</summary>
    public sealed record StartedTimer(TimeSpan Due, DateTimeOffset At);

    /// <summary>Every timer started so far, in order.</summary>
    public IReadOnlyList<StartedTimer> Started => [.. _started];

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        _started.Enqueue(new StartedTimer(dueTime, GetUtcNow()));
        return base.CreateTimer(callback, state, dueTime, period);
    }

    /// <summary>Waits until a timer of <paramref name="due"/> was started at or after <paramref name="since"/> (default: now).</summary>
    public async Task<StartedTimer> WaitForTimerAsync(TimeSpan due, CancellationToken ct, DateTimeOffset? since = null)
    {
        DateTimeOffset from = since ?? GetUtcNow();
        StartedTimer? found = null;
        await Wait.UntilAsync(() => (found = _started.LastOrDefault(t => t.Due == due && t.At >= from)) is not null, ct, $"a {due.TotalSeconds:0.###} s timer is started");
        return found!;
    }
}
