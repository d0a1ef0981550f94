using System.Net;
using System.Text.Json;

using KisFeed.Simulator;

using Microsoft.Extensions.Time.Testing;

using static KisFeed.IntegrationTests.Simulator.SimTestKit;

namespace KisFeed.IntegrationTests.Simulator;

/// <summary>
/// Issue 19 item 3, the simulator's side of "a real price": a walk on the KRX tick grid (one tick per move, a realistic
/// intraday range) around the large-caps level, the same path in the WebSocket values, the REST rows and inquire-price.
/// </summary>
public sealed class SimulatorPriceTests
{
    private static readonly DateTimeOffset Day = new(2026, 11, 24, 0, 0, 0, TimeSpan.FromHours(9));

    [Theory]
    [InlineData("005930", 100)]
    [InlineData("000660", 1_000)]
    [InlineData("010950", 100)]
    [InlineData("088350", 5)]
    public void The_price_walks_the_tick_grid_one_tick_at_a_time_within_a_realistic_range(string code, long tick)
    {
        SimulatedMarket market = SimulatedMarket.Create(Quiet with { Hours = MarketHours.Real, UpdatesPerSecond = 1 });
        long level = market.Universe.Stocks.Single(s => s.Code == code).PriceLevel;
        long previous = -1, high = 0, low = long.MaxValue, moves = 0;
        for (int s = 8 * 3600; s < 20 * 3600; s++)
        {
            long p = market.StateAt(code, SimulatorVenue.Krx, Day.AddSeconds(s + 1)).Price;
            Assert.Equal(0, p % TickOf(p));
            if (previous >= 0 && p != previous)
            {
                moves++;
                long step = Math.Max(TickOf(p), TickOf(previous));
                Assert.True(Math.Abs(p - previous) <= step, $"{code} at {s}: {previous} -> {p} is more than one tick");
            }

            previous = p;
            high = Math.Max(high, p);
            low = Math.Min(low, p);
        }

        Assert.Equal(0, level % tick);
        Assert.InRange(moves, 100, 4_000); // it moves all day, not in plateaus
        double range = (high - low) / (double)low;
        Assert.InRange(range, 0.002, 0.12); // a day's range, not a jump
        Assert.InRange(low, level * 0.8, level * 1.2);

        static long TickOf(long p) => p switch { < 2_000 => 1, < 5_000 => 5, < 20_000 => 10, < 50_000 => 50, < 200_000 => 100, < 500_000 => 500, _ => 1_000 };
    }

    [Fact]
    public async Task Inquire_price_serves_the_official_fields_and_the_same_price_as_the_program_rows_and_the_truth()
    {
        using CancellationTokenSource cts = Deadline(30);
        var time = new FakeTimeProvider(SimulatorRestTests.T0);
        await using KisSimulator sim = await KisSimulator.StartAsync(Quiet with { TimeProvider = time, Hours = MarketHours.Real, UpdatesPerSecond = 4 }, cts.Token);
        for (int i = 0; i < 40; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(250));
        }

        using HttpClient http = SimulatorRestTests.Http(sim);
        string token = await SimulatorRestTests.TokenAsync(http);
        foreach ((string market, SimulatorVenue venue) in ((string, SimulatorVenue)[])[("J", SimulatorVenue.Krx), ("NX", SimulatorVenue.Nxt), ("UN", SimulatorVenue.Unified)])
        {
            (HttpStatusCode status, JsonDocument body, _) = await SimRest.GetAsync(http, token, "inquire-price", "FHKST01010100", new Dictionary<string, string> { ["FID_COND_MRKT_DIV_CODE"] = market, ["FID_INPUT_ISCD"] = "005930" });
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("0", body.RootElement.GetProperty("rt_cd").GetString());
            JsonElement o = body.RootElement.GetProperty("output");
            Assert.Equal(SimRest.Official("FHKST01010100"), SimRest.Names(o));

            StockState truth = sim.Market.StateAt("005930", venue, time.GetUtcNow());
            Assert.Equal(truth.Price, SimRest.L(o, "stck_prpr"));
            Assert.Equal(truth.Price - truth.PreviousClose, SimRest.L(o, "prdy_vrss"));
            Assert.Equal(truth.PreviousClose, SimRest.L(o, "stck_sdpr"));
            Assert.Equal(truth.AccumulatedVolume, SimRest.L(o, "acml_vol"));
            Assert.Equal(truth.AccumulatedValue, SimRest.L(o, "acml_tr_pbmn"));
            Assert.Equal(truth.NetBuyVolume, SimRest.L(o, "pgtr_ntby_qty"));
            Assert.Equal(100, SimRest.L(o, "aspr_unit"));
            Assert.InRange(SimRest.L(o, "stck_prpr"), SimRest.L(o, "stck_lwpr"), SimRest.L(o, "stck_hgpr"));
            Assert.True(SimRest.L(o, "stck_mxpr") > truth.PreviousClose && SimRest.L(o, "stck_llam") < truth.PreviousClose);

            // The program-trading rows carry the price of the same path, row by row.
            (_, JsonDocument rows) = await SimulatorRestTests.GetAsync(http, token, market, "005930");
            foreach (JsonElement r in rows.RootElement.GetProperty("output").EnumerateArray().Take(20))
            {
                var at = new DateTimeOffset(SimulatorRestTests.T0.ToOffset(TimeSpan.FromHours(9)).Date, TimeSpan.FromHours(9))
                    + TimeSpan.ParseExact(r.GetProperty("bsop_hour").GetString()!, "hhmmss", System.Globalization.CultureInfo.InvariantCulture);
                Assert.Equal(sim.Market.StateAt("005930", venue, at.AddSeconds(1)).Price, SimRest.L(r, "stck_prpr"));
                double average = (double)SimRest.L(r, "whol_smtn_shnu_tr_pbmn") / SimRest.L(r, "whol_smtn_shnu_vol");
                Assert.InRange(average, SimRest.L(r, "stck_prpr") * 0.97, SimRest.L(r, "stck_prpr") * 1.03); // value ≈ volume × that price
            }
        }
    }
}
