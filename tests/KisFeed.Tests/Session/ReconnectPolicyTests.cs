namespace KisFeed.Tests.Session;

public class ReconnectPolicyTests
{
    private static readonly ReconnectPolicy NoJitter = ReconnectPolicy.Default with { Jitter = 0, MinimumGap = TimeSpan.Zero };

    [Fact]
    public void GrowsExponentiallyUpToTheCap()
    {
        TimeSpan[] delays = [.. Enumerable.Range(1, 9).Select(a => NoJitter.NextDelay(a, ReconnectReason.ConnectionLost, 0.5))];
        Assert.Equal([1, 2, 4, 8, 16, 32, 60, 60, 60], delays.Select(d => d.TotalSeconds));
    }

    [Fact]
    public void NeverBelowTheMinimumGap()
    {
        ReconnectPolicy p = ReconnectPolicy.Default with { InitialDelay = TimeSpan.FromMilliseconds(10), MinimumGap = TimeSpan.FromSeconds(5) };
        for (int attempt = 1; attempt < 20; attempt++)
        {
            Assert.True(p.NextDelay(attempt, ReconnectReason.ConnectionLost, 0) >= TimeSpan.FromSeconds(5));
        }
    }

    [Theory]
    [InlineData(0.0, 0.8)]
    [InlineData(0.5, 1.0)]
    [InlineData(0.999999, 1.2)]
    public void JitterScalesWithinBounds(double random, double factor)
    {
        ReconnectPolicy p = NoJitter with { Jitter = 0.2 };
        Assert.Equal(4 * factor, p.NextDelay(3, ReconnectReason.ConnectionLost, random).TotalSeconds, 3);
    }

    [Fact]
    public void JitterNeverExceedsTheCap()
    {
        ReconnectPolicy p = NoJitter with { Jitter = 0.5 };
        Assert.Equal(60, p.NextDelay(30, ReconnectReason.ConnectionLost, 0.999).TotalSeconds, 3);
    }

    [Fact]
    public void AppKeyInUseWaitsLonger()
    {
        Assert.Equal(30, NoJitter.NextDelay(1, ReconnectReason.AppKeyInUse, 0.5).TotalSeconds);
        Assert.Equal(60, NoJitter.NextDelay(2, ReconnectReason.AppKeyInUse, 0.5).TotalSeconds);
        ReconnectPolicy longLock = NoJitter with { AppKeyInUseDelay = TimeSpan.FromMinutes(5) };
        Assert.Equal(300, longLock.NextDelay(4, ReconnectReason.AppKeyInUse, 0.5).TotalSeconds);
    }

    [Fact]
    public void HugeAttemptNumbersDoNotOverflow()
        => Assert.Equal(60, NoJitter.NextDelay(int.MaxValue, ReconnectReason.ConnectionLost, 0.5).TotalSeconds);

    [Fact]
    public void BoundedAttemptsDuringALockout()
    {
        // During a 10-minute lockout the default policy makes at most a handful of attempts, never a tight loop.
        TimeSpan elapsed = TimeSpan.Zero;
        int attempts = 0;
        while (elapsed < TimeSpan.FromMinutes(10))
        {
            attempts++;
            elapsed += ReconnectPolicy.Default.NextDelay(attempts, ReconnectReason.AppKeyInUse, 0);
        }

        Assert.InRange(attempts, 1, 14);
    }

    [Fact]
    public void RejectsSettingsThatCannotWork()
    {
        Assert.Throws<ArgumentException>(() => (ReconnectPolicy.Default with { Multiplier = 0.5 }).Validate());
        Assert.Throws<ArgumentException>(() => (ReconnectPolicy.Default with { Jitter = 1 }).Validate());
        Assert.Throws<ArgumentException>(() => (ReconnectPolicy.Default with { MaxDelay = TimeSpan.Zero }).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => ReconnectPolicy.Default.NextDelay(0, ReconnectReason.ConnectionLost, 0));
    }
}
