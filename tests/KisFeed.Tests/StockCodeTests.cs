namespace KisFeed.Tests;

/// <summary>The one stock-code rule every part of KisFeed checks codes with (the CLI's usage check included).</summary>
public class StockCodeTests
{
    [Theory]
    [InlineData("005930", "005930")]
    [InlineData(" 0000j0 ", "0000J0")]
    [InlineData("q500001", "Q500001")]
    [InlineData("Q500001", "Q500001")]
    public void KisShortCodesAreTakenUpperCased(string text, string expected)
    {
        Assert.True(StockCode.TryNormalize(text, out string? code));
        Assert.Equal(expected, code);
        Assert.Equal(expected, StockCode.Normalize(text));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("00593")]
    [InlineData("0059300")]
    [InlineData("A05930")]
    [InlineData("Q50000")]
    [InlineData("Q50000A")]
    [InlineData("00593!")]
    [InlineData("ZZZZZZZZZZ")]
    [InlineData("００５９３０")] // full-width digits
    public void AnythingElseIsRefusedWithAnExample(string? text)
    {
        Assert.False(StockCode.IsValid(text));
        ArgumentException e = Assert.Throws<ArgumentException>(() => StockCode.Normalize(text));
        Assert.Contains("e.g. 005930", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RegistrationsAreCheckedWithTheSameRule()
    {
        Assert.Equal([new Registration(Venue.Nxt, "0000J0")], Registration.Check([new Registration(Venue.Nxt, "0000j0"), new Registration(Venue.Nxt, "0000J0")]));
        Assert.Throws<ArgumentException>(() => Registration.Check([new Registration(Venue.Nxt, "ZZZZZZ")]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Registration.Check([new Registration((Venue)7, "005930")]));
        Assert.Equal(6, Registration.Of(["005930", "000660", "005930"], VenueExtensions.All).Count);
    }
}
