using System.Threading.RateLimiting;

namespace KisFeed.Rest;

/// <summary>
/// The pace of REST calls for one app key: a <see cref="TokenBucketRateLimiter"/> holding one permit, refilled one
/// permit every 1/rate seconds by a timer of the given <see cref="TimeProvider"/> (the limiter's own replenishment runs
/// on the wall clock; driving it by hand makes it testable on a fake clock). Calls are spaced evenly, never in bursts,
/// so no 1-second window at the server sees more than the rate. Waiters queue in order.
/// </summary>
internal sealed class RestRateLimiter : IDisposable
{
    private readonly TokenBucketRateLimiter _bucket;
    private readonly ITimer _timer;
    private long _granted;

    public RestRateLimiter(double requestsPerSecond, TimeProvider time)
    {
        RequestsPerSecond = requestsPerSecond;
        Period = TimeSpan.FromTicks((long)Math.Ceiling(TimeSpan.TicksPerSecond / requestsPerSecond));
        _bucket = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = 1,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = Period,
            AutoReplenishment = false,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        _timer = time.CreateTimer(static s => ((RestRateLimiter)s!)._bucket.TryReplenish(), this, Period, Period);
    }

    public double RequestsPerSecond { get; }

    public TimeSpan Period { get; }

    /// <summary>Permits granted so far.</summary>
    public long Granted => Interlocked.Read(ref _granted);

    /// <summary>Waits for the next permit.</summary>
    public async ValueTask AcquireAsync(CancellationToken ct)
    {
        using RateLimitLease lease = await _bucket.AcquireAsync(1, ct).ConfigureAwait(false);
        if (!lease.IsAcquired)
        {
            throw new InvalidOperationException("The REST rate limiter refused a permit.");
        }

        Interlocked.Increment(ref _granted);
    }

    public void Dispose()
    {
        _timer.Dispose();
        _bucket.Dispose();
    }
}
