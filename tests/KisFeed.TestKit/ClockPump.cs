using Microsoft.Extensions.Time.Testing;

namespace KisFeed.TestKit;

/// <summary>
/// Moves a fake clock on in the background (25 ms every few ms of real time), for tests that assert what a feed holds,
/// not when it came: paced REST calls and the simulator's stamps then advance. Tests of timing use <see cref="ManualTime"/>.
/// </summary>
public sealed class ClockPump : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;

    /// <summary>Starts moving <paramref name="time"/> on.</summary>
    public ClockPump(FakeTimeProvider time) => _run = Task.Run(async () =>
    {
        while (!_stop.IsCancellationRequested)
        {
            time.Advance(TimeSpan.FromMilliseconds(25));
            try
            {
                await Task.Delay(5, _stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
    });

    /// <summary>Stops the clock's movement and waits for the loop.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _run.Wait(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }
}
