using Microsoft.Extensions.Time.Testing;

namespace KisFeed.Tests;

/// <summary>The one Korea-time helper: the KST day turns at 15:00 UTC, whatever the offset of the input.</summary>
public class KoreaTimeTests
{
    [Fact]
    public void TheKoreanDayTurnsAtMidnightKstNotUtc()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 14, 59, 59, TimeSpan.Zero));
        Assert.Equal(new DateOnly(2026, 11, 23), KoreaTime.Today(clock));
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 23, 59, 59, TimeSpan.FromHours(9)), KoreaTime.Now(clock));
        Assert.Equal(TimeSpan.FromHours(9), KoreaTime.Now(clock).Offset);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(new DateOnly(2026, 11, 24), KoreaTime.Today(clock));

        var newYork = new DateTimeOffset(2026, 11, 23, 10, 30, 0, TimeSpan.FromHours(-5)); // 00:30 KST on the 24th
        Assert.Equal(new DateOnly(2026, 11, 24), KoreaTime.DateOf(newYork));
    }

    [Fact]
    public void DateOfNeverThrowsAtTheEdgesOfTheRange()
    {
        // A forged received-at on the stream may be anywhere in DateTimeOffset's range: a date, never an exception.
        Assert.Equal(DateOnly.MaxValue, KoreaTime.DateOf(DateTimeOffset.MaxValue));
        Assert.Equal(DateOnly.MaxValue, KoreaTime.DateOf(DateTimeOffset.MaxValue.AddHours(-8)));
        Assert.Equal(new DateOnly(9999, 12, 31), KoreaTime.DateOf(new DateTimeOffset(9999, 12, 31, 14, 59, 59, TimeSpan.Zero)));
        Assert.Equal(new DateOnly(1, 1, 1), KoreaTime.DateOf(DateTimeOffset.MinValue));
        Assert.Equal(new DateOnly(1, 1, 1), KoreaTime.DateOf(new DateTimeOffset(1, 1, 1, 9, 0, 0, TimeSpan.FromHours(9))));
    }

    [Fact]
    public void AtAndStartOfGiveTheInstantOfAKoreanDateAndTime()
    {
        DateTimeOffset open = KoreaTime.At(new DateOnly(2026, 11, 24), new TimeOnly(9, 0));
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero), open.ToUniversalTime());
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 15, 0, 0, TimeSpan.Zero), KoreaTime.StartOf(new DateOnly(2026, 11, 24)).ToUniversalTime());
        Assert.Equal(new DateOnly(2026, 11, 24), KoreaTime.DateOf(KoreaTime.StartOf(new DateOnly(2026, 11, 24))));
    }
}
