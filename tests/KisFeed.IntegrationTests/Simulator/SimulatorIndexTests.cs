using System.Globalization;
using System.Text.Json;

using KisFeed.Simulator;

using Microsoft.Extensions.Time.Testing;

using static KisFeed.IntegrationTests.Simulator.SimTestKit;

namespace KisFeed.IntegrationTests.Simulator;

/// <summary>
/// Issue 20 item 4: <c>H0UPPGM0</c> frames for the index codes the simulator offers, in the official sample's field
/// order, with totals that are the sums of the members' program trading (non-arbitrage = program − arbitrage, the
/// arbitrage being basket trades spread by index weight).
/// </summary>
public sealed class SimulatorIndexTests
{
    private static readonly DateTimeOffset Ten = new(2026, 11, 24, 10, 0, 0, TimeSpan.FromHours(9));

    [Fact]
    public async Task Index_frames_carry_the_official_fields_once_a_second_and_equal_the_truth()
    {
        using CancellationTokenSource cts = Deadline(60);
        var time = new FakeTimeProvider(Ten);
        await using KisSimulator sim = await KisSimulator.StartAsync(Quiet with { TimeProvider = time, Hours = MarketHours.Real, UpdatesPerSecond = 2, TickInterval = TimeSpan.FromHours(1) }, cts.Token);
        string key = await ApprovalKeyAsync(sim, cts.Token);
        await using RawKisSocket ws = await RawKisSocket.ConnectAsync(sim, cts.Token);
        foreach (string code in (string[])["0001", "0128"])
        {
            using JsonDocument r = await ws.RequestAsync(SubscribeJson(key, "H0UPPGM0", code), cts.Token);
            Assert.Equal("OPSP0000", r.RootElement.GetProperty("body").GetProperty("msg_cd").GetString());
        }

        Assert.True(sim.IsOpenNow("H0UPPGM0"));
        for (int i = 0; i < 35; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            sim.PublishNow(); // what the tick timer does, on this thread
        }

        await WaitUntilAsync(() => sim.GetLedger().Count(e => e.TrId == "H0UPPGM0") >= 6, cts.Token, "three seconds of index frames");
        IReadOnlyList<string> official = SimRest.Official("H0UPPGM0");
        Assert.Equal(88, official.Count);
        SimulatorLedgerEntry[] frames = [.. sim.GetLedger().Where(e => e.TrId == "H0UPPGM0")];
        Assert.Equal(["0001", "0128"], frames.Select(f => f.Code).Distinct().Order());
        foreach (SimulatorLedgerEntry f in frames)
        {
            Assert.Equal(official.Count, f.Fields.Count);
            int second = int.Parse(f.Fields[1][4..], CultureInfo.InvariantCulture);
            Assert.Equal(sim.Market.IndexAt(f.Code, Ten.AddSeconds(second)).Fields, f.Fields);
        }

        foreach (string code in (string[])["0001", "0128"])
        {
            Assert.Equal(["100000", "100001", "100002"], frames.Where(f => f.Code == code).Select(f => f.Fields[1])); // one a second, per completed second
        }

        // Field by name: the sums and nets add up in the served units.
        Dictionary<string, long> v = official.Select((name, i) => (name, i)).Where(x => x.i >= 2 && !x.name.Contains("rate", StringComparison.Ordinal) && !x.name.EndsWith("_rat", StringComparison.Ordinal))
            .ToDictionary(x => x.name, x => long.Parse(frames[^1].Fields[x.i], CultureInfo.InvariantCulture));
        Assert.Equal(v["arbt_seln_entm_cnqn"] + v["arbt_seln_onsl_cnqn"], v["arbt_smtn_seln_vol"]);
        Assert.Equal(v["nabt_shnu_entm_cntg_amt"] + v["nabt_shnu_onsl_cntg_amt"], v["nabt_smtn_shnu_tr_pbmn"]);
        Assert.Equal(v["arbt_smtn_seln_tr_pbmn"] + v["nabt_smtn_seln_tr_pbmn"], v["total_seln_tr_pbmn"]);
        Assert.Equal(v["whol_entm_seln_tr_pbmn"] + v["whol_onsl_seln_tr_pbmn"], v["total_seln_tr_pbmn"]);
        Assert.Equal(v["total_shnu_tr_pbmn"] - v["total_seln_tr_pbmn"], v["whol_ntby_tr_pbmn"]);
        Assert.Equal(v["nabt_entm_ntby_tr_pbmn"] + v["nabt_onsl_ntby_tr_pbmn"], v["nabt_smtn_ntby_tr_pbmn"]);
        Assert.True(v["acml_tr_pbmn"] > v["total_seln_tr_pbmn"]);
    }

    [Fact]
    public void A_markets_non_arbitrage_net_is_the_sum_of_its_stocks_program_net_less_the_basket_trades()
    {
        SimulatedMarket market = SimulatedMarket.Create(Quiet with { Hours = MarketHours.Real, UpdatesPerSecond = 2 });
        DateTimeOffset at = Ten.AddHours(4).AddSeconds(0.5); // 14:00, mid-session
        foreach (string index in (string[])["0001", "1001", "2001"])
        {
            SimulatedIndex ix = market.Universe.Indices.Single(i => i.Code == index);
            IndexState state = market.IndexAt(index, at);
            // At the start of the next second: the end state of this one, what the index frame sums.
            StockState[] members = [.. ix.Members.Select(c => market.StateAt(c, SimulatorVenue.Krx, at.AddSeconds(0.5)))];
            long programNet = members.Sum(s => s.NetBuyValue);
            Assert.Equal(programNet, state.NonArbitrageNetValue + state.ArbitrageNetValue);
            Assert.Equal(members.Sum(s => s.ArbitrageBuyVolume) - members.Sum(s => s.ArbitrageSellVolume), state.ArbitrageBuyVolume - state.ArbitrageSellVolume);
            Assert.Equal(members.Sum(s => s.AccumulatedValue), state.MarketValue);
            Assert.True(state.ArbitrageSellValue + state.ArbitrageBuyValue > 0, $"{index}: basket trades happened");
            Assert.True(state.NonArbitrageSellValue > 3 * state.ArbitrageSellValue, $"{index}: arbitrage is the smaller part ({state.NonArbitrageSellValue / 1e8:N0}억 against {state.ArbitrageSellValue / 1e8:N0}억; market {state.MarketValue / 1e8:N0}억)");
        }

        // The basket is spread by index weight: a member's arbitrage volume is a fixed multiple of the basket units, so the
        // ratio of two members' arbitrage volumes is the same at every second and follows their weights.
        StockState a1 = market.StateAt("005930", SimulatorVenue.Krx, at), b1 = market.StateAt("000660", SimulatorVenue.Krx, at);
        StockState a2 = market.StateAt("005930", SimulatorVenue.Krx, at.AddHours(1)), b2 = market.StateAt("000660", SimulatorVenue.Krx, at.AddHours(1));
        Assert.Equal((double)a1.ArbitrageSellVolume / b1.ArbitrageSellVolume, (double)a2.ArbitrageSellVolume / b2.ArbitrageSellVolume, 6);
        Assert.Equal(0, market.StateAt("005930", SimulatorVenue.Nxt, at).ArbitrageSellVolume); // no basket trades on NXT
        string outside = market.Universe.Stocks.First(st => st.Market == StockMarket.Kospi && !market.Universe.Indices.Single(ix => ix.Code == "2001").Members.Contains(st.Code)).Code;
        StockState small = market.StateAt(outside, SimulatorVenue.Krx, at);
        Assert.Equal((0L, 0L), (small.ArbitrageSellVolume, small.ArbitrageBuyVolume)); // only basket members take part
    }
}
