using KisFeed.IntegrationTests.Simulator;
using KisFeed.Simulator;
using KisFeed.TestKit;

namespace KisFeed.IntegrationTests.Rest;

/// <summary>The REST side of the <c>KisFeed</c> meter against the simulator: calls by API and outcome, limiter waits, EGW00201.</summary>
public sealed class RestMetricsTests : IDisposable
{
    private readonly RestTestKit _kit = new();

    public void Dispose() => _kit.Dispose();

    [Fact]
    public async Task RestCallsLimiterWaitsAndRateLimitAnswersAreCounted()
    {
        using var meters = new TestMeterFactory();
        using var seen = new Measurements(meters);
        await using KisSimulator sim = await KisSimulator.StartAsync(SimTestKit.Quiet, TestContext.Current.CancellationToken);
        // Two calls a second: the two retries after EGW00201 (1 ms backoff) each wait about half a second for their permit.
        using var client = new KisRestClient(RestTestKit.Options(sim) with { MeterFactory = meters }, _kit.Rest with { RequestsPerSecond = 2 }, null, _kit.Shared);
        sim.InjectRestFault(RestFault.RateLimit, 2);

        Assert.NotEmpty(await client.HistoryAsync("005930", Venue.Krx, TestContext.Current.CancellationToken));

        Assert.Equal(1, seen.Sum(KisFeedInstruments.RestCalls, (KisFeedInstruments.ApiTag, "tokenP"), (KisFeedInstruments.OutcomeTag, "ok")));
        Assert.Equal(2, seen.Sum(KisFeedInstruments.RestCalls, (KisFeedInstruments.ApiTag, "FHPPG04650101"), (KisFeedInstruments.OutcomeTag, "error")));
        Assert.Equal(1, seen.Sum(KisFeedInstruments.RestCalls, (KisFeedInstruments.ApiTag, "FHPPG04650101"), (KisFeedInstruments.OutcomeTag, "ok")));
        Assert.Equal(client.CallsMade, seen.Sum(KisFeedInstruments.RestCalls, (KisFeedInstruments.ApiTag, "FHPPG04650101")));
        Assert.Equal(2, seen.Sum(KisFeedInstruments.RestRateLimited, (KisFeedInstruments.ApiTag, "FHPPG04650101")));
        Assert.Equal(2, seen.Sum(KisFeedInstruments.RestLimiterWaits));
        Assert.Equal(2, seen.Count(KisFeedInstruments.RestLimiterWaitDuration));
    }
}
