namespace KisFeed.Session;

// A connection's watchers: the idle watchdog and the sweep of subscriptions nobody disposed.
internal sealed partial class KisSession
{
    /// <summary>Drops the connection when nothing at all (not even PINGPONG) arrived for <see cref="KisOptions.IdleTimeout"/>; exactly then, not before.</summary>
    private async Task WatchdogAsync(LiveConnection connection, CancellationToken cancellationToken)
    {
        TimeSpan idle = _options.IdleTimeout;
        if (idle == Timeout.InfiniteTimeSpan || idle <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            while (true)
            {
                TimeSpan quiet = connection.Quiet;
                if (quiet >= idle)
                {
                    Log.Watchdog(_log, quiet);
                    connection.Drop($"no message for {quiet.TotalSeconds:0.#} s (watchdog)", ReconnectReason.ConnectionLost);
                    return;
                }

                await Task.Delay(idle - quiet, Time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Every <see cref="KisOptions.AbandonedSweepInterval"/>, releases subscriptions nobody disposed and nobody holds.</summary>
    private async Task SweepLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var timer = new PeriodicTimer(_options.AbandonedSweepInterval, Time);
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                await SweepAbandonedAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
