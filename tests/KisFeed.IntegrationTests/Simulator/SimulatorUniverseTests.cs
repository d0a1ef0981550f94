using System.Net;
using System.Text.Json;

using KisFeed.Simulator;

using Microsoft.Extensions.Time.Testing;

using static KisFeed.IntegrationTests.Simulator.SimTestKit;

namespace KisFeed.IntegrationTests.Simulator;

/// <summary>Issues 19 item 6 and 20 item 4: a universe of listed codes that looks like the market, and only those have data.</summary>
public sealed class SimulatorUniverseTests
{
    private static readonly DateTimeOffset Close = new(2026, 11, 24, 15, 30, 0, TimeSpan.FromHours(9));

    [Fact]
    public void The_default_universe_lists_about_2600_stocks_the_large_caps_by_their_real_names_the_rest_marked_generated()
    {
        SimulatorUniverse u = SimulatorUniverse.Default;
        Assert.InRange(u.Stocks.Count, 2_500, 2_800);
        string[] csv = [.. File.ReadAllLines(Path.Combine(SimulatorRestTests.RepoRoot(), "data", "large-caps.csv")).Where(l => l.Length > 0 && l[0] != '#').Skip(1)];
        Assert.True(csv.Length >= 100, $"{csv.Length} large caps");
        foreach (string line in csv)
        {
            string[] f = line.Split(',');
            Assert.True(u.TryGet(f[0], out SimulatedStock s), f[0]);
            Assert.Equal((f[1], false), (s.Name, s.Generated));
            Assert.Equal(f[3] == "KOSDAQ" ? StockMarket.Kosdaq : StockMarket.Kospi, s.Market);
        }

        Assert.Equal("삼성전자", Name("005930"));
        Assert.Equal("S-Oil", Name("010950"));
        SimulatedStock[] generated = [.. u.Stocks.Where(s => s.Generated)];
        Assert.All(generated, s => Assert.StartsWith(SimulatorUniverse.GeneratedNamePrefix, s.Name, StringComparison.Ordinal));
        Assert.All(u.Stocks, s => Assert.Matches("^[0-9]{6}$", s.Code));

        // A realistic shape: most listings are on KOSDAQ, traded value spreads over orders of magnitude, the large caps on top.
        double kosdaq = generated.Count(s => s.Market == StockMarket.Kosdaq) / (double)generated.Length;
        Assert.InRange(kosdaq, 0.55, 0.70);
        long[] values = [.. generated.Select(s => s.TypicalTradedValue).Order()];
        Assert.InRange(values[values.Length / 2], 1.5e9, 5e9);
        Assert.True(values[^1] / (double)values[values.Length / 10] > 100, "traded values span more than two orders of magnitude");
        Assert.True(u.Stocks.Single(s => s.Code == "005930").TypicalTradedValue > values[^1], "Samsung trades more than any generated stock");

        // The codes the repository's tests and tools subscribe to are listed; made-up ones are not.
        Assert.All((string[])["100000", "100051", "101799", "200007", "005937", "007047", "050610"], c => Assert.True(u.Contains(c), c));
        Assert.All((string[])["999999", "123456", "123450", "900000", "5930", "Q500001"], c => Assert.False(u.Contains(c), c));
        Assert.Equal(["0001", "1001", "2001", "0128"], u.Indices.Select(i => i.Code));
        Assert.Equal(200, u.Indices.Single(i => i.Code == "2001").Members.Count);
    }

    [Fact]
    public void Program_value_per_stock_scales_with_its_usual_traded_value()
    {
        SimulatedMarket market = SimulatedMarket.Create(Quiet with { Hours = MarketHours.Real, UpdatesPerSecond = 2 });
        StockState samsung = market.StateAt("005930", SimulatorVenue.Unified, Close);
        StockState soil = market.StateAt("010950", SimulatorVenue.Unified, Close);
        long samsungProgram = samsung.SellValue + samsung.BuyValue, soilProgram = soil.SellValue + soil.BuyValue;
        Assert.True(samsungProgram > 5 * soilProgram, $"Samsung {samsungProgram / 1e8:N0}억 vs S-Oil {soilProgram / 1e8:N0}억");
        Assert.InRange(samsung.AccumulatedValue, 3e11, 4e12); // about its 1.2조 a day
        Assert.InRange(samsungProgram / (2.0 * samsung.AccumulatedValue), 0.05, 0.45); // a program share like the real one (~30 %)
        Assert.Contains("005930", market.RankByTradedValue(Close, SimulatorVenue.Unified, count: 5).Select(s => s.Code));
    }

    [Fact]
    public async Task An_unknown_code_is_refused_on_the_WebSocket_and_gets_an_error_body_over_REST()
    {
        using CancellationTokenSource cts = Deadline();
        var time = new FakeTimeProvider(SimulatorRestTests.T0);
        await using KisSimulator sim = await SimulatorRestTests.StartAsync(time);
        string key = await ApprovalKeyAsync(sim, cts.Token);
        await using RawKisSocket ws = await RawKisSocket.ConnectAsync(sim, cts.Token);
        foreach ((string tr, string code) in ((string, string)[])[("H0STPGM0", "999999"), ("H0NXPGM0", "123456"), ("H0UPPGM0", "9999")])
        {
            using JsonDocument r = await ws.RequestAsync(SubscribeJson(key, tr, code), cts.Token);
            Assert.Equal(("1", "OPSP8992", "SUBSCRIBE ERROR : invalid tr_key"), Body(r));
        }

        using (JsonDocument ok = await ws.RequestAsync(SubscribeJson(key, "H0STPGM0", "100010"), cts.Token))
        {
            Assert.Equal("OPSP0000", Body(ok).MsgCd); // a generated code is listed
        }

        Assert.Equal(["100010"], sim.Sessions.Single().Registrations.Select(r => r.TrKey)); // the refused ones take no slot

        using HttpClient http = SimulatorRestTests.Http(sim);
        string token = await SimulatorRestTests.TokenAsync(http);
        foreach ((string trId, bool daily) in ((string, bool)[])[("FHPPG04650101", false), ("FHPPG04650201", true)])
        {
            (HttpStatusCode status, JsonDocument body) = await SimulatorRestTests.GetAsync(http, token, "J", "999999", trId, daily, string.Empty);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(("7", "KIOK0560"), (body.RootElement.GetProperty("rt_cd").GetString(), body.RootElement.GetProperty("msg_cd").GetString()));
            Assert.False(body.RootElement.TryGetProperty("output", out _));
        }

        (_, JsonDocument price, _) = await SimRest.GetAsync(http, token, "inquire-price", "FHKST01010100", new Dictionary<string, string> { ["FID_COND_MRKT_DIV_CODE"] = "J", ["FID_INPUT_ISCD"] = "999999" });
        Assert.Equal("7", price.RootElement.GetProperty("rt_cd").GetString());

        // The other documented guess, on request: accepted and silent.
        await using KisSimulator silent = await KisSimulator.StartAsync(Quiet with { TimeProvider = time, UnknownCodes = UnknownCodeReply.Silent }, cts.Token);
        await using RawKisSocket ws2 = await RawKisSocket.ConnectAsync(silent, cts.Token);
        using JsonDocument accepted = await ws2.RequestAsync(SubscribeJson(await ApprovalKeyAsync(silent, cts.Token), "H0STPGM0", "999999"), cts.Token);
        Assert.Equal("OPSP0000", Body(accepted).MsgCd);
        silent.PublishNow(3);
        Assert.Equal(0, silent.FramesSent);
    }

    private static string? Name(string code) => SimulatorUniverse.Default.TryGet(code, out SimulatedStock s) ? s.Name : null;

    private static (string RtCd, string MsgCd, string Msg1) Body(JsonDocument r)
    {
        JsonElement b = r.RootElement.GetProperty("body");
        return (b.GetProperty("rt_cd").GetString()!, b.GetProperty("msg_cd").GetString()!, b.GetProperty("msg1").GetString()!);
    }
}
