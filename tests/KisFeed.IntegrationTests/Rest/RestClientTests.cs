using KisFeed.IntegrationTests.Simulator;
using KisFeed.Rest;
using KisFeed.Simulator;

using Microsoft.Extensions.Time.Testing;

namespace KisFeed.IntegrationTests.Rest;

public sealed class RestClientTests : IDisposable
{
    private readonly RestTestKit _kit = new();

    public void Dispose() => _kit.Dispose();

    private static Task<KisSimulator> StartAsync(FakeTimeProvider? time = null, SimulatorRestOptions? rest = null) =>
        KisSimulator.StartAsync(SimTestKit.Quiet with { TimeProvider = time ?? (TimeProvider)TimeProvider.System, Rest = rest ?? SimulatorRestOptions.Default }, TestContext.Current.CancellationToken);

    [Fact]
    public async Task History_rows_are_typed_and_map_onto_ProgramTrade_with_the_residuals_missing()
    {
        var time = new FakeTimeProvider(SimulatorRestTests.T0);
        await using KisSimulator sim = await StartAsync(time);
        using KisRestClient client = _kit.Client(sim, time);
        IReadOnlyList<ProgramTradeHistoryRow> rows = await client.HistoryAsync("005930", Venue.Nxt, TestContext.Current.CancellationToken);

        Assert.NotEmpty(rows);
        Assert.Equal(rows.OrderBy(r => r.Timestamp), rows);
        ProgramTradeHistoryRow last = rows[^1];
        Assert.Equal((Venue.Nxt, "005930", new DateOnly(2026, 11, 24), new TimeOnly(10, 0, 0)), (last.Venue, last.Code, last.TradingDate, last.Time));
        long previousClose = sim.Market.StateAt("005930", SimulatorVenue.Nxt, time.GetUtcNow()).PreviousClose;
        Assert.Equal(last.Price - previousClose, last.Change);
        Assert.Equal(Math.Round(last.Change * 100m / previousClose, 2), last.ChangePercent);
        Assert.Equal(last.Change > 0 ? PriceChangeSign.Up : last.Change < 0 ? PriceChangeSign.Down : PriceChangeSign.Unchanged, last.ChangeSign);
        Assert.Equal(last.BuyVolume - last.SellVolume, last.NetBuyVolume);
        Assert.Equal(last.BuyValue - last.SellValue, last.NetBuyValue);
        Assert.Equal(rows[^1].NetBuyVolume - rows[^2].NetBuyVolume, last.NetBuyVolumeChange);
        Assert.True(last.AccumulatedVolume > 0);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.FromHours(9)), last.Timestamp);

        ProgramTrade t = last.ToProgramTrade();
        Assert.Equal(TradeSource.Rest, t.Source);
        Assert.Equal(ProgramTrade.ResidualFields, t.Missing);
        Assert.Equal((last.SellVolume, last.SellValue, last.BuyVolume, last.BuyValue, last.NetBuyVolume, last.NetBuyValue), (t.SellVolume, t.SellValue, t.BuyVolume, t.BuyValue, t.NetBuyVolume, t.NetBuyValue));
        Assert.Equal((0L, 0L, 0L), (t.AskResidual, t.BidResidual, t.NetBidResidual));
        Assert.Equal(last.Timestamp, t.ReceivedAt);
        Assert.Equal("H0NXPGM0", t.TrId);

        using CancellationTokenSource cts = SimTestKit.Deadline(20);
        IReadOnlyList<ProgramTradeDailyRow> days = await RestTestKit.PumpAsync(
            client.DailyHistoryAsync("005930", Venue.Krx, new DateOnly(2026, 11, 20), cts.Token), time, TimeSpan.FromMilliseconds(10), cts.Token);
        Assert.Equal(30, days.Count);
        Assert.Equal(new DateOnly(2026, 11, 20), days[^1].Date);
        Assert.Equal(days.OrderBy(d => d.Date), days);
        Assert.All(days, d => Assert.Equal(d.BuyVolume - d.SellVolume, d.NetBuyVolume));
    }

    [Fact]
    public async Task Every_client_of_the_process_shares_one_token()
    {
        await using KisSimulator sim = await StartAsync();
        using KisRestClient a = _kit.Client(sim);
        using KisRestClient b = _kit.Client(sim);
        await Task.WhenAll(Enumerable.Range(0, 10).Select(i => (i % 2 == 0 ? a : b).HistoryAsync("005930", Venue.Krx, TestContext.Current.CancellationToken)));
        Assert.Equal(1, sim.TokenRequests);
        Assert.Equal(1, a.TokenRequests);
    }

    [Fact]
    public async Task The_token_is_kept_on_disk_owner_only_without_the_secret_and_a_new_process_uses_it()
    {
        await using KisSimulator sim = await StartAsync();
        using (KisRestClient first = _kit.Client(sim))
        {
            await first.HistoryAsync("005930", Venue.Krx, TestContext.Current.CancellationToken);
        }

        string file = Assert.Single(Directory.GetFiles(_kit.Directory, "*.json"));
        Assert.Equal(AccessTokenCache.FileName(sim.RestBaseUri.GetLeftPart(UriPartial.Authority), SimulatorCredential.Demo.AppKey), Path.GetFileName(file));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_kit.Directory) & (UnixFileMode)0b111_111_111 & ~(UnixFileMode)0);
        }

        string text = await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken);
        Assert.DoesNotContain(SimulatorCredential.Demo.AppSecret, text, StringComparison.Ordinal);
        Assert.DoesNotContain(SimulatorCredential.Demo.AppKey, text, StringComparison.Ordinal);

        // A new process: nothing shared in memory, only the cache directory.
        using KisRestClient second = _kit.Client(sim, shared: new RestShared());
        await second.HistoryAsync("000660", Venue.Unified, TestContext.Current.CancellationToken);
        Assert.Equal(1, sim.TokenRequests);
        Assert.Equal(0, second.TokenRequests);
    }

    [Fact]
    public async Task An_expired_token_is_renewed_at_once_on_EGW00123()
    {
        var time = new FakeTimeProvider(SimulatorRestTests.T0);
        using CancellationTokenSource cts = SimTestKit.Deadline(20);
        await using KisSimulator sim = await StartAsync(time);
        using KisRestClient client = _kit.Client(sim, time);
        await RestTestKit.PumpAsync(client.HistoryAsync("005930", Venue.Krx, cts.Token), time, TimeSpan.FromMilliseconds(60), cts.Token);
        time.Advance(TimeSpan.FromMinutes(2));
        sim.ExpireAccessTokens();

        IReadOnlyList<ProgramTradeHistoryRow> rows = await RestTestKit.PumpAsync(client.HistoryAsync("005930", Venue.Krx, cts.Token), time, TimeSpan.FromMilliseconds(60), cts.Token);
        Assert.NotEmpty(rows);
        Assert.Equal(2, sim.TokensIssued);
        Assert.Equal(2, client.TokenRequests);
        Assert.Equal(3, sim.RestCalls); // the refused call and its retry with the new token
    }

    [Fact]
    public async Task A_token_near_its_expiry_is_renewed_before_use()
    {
        var time = new FakeTimeProvider(SimulatorRestTests.T0);
        using CancellationTokenSource cts = SimTestKit.Deadline(20);
        await using KisSimulator sim = await StartAsync(time, SimulatorRestOptions.Default with { TokenLifetime = TimeSpan.FromHours(1), TokenReuseWindow = TimeSpan.Zero });
        using KisRestClient client = _kit.Client(sim, time);
        await RestTestKit.PumpAsync(client.HistoryAsync("005930", Venue.Krx, cts.Token), time, TimeSpan.FromMilliseconds(60), cts.Token);
        time.Advance(TimeSpan.FromMinutes(31)); // 29 minutes left, under RenewBeforeExpiry (30)
        await RestTestKit.PumpAsync(client.HistoryAsync("005930", Venue.Krx, cts.Token), time, TimeSpan.FromMilliseconds(60), cts.Token);
        Assert.Equal(2, sim.TokensIssued);
        Assert.Equal(2, sim.RestCalls); // no call was refused for an expired token
    }

    [Fact]
    public async Task One_limiter_paces_100_concurrent_callers_at_or_under_the_limit_without_EGW00201()
    {
        var time = new FakeTimeProvider(SimulatorRestTests.T0);
        using CancellationTokenSource cts = SimTestKit.Deadline(60);
        await using KisSimulator sim = await StartAsync(time, SimulatorRestOptions.Default with { CallsPerSecond = 20 });
        var stamps = new StampingHandler(time);
        KisRestOptions rest = _kit.Rest with { RequestsPerSecond = 20 };
        using KisRestClient a = _kit.Client(sim, time, rest, stamps);
        using KisRestClient b = _kit.Client(sim, time, rest, stamps); // a second client of the same app key: same limiter
        string[] codes = ["005930", "000660", "035420", "005380"];
        Task<IReadOnlyList<ProgramTradeHistoryRow>>[] calls =
            [.. Enumerable.Range(0, 100).Select(i => (i % 2 == 0 ? a : b).HistoryAsync(codes[i % codes.Length], VenueExtensions.All[i % 3], cts.Token))];

        // The limiter hands out one permit per 50 ms of the fake clock: exactly one call per step. Each step waits until
        // the call's answer is back, so the simulator reads the same clock the call was sent at.
        await SimTestKit.WaitUntilAsync(() => stamps.HistoryAnswered == 1, cts.Token, "the first call is answered");
        for (int sent = 2; sent <= 100; sent++)
        {
            time.Advance(TimeSpan.FromMilliseconds(50));
            await SimTestKit.WaitUntilAsync(() => stamps.HistoryAnswered >= sent, cts.Token, $"call {sent} is answered (sent {stamps.HistoryCalls})");
            Assert.Equal(sent, stamps.HistoryCalls); // never more than one per step
        }

        IReadOnlyList<ProgramTradeHistoryRow>[] results = await Task.WhenAll(calls);
        Assert.All(results, r => Assert.NotEmpty(r));
        Assert.Equal(0, sim.RestRateLimited);
        Assert.Equal(0, a.RateLimitRetries + b.RateLimitRetries);
        Assert.Equal(100, sim.RestCalls);

        DateTimeOffset[] at = [.. stamps.Sent.Where(s => s.Path.Contains("program-trade", StringComparison.Ordinal)).Select(s => s.At).Order()];
        int busiest = at.Select((t, i) => at.Skip(i).TakeWhile(u => u - t < TimeSpan.FromSeconds(1)).Count()).Max();
        Assert.True(busiest <= 20, $"{busiest} calls within one second");
        Assert.Equal(TimeSpan.FromMilliseconds(99 * 50), at[^1] - at[0]);
    }

    [Fact]
    public async Task EGW00201_is_retried_with_backoff_and_reported_when_retries_run_out()
    {
        await using KisSimulator sim = await StartAsync();
        using KisRestClient client = _kit.Client(sim);
        sim.InjectRestFault(RestFault.RateLimit, 2);
        Assert.NotEmpty(await client.HistoryAsync("005930", Venue.Krx, TestContext.Current.CancellationToken));
        Assert.Equal(2, client.RateLimitRetries);

        using KisRestClient noRetry = _kit.Client(sim, rest: _kit.Rest with { RateLimitRetries = 0 });
        sim.InjectRestFault(RestFault.RateLimit, 1);
        KisApiException ex = await Assert.ThrowsAsync<KisApiException>(() => noRetry.HistoryAsync("005930", Venue.Krx, TestContext.Current.CancellationToken));
        Assert.Equal(("EGW00201", 500), (ex.ErrorCode, ex.HttpStatus));
        Assert.Equal("초당 거래건수를 초과하였습니다.", ex.ErrorMessage);
        Assert.True(ex.IsRateLimited && ex.IsTransient);
    }

    [Fact]
    public async Task Server_errors_arrive_typed_and_without_secrets()
    {
        await using KisSimulator sim = await StartAsync();
        var wrong = SimulatorCredential.Demo with { AppSecret = "WRONG-SECRET-" + new string('x', 40) };
        using var badClient = new KisRestClient(RestTestKit.Options(sim, cred: wrong), _kit.Rest, null, _kit.Shared);
        KisApiException cred = await Assert.ThrowsAsync<KisApiException>(() => badClient.HistoryAsync("005930", Venue.Krx, TestContext.Current.CancellationToken));
        Assert.Equal(("EGW00105", 403), (cred.ErrorCode, cred.HttpStatus));
        Assert.True(cred.IsCredentialError);
        Assert.False(cred.IsTransient);
        Assert.DoesNotContain(wrong.AppSecret, cred.ToString(), StringComparison.Ordinal);

        // Another program (no shared cache) asks for a token within the minute: EGW00133.
        using KisRestClient first = _kit.Client(sim, rest: _kit.Rest with { PersistToken = false });
        await first.HistoryAsync("005930", Venue.Krx, TestContext.Current.CancellationToken);
        using KisRestClient other = _kit.Client(sim, rest: _kit.Rest with { PersistToken = false }, shared: new RestShared());
        KisApiException tooSoon = await Assert.ThrowsAsync<KisApiException>(() => other.HistoryAsync("005930", Venue.Krx, TestContext.Current.CancellationToken));
        Assert.Equal(("EGW00133", 403), (tooSoon.ErrorCode, tooSoon.HttpStatus));
        Assert.Equal(TimeSpan.FromMinutes(1), tooSoon.RetryAfter);

        sim.InjectRestFault(RestFault.Fail);
        KisApiException gateway = await Assert.ThrowsAsync<KisApiException>(() => first.HistoryAsync("005930", Venue.Krx, TestContext.Current.CancellationToken));
        Assert.Equal((502, (string?)null), (gateway.HttpStatus, gateway.ErrorCode));
        Assert.Contains("502 Bad Gateway", gateway.Message, StringComparison.Ordinal);
        Assert.True(gateway.IsTransient);

        Assert.Throws<ArgumentException>(() => first.HistoryAsync("ABC", Venue.Krx, TestContext.Current.CancellationToken).GetAwaiter().GetResult());
        Assert.Throws<ArgumentException>(() => new KisRestClient(KisOptions.Default with { ApprovalKey = "k" }));
    }

    [Fact]
    public async Task RevokeAccessTokenAsync_ends_the_token_and_forgets_it()
    {
        var time = new FakeTimeProvider(SimulatorRestTests.T0);
        using CancellationTokenSource cts = SimTestKit.Deadline(20);
        await using KisSimulator sim = await StartAsync(time);
        using KisRestClient client = _kit.Client(sim, time);
        await client.EnsureAccessTokenAsync(cts.Token);
        Assert.Single(Directory.GetFiles(_kit.Directory, "*.json"));
        await client.RevokeAccessTokenAsync(cts.Token);
        Assert.Empty(Directory.GetFiles(_kit.Directory, "*.json"));
        time.Advance(TimeSpan.FromMinutes(1));
        await RestTestKit.PumpAsync(client.HistoryAsync("005930", Venue.Krx, cts.Token), time, TimeSpan.FromMilliseconds(60), cts.Token);
        Assert.Equal(2, sim.TokensIssued);
    }
}
