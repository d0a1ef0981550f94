using System.Threading.RateLimiting;

namespace KisFeed.Rest;

/// <summary>
/// The pace of REST calls for one app key: one permit every 1/rate seconds, handed out in request order, never in
/// bursts, so no 1-second window at the server sees more than the rate.
/// </summary>
/// <remarks>
/// A <see cref="RateLimiter"/> of System.Threading.RateLimiting (so it composes with anything that takes one), written on
/// <see cref="TimeProvider"/>: the library's own <see cref="TokenBucketRateLimiter"/> measures elapsed time with the
/// wall clock even when replenished by hand (measured: on a fake clock it stops granting when the clock runs faster than
/// the wall), so it cannot be driven by a fake clock in tests or a simulated clock in the simulator.
/// </remarks>
internal sealed class RestRateLimiter : RateLimiter
{
    private static readonly RateLimitLease Granted = new Lease(true);
    private static readonly RateLimitLease Refused = new Lease(false);

    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private DateTimeOffset _next = DateTimeOffset.MinValue;
    private DateTimeOffset? _idleSince;
    private long _granted;
    private long _waiting;
    private long _refused;

    public RestRateLimiter(double requestsPerSecond, TimeProvider time)
    {
        RequestsPerSecond = requestsPerSecond;
        Period = TimeSpan.FromTicks((long)Math.Ceiling(TimeSpan.TicksPerSecond / requestsPerSecond));
        _time = time;
        _idleSince = time.GetUtcNow();
    }

    public double RequestsPerSecond { get; }

    public TimeSpan Period { get; }

    /// <summary>Permits granted so far.</summary>
    public long GrantedCount => Interlocked.Read(ref _granted);

    /// <summary>Callers waiting for a permit now.</summary>
    public long Waiting => Interlocked.Read(ref _waiting);

    /// <inheritdoc/>
    public override TimeSpan? IdleDuration
    {
        get
        {
            lock (_gate)
            {
                DateTimeOffset now = _time.GetUtcNow();
                return _idleSince is { } since && now >= _next ? now - since : null;
            }
        }
    }

    /// <summary>Waits for the next permit; returns how long this caller had to wait for it (zero when one was free).</summary>
    public async ValueTask<TimeSpan> AcquireAsync(CancellationToken ct) => await WaitForSlotAsync(1, ct).ConfigureAwait(false);

    /// <inheritdoc/>
    public override RateLimiterStatistics GetStatistics()
    {
        lock (_gate)
        {
            return new RateLimiterStatistics
            {
                CurrentAvailablePermits = _time.GetUtcNow() >= _next ? 1 : 0,
                CurrentQueuedCount = Interlocked.Read(ref _waiting),
                TotalSuccessfulLeases = Interlocked.Read(ref _granted),
                TotalFailedLeases = Interlocked.Read(ref _refused),
            };
        }
    }

    /// <inheritdoc/>
    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(permitCount);
        lock (_gate)
        {
            DateTimeOffset now = _time.GetUtcNow();
            if (permitCount == 0)
            {
                return now >= _next ? Granted : Refused;
            }

            if (now < _next)
            {
                Interlocked.Increment(ref _refused);
                return Refused;
            }

            _next = now + (Period * permitCount);
            _idleSince = null;
        }

        Interlocked.Add(ref _granted, permitCount);
        return Granted;
    }

    /// <inheritdoc/>
    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        _ = await WaitForSlotAsync(permitCount, cancellationToken).ConfigureAwait(false);
        return Granted;
    }

    /// <summary>Reserves the next free slot (callers queue in the order they asked), waits for it, and returns the wait.</summary>
    private async ValueTask<TimeSpan> WaitForSlotAsync(int permitCount, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(permitCount);
        DateTimeOffset now, slot;
        lock (_gate)
        {
            now = _time.GetUtcNow();
            slot = now > _next ? now : _next;
            _next = slot + (Period * permitCount);
            _idleSince = null;
        }

        if (slot > now)
        {
            Interlocked.Increment(ref _waiting);
            try
            {
                await Task.Delay(slot - now, _time, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref _waiting);
            }
        }

        lock (_gate)
        {
            if (_time.GetUtcNow() >= _next)
            {
                _idleSince = _next;
            }
        }

        Interlocked.Add(ref _granted, permitCount);
        return slot - now;
    }

    private sealed class Lease(bool acquired) : RateLimitLease
    {
        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
