namespace KisFeed.TestKit;

/// <summary>Waits on a condition with a deadline (never a bare sleep): polls, and fails with what it waited for.</summary>
public static class Wait
{
    /// <summary>Polls <paramref name="condition"/> until it holds; throws <see cref="TimeoutException"/> naming <paramref name="what"/> when <paramref name="ct"/> fires first.</summary>
    public static async Task UntilAsync(Func<bool> condition, CancellationToken ct, string what)
    {
        while (!condition())
        {
            try
            {
                await Task.Delay(5, ct);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException("Timed out waiting until " + what);
            }
        }
    }

    /// <summary>A token that fires after <paramref name="seconds"/> of wall-clock time, the safety net of every wait.</summary>
    public static CancellationTokenSource Deadline(CancellationToken testToken, double seconds = 20)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(testToken);
        cts.CancelAfter(TimeSpan.FromSeconds(seconds));
        return cts;
    }
}
