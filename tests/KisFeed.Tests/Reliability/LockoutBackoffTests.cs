namespace KisFeed.Tests.Reliability;

/// <summary>
/// The DEFAULT policy during an app-key lockout (OPSP8996 for as long as KIS holds the key after an abnormal close):
/// the client's supervisor asks the policy for attempt 1 (ConnectionLost), then attempts 2, 3, ... with AppKeyInUse,
/// because every attempt inside the lockout is answered with OPSP8996. This replays that sequence on the policy alone.
/// </summary>
public sealed class LockoutBackoffTests
{
    [Theory]
    [InlineData(60, 3)]
    [InlineData(600, 14)]
    [InlineData(3600, 76)]
    public void TheDefaultPolicyMakesABoundedNumberOfAttemptsDuringALockout(int lockoutSeconds, int maxAttempts)
    {
        foreach (double random in new[] { 0.0, 0.5, 0.999 })
        {
            ReconnectPolicy p = ReconnectPolicy.Default;
            TimeSpan elapsed = TimeSpan.Zero;
            int attempts = 0;
            var waits = new List<TimeSpan>();
            while (elapsed < TimeSpan.FromSeconds(lockoutSeconds))
            {
                attempts++;
                TimeSpan wait = p.NextDelay(attempts, attempts == 1 ? ReconnectReason.ConnectionLost : ReconnectReason.AppKeyInUse, random);
                waits.Add(wait);
                elapsed += wait;
            }

            Assert.True(attempts <= maxAttempts, $"{attempts} attempts in a {lockoutSeconds} s lockout (random {random})");
            Assert.All(waits, w => Assert.True(w >= p.MinimumGap, $"a wait of {w}"));
            Assert.All(waits.Skip(1), w => Assert.True(w >= p.AppKeyInUseDelay * (1 - p.Jitter), $"a wait of {w} after OPSP8996"));
            Assert.All(waits, w => Assert.True(w <= p.MaxDelay, $"a wait of {w} beyond MaxDelay"));
        }
    }
}
