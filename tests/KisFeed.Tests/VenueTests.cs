namespace KisFeed.Tests;

public class VenueTests
{
    [Theory]
    [InlineData(Venue.Krx, "H0STPGM0")]
    [InlineData(Venue.Nxt, "H0NXPGM0")]
    [InlineData(Venue.Unified, "H0UNPGM0")]
    public void TrIdRoundTrips(Venue venue, string trId)
    {
        Assert.Equal(trId, venue.ProgramTradeTrId());
        Assert.True(VenueExtensions.TryFromProgramTradeTrId(trId, out var fromString));
        Assert.Equal(venue, fromString);
        Assert.True(VenueExtensions.TryFromProgramTradeTrId(System.Text.Encoding.ASCII.GetBytes(trId), out var fromBytes));
        Assert.Equal(venue, fromBytes);
    }

    [Theory]
    [InlineData("H0STCNT0")]
    [InlineData("")]
    [InlineData("h0nxpgm0")]
    public void UnknownTrIdIsRejected(string trId) => Assert.False(VenueExtensions.TryFromProgramTradeTrId(trId, out _));

    [Theory]
    [InlineData("nxt", Venue.Nxt)]
    [InlineData("KRX", Venue.Krx)]
    [InlineData("unified", Venue.Unified)]
    [InlineData("H0UNPGM0", Venue.Unified)]
    public void ParsesNames(string text, Venue expected)
    {
        Assert.True(VenueExtensions.TryParse(text, out var venue));
        Assert.Equal(expected, venue);
    }

    [Theory]
    [InlineData("통합")]
    [InlineData("un")]
    [InlineData("st")]
    [InlineData("nx")]
    public void TheShortFormsPeopleTypeAreTheClisNotTheLibrarys(string text) =>
        Assert.False(VenueExtensions.TryParse(text, out _)); // the CLI's own parser takes them (CliUsageTests)

    [Fact]
    public void EveryVenueHasOneName() => Assert.Equal(["krx", "nxt", "unified"], VenueExtensions.All.Select(v => v.Name()));
}
