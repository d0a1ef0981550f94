using System.Text.Json;

using KisFeed.IntegrationTests.Client;
using KisFeed.IntegrationTests.Rest;
using KisFeed.IntegrationTests.Simulator;
using KisFeed.Simulator;
using KisFeed.TestKit;
using KisFeed.Web;

namespace KisFeed.IntegrationTests.Web;

/// <summary>The board's price column from REST (<see cref="RestPriceSource"/>): the simulator's REST price, paced.</summary>
public sealed class RestPriceTests : IDisposable
{
    private readonly RestTestKit _kit = new();

    public void Dispose() => _kit.Dispose();

    [Fact]
    public async Task The_served_boards_price_is_the_simulators_REST_price_with_the_change_since_the_previous_close()
    {
        using CancellationTokenSource deadline = ClientTestKit.Deadline(60);
        CancellationToken ct = deadline.Token;
        await using LiveBoard board = await LiveBoard.StartAsync(ct);
        RestPriceSource prices = Assert.IsType<RestPriceSource>(board.Host.Prices);
        await ClientTestKit.WaitUntilAsync(() => prices.Answers >= 1, ct, "the first REST price");

        // What the simulator's REST side says now (nothing is published in between, so its price has not moved).
        // The board's own options, so the process's token for this app key is reused (a second one would be EGW00133).
        using var rest = new KisRestClient(ClientTestKit.Options(board.Sim));
        ProgramTradeHistoryRow latest = (await rest.HistoryAsync(LiveBoard.Codes[0], Venue.Krx, ct))[^1];
        long previousClose = latest.Price - latest.Change;

        await board.PublishAsync(ct); // the board sends the code's rows, each with the quote of its price source
        var rows = board.Host.Server.Board.Snapshot().Rows.Where(r => r.Code == LiveBoard.Codes[0]).ToList();
        Assert.NotEmpty(rows);
        Assert.All(rows, r => Assert.Equal(latest.Price, r.Price));
        Assert.All(rows, r => Assert.Equal((latest.Price - previousClose) * 100.0 / previousClose, r.Chg!.Value, 6));
        Assert.Equal(new PriceQuote(latest.Price, previousClose, RestPriceSource.Description), prices.Get(LiveBoard.Codes[0]));

        using var http = new HttpClient { BaseAddress = board.Host.Url };
        using JsonDocument meta = JsonDocument.Parse(await http.GetStringAsync("api/meta", ct));
        Assert.Equal(nameof(RestPriceSource), meta.RootElement.GetProperty("priceSource").GetString());
    }

    [Fact]
    public async Task Codes_are_asked_one_at_a_time_spread_over_the_refresh_period()
    {
        using CancellationTokenSource deadline = ClientTestKit.Deadline(60);
        CancellationToken ct = deadline.Token;
        var time = new ManualTime(SimulatorRestTests.T0);
        await using KisSimulator sim = await KisSimulator.StartAsync(SimTestKit.Quiet with { TimeProvider = time }, ct);
        using KisRestClient rest = _kit.Client(sim, time);
        string[] codes = ["005930", "000660", "035420"];
        await using var prices = new RestPriceSource(rest, codes, Venue.Krx, refresh: TimeSpan.FromSeconds(30), time: time);
        DateTimeOffset started = time.GetUtcNow();
        TimeSpan step = TimeSpan.FromSeconds(10); // 30 s / 3 codes
        prices.Start();

        // Each answer comes one step after the previous one, never sooner: no burst. The clock moves only once the
        // source waits on its step timer, so however slow the machine, the figures are exact.
        for (int n = 1; n <= 4; n++)
        {
            await Wait.UntilAsync(() => prices.Answers >= n, ct, $"answer {n}");
            Assert.Equal(n, prices.Answers);
            Assert.Equal(n, rest.CallsMade);
            Assert.Equal(step * (n - 1), time.GetUtcNow() - started);
            if (n == 4)
            {
                break;
            }

            await time.WaitForTimerAsync(step, ct, since: time.GetUtcNow());
            time.Advance(step - TimeSpan.FromMilliseconds(100));
            await Task.Yield();
            Assert.Equal(n, rest.CallsMade); // not before the step is up
            time.Advance(TimeSpan.FromMilliseconds(100));
        }

        Assert.All(codes, c => Assert.Equal(RestPriceSource.Description, prices.Get(c)!.Value.Source));
        Assert.Equal(0, prices.Failures);
    }
}
