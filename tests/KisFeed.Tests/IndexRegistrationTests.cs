namespace KisFeed.Tests;

/// <summary>Index registrations (<c>H0UPPGM0</c>): their TR id, their key rule, and subscriptions that take one kind only.</summary>
public class IndexRegistrationTests
{
    [Fact]
    public void An_index_registration_is_H0UPPGM0_keyed_by_the_index_code()
    {
        Registration r = Registration.Index(" 0001 ");
        Assert.Equal(RecordKind.IndexProgramTrade, r.Kind);
        Assert.Equal("H0UPPGM0", r.TrId);
        Assert.Equal("0001", r.Key);
        Assert.Equal(Venue.Krx, r.Venue);
        Assert.Equal("H0UPPGM0/0001", r.ToString());
        Assert.NotEqual(new Registration(Venue.Krx, "0001"), r); // never the same slot as a stock key
    }

    [Theory]
    [InlineData("005930")]
    [InlineData("01")]
    [InlineData("KOSPI")]
    [InlineData("")]
    public void A_key_that_is_not_a_4_digit_index_code_is_refused_with_an_example(string code)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => Registration.Index(code));
        Assert.Contains("0001 (KOSPI)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Indices_are_each_once_in_order()
    {
        Assert.Equal([Registration.Index("1001"), Registration.Index("0001")], Registration.Indices(["1001", "0001", "1001"]));
        Assert.Throws<ArgumentException>(() => Registration.Indices([]));
    }

    [Fact]
    public void An_index_on_another_venue_is_refused()
    {
        Registration nxt = Registration.Index("0001") with { Venue = Venue.Nxt };
        ArgumentException e = Assert.Throws<ArgumentException>(() => Registration.Check([nxt]));
        Assert.Contains("one TR, for KRX indices", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_subscription_of_one_kind_refuses_the_other_naming_the_call_to_use()
    {
        ArgumentException toStocks = Assert.Throws<ArgumentException>(() => Registration.Check([Registration.Index("0001")], RecordKind.StockProgramTrade));
        Assert.Contains("SubscribeIndexAsync", toStocks.Message, StringComparison.Ordinal);
        ArgumentException toIndices = Assert.Throws<ArgumentException>(() => Registration.Check([new Registration(Venue.Krx, "005930")], RecordKind.IndexProgramTrade));
        Assert.Contains("Registration.Index(code)", toIndices.Message, StringComparison.Ordinal);
        Assert.Single(Registration.Check([Registration.Index("0001")], RecordKind.IndexProgramTrade));
    }

    [Fact]
    public async Task The_client_checks_index_codes_before_connecting()
    {
        await using var client = new KisRealtimeClient(KisOptions.Default with { ApprovalKey = "test-approval-key-0000", WebSocketUri = new Uri("ws://127.0.0.1:1") });
        await Assert.ThrowsAsync<ArgumentException>(() => client.SubscribeIndexAsync(["005930"], cancellationToken: TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<ArgumentException>(() => client.SubscribeAsync([Registration.Index("0001")], cancellationToken: TestContext.Current.CancellationToken));
    }
}
