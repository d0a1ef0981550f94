namespace KisFeed;

/// <summary>
/// Capped exponential backoff with jitter. A pure function of the attempt number and a random number, so it can be
/// tested without timers. KIS locks an app key that reconnects in a tight loop, so every attempt also waits at least
/// <see cref="MinimumGap"/> after the previous one started, and <c>OPSP8996</c> waits at least <see cref="AppKeyInUseDelay"/>.
/// </summary>
public sealed record ReconnectPolicy
{
    /// <summary>1 s doubling to 60 s, ±20 % jitter, 5 s minimum gap, 30 s after <c>OPSP8996</c>.</summary>
    public static ReconnectPolicy Default { get; } = new();

    /// <summary>Delay before the first retry.</summary>
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Upper bound of the delay.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Growth factor per attempt.</summary>
    public double Multiplier { get; init; } = 2.0;

    /// <summary>Relative jitter: the delay is scaled by a random factor in [1 − Jitter, 1 + Jitter].</summary>
    public double Jitter { get; init; } = 0.2;

    /// <summary>The least time between the starts of two connection attempts, whatever else happens.</summary>
    public TimeSpan MinimumGap { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The least wait after <c>OPSP8996 ALREADY IN USE appkey</c>; it grows with the attempts like any delay.</summary>
    public TimeSpan AppKeyInUseDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The wait before attempt <paramref name="attempt"/> (1 = first retry). <paramref name="random01"/> is a number in
    /// [0, 1) that picks the jitter.
    /// </summary>
    public TimeSpan NextDelay(int attempt, ReconnectReason reason, double random01)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        double baseMs = reason == ReconnectReason.AppKeyInUse ? Math.Max(InitialDelay.TotalMilliseconds, AppKeyInUseDelay.TotalMilliseconds) : InitialDelay.TotalMilliseconds;
        double capMs = Math.Max(MaxDelay.TotalMilliseconds, reason == ReconnectReason.AppKeyInUse ? AppKeyInUseDelay.TotalMilliseconds : 0);
        double exponent = Math.Min(attempt - 1, 62);
        double ms = Math.Min(capMs, baseMs * Math.Pow(Multiplier, exponent));
        double factor = 1 + (Jitter * ((2 * Math.Clamp(random01, 0, 1)) - 1));
        ms = Math.Min(capMs, ms * factor);
        return TimeSpan.FromMilliseconds(Math.Max(ms, MinimumGap.TotalMilliseconds));
    }

    /// <summary>Throws <see cref="ArgumentException"/> for settings that cannot work.</summary>
    public void Validate()
    {
        if (InitialDelay < TimeSpan.Zero || MaxDelay < InitialDelay || MinimumGap < TimeSpan.Zero || AppKeyInUseDelay < TimeSpan.Zero)
        {
            throw new ArgumentException("Reconnect delays must be non-negative and MaxDelay at least InitialDelay.");
        }

        if (Multiplier < 1 || Jitter is < 0 or >= 1)
        {
            throw new ArgumentException("Reconnect Multiplier must be >= 1 and Jitter in [0, 1).");
        }
    }
}
