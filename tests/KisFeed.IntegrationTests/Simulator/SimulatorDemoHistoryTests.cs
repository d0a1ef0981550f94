using System.Net;
using System.Text.Json;

using KisFeed.Simulator;

using Microsoft.Extensions.Time.Testing;

using static KisFeed.IntegrationTests.Simulator.SimTestKit;

namespace KisFeed.IntegrationTests.Simulator;

/// <summary>
/// Issue 19 item 6: the demo's REST history reaches back to the start of the day (not 30 minutes, and not a ramp from
/// zero over the last half hour), and <c>kisfeed generate</c> has a name for every code it picks.
/// </summary>
public sealed class SimulatorDemoHistoryTests
{
    [Fact]
    public async Task The_demo_history_reaches_back_to_the_start_of_the_day_in_a_few_pages()
    {
        using CancellationTokenSource cts = Deadline(60);
        var afternoon = new DateTimeOffset(2026, 11, 24, 14, 0, 0, TimeSpan.FromHours(9));
        var time = new FakeTimeProvider(afternoon);
        await using KisSimulator sim = await KisSimulator.StartAsync(SimulatorOptions.Demo with { TimeProvider = time, ApprovalRateLimitPerSecond = 0 }, cts.Token);
        Assert.Equal(MarketHours.AlwaysOpen, sim.Options.Hours); // the demo is always open
        using HttpClient http = SimulatorRestTests.Http(sim);
        string token = await SimulatorRestTests.TokenAsync(http);
        var rows = new List<JsonElement>();
        string? cont = null;
        int pages = 0;
        var query = new Dictionary<string, string> { ["FID_COND_MRKT_DIV_CODE"] = "UN", ["FID_INPUT_ISCD"] = "005930" };
        do
        {
            (HttpStatusCode status, JsonDocument body, string? next) = await SimRest.GetAsync(http, token, "program-trade-by-stock", "FHPPG04650101", query, pages == 0 ? null : "N");
            Assert.Equal(HttpStatusCode.OK, status);
            rows.AddRange(body.RootElement.GetProperty("output").EnumerateArray());
            cont = next;
            pages++;
        }
        while (cont is "F" or "M" && pages < 50);

        Assert.Equal("D", cont);
        Assert.InRange(pages, 2, 10); // a whole day in a few pages: every second for the last 30 minutes, a row a minute before
        Assert.Equal("000059", rows[^1].GetProperty("bsop_hour").GetString()); // the day's first minute
        Assert.Equal("135959", rows[0].GetProperty("bsop_hour").GetString()); // 14:00:00.000: no update of 14:00:00 yet
        Assert.InRange(rows.Count, 1_800 + 800, 1_800 + 840);

        // The day so far is spread over the day, not packed into its last half hour.
        static long Net(JsonElement r) => SimRest.L(r, "whol_smtn_shnu_vol") + SimRest.L(r, "whol_smtn_seln_vol");
        long total = Net(rows[0]);
        JsonElement halfPastOne = rows.Single(r => r.GetProperty("bsop_hour").GetString() == "133059");
        Assert.True(Net(halfPastOne) > total * 0.8, "most of the day's program volume was traded before the last 30 minutes");
    }

    [Fact]
    public void Generate_picks_named_codes_and_refuses_a_KRX_holiday()
    {
        IReadOnlyList<string> codes = SimulatedDay.DefaultCodes(300);
        Assert.Equal(300, codes.Count);
        Assert.All(codes, c => Assert.False(string.IsNullOrEmpty(SimulatedDay.NameOf(c)), c));
        Assert.All(SimulatedDay.DefaultCodes(41), c => Assert.True(SimulatorUniverse.Default.TryGet(c, out SimulatedStock s) && !s.Generated, c)); // the default 41: real names
        Assert.Equal("005930", codes[0]);
        Assert.Null(SimulatedDay.NameOf("900000"));

        ArgumentException holiday = Assert.Throws<ArgumentException>(() => SimulatedDay.Generate(new DateOnly(2026, 10, 9), ["005930"], 10));
        Assert.Contains("KRX holiday", holiday.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => SimulatedDay.Generate(new DateOnly(2026, 11, 24), ["900000"], 10));
        Assert.Equal(new DateOnly(2026, 10, 8), SimulatedDay.LatestTradingDay(new DateOnly(2026, 10, 11)));

        SimulatedRecord[] day = [.. SimulatedDay.Generate(new DateOnly(2026, 11, 24), ["005930", "100010"], 20_000)];
        Assert.Equal(20_000, day.Length);
        Assert.Equal(day.OrderBy(r => r.At), day);
        Assert.True(day[^1].At.ToOffset(TimeSpan.FromHours(9)).Hour >= 19, "the records reach the end of the session day");
    }
}
