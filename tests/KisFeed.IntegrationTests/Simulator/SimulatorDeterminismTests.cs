using System.Globalization;
using System.Net;
using System.Text.Json;

using KisFeed.Simulator;

using Microsoft.Extensions.Time.Testing;

using static KisFeed.IntegrationTests.Simulator.SimTestKit;

namespace KisFeed.IntegrationTests.Simulator;

/// <summary>
/// Issue 17 item 6: the market is a function of (seed, code, venue, date, second), so simulators started at different
/// moments (two demo gateways, two sessions) serve the same records for the same second, and unified = KRX + NXT.
/// </summary>
public sealed class SimulatorDeterminismTests
{
    private static readonly TimeSpan Kst = TimeSpan.FromHours(9);
    private static readonly DateTimeOffset Ten = new(2026, 11, 24, 10, 0, 0, Kst); // a Tuesday, KRX and NXT in session
    private static readonly string[] Codes = ["005930", "100010"];
    private static readonly string[] Trs = ["H0STPGM0", "H0NXPGM0", "H0UNPGM0"];

    private static SimulatorOptions Live(FakeTimeProvider time) => Quiet with
    {
        TimeProvider = time,
        Hours = MarketHours.Real,
        UpdatesPerSecond = 20,
        TickInterval = TimeSpan.FromHours(1), // ticks are driven below with PublishNow(), on this thread
    };

    /// <summary>Moves the clock in steps of 100 ms, running a tick (what the timer does) after each step.</summary>
    private static void Run(KisSimulator sim, FakeTimeProvider time, DateTimeOffset until)
    {
        while (time.GetUtcNow() < until)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            sim.PublishNow();
        }
    }

    [Fact]
    public async Task Two_simulators_started_at_different_moments_send_the_same_records_for_the_same_seconds()
    {
        using CancellationTokenSource cts = Deadline(60);
        var timeA = new FakeTimeProvider(Ten);
        var timeB = new FakeTimeProvider(Ten.AddSeconds(7).AddMilliseconds(230));
        await using KisSimulator a = await KisSimulator.StartAsync(Live(timeA), cts.Token);
        await using RawKisSocket wsA = await SubscribeAllAsync(a, cts.Token);
        Run(a, timeA, Ten.AddSeconds(4)); // A has been publishing for a while before B even starts
        await using KisSimulator b = await KisSimulator.StartAsync(Live(timeB), cts.Token);
        await using RawKisSocket wsB = await SubscribeAllAsync(b, cts.Token);

        // Both clocks run to 10:00:20.5 in ticks of their own phase (A at whole 100 ms, B 30 ms off).
        Run(a, timeA, Ten.AddSeconds(20.5));
        Run(b, timeB, Ten.AddSeconds(20.5));

        foreach (KisSimulator sim in (KisSimulator[])[a, b])
        {
            // The queue is FIFO per session: once a record of 10:00:20 is written, all earlier ones are.
            await WaitUntilAsync(() => Trs.All(tr => Codes.All(c => sim.GetLedger().Any(e => e.TrId == tr && e.Code == c && e.Fields[1] == "100020"))), cts.Token, "records of 10:00:20");
        }

        IReadOnlyList<SimulatorLedgerEntry> ledgerA = a.GetLedger(), ledgerB = b.GetLedger();
        int compared = 0;
        foreach (string tr in Trs)
        {
            foreach (string code in Codes)
            {
                // Every second B saw whole (from 10:00:08 on) is the same, record for record.
                string[] fromA = Records(ledgerA, tr, code), fromB = Records(ledgerB, tr, code);
                Assert.True(fromA.Length > 150, $"{tr} {code}: {fromA.Length} records");
                Assert.Equal(fromA, fromB);
                compared += fromA.Length;
            }
        }

        Assert.True(compared > 1500, $"{compared} records compared");

        // Unified = KRX + NXT: the last record of each second, field by field, in both simulators.
        foreach (IReadOnlyList<SimulatorLedgerEntry> ledger in (IReadOnlyList<SimulatorLedgerEntry>[])[ledgerA, ledgerB])
        {
            foreach (string code in Codes)
            {
                for (int s = 8; s <= 19; s++)
                {
                    string hhmmss = (100000 + s).ToString(CultureInfo.InvariantCulture);
                    long[] krx = Last(ledger, "H0STPGM0", code, hhmmss), nxt = Last(ledger, "H0NXPGM0", code, hhmmss), uni = Last(ledger, "H0UNPGM0", code, hhmmss);
                    Assert.Equal(krx.Zip(nxt, (x, y) => x + y), uni);
                }
            }
        }
    }

    [Fact]
    public async Task The_truth_API_REST_rows_and_the_last_record_of_each_second_agree_across_simulators()
    {
        using CancellationTokenSource cts = Deadline(60);
        var timeA = new FakeTimeProvider(Ten);
        var timeB = new FakeTimeProvider(Ten.AddSeconds(3.61));
        await using KisSimulator a = await KisSimulator.StartAsync(Live(timeA), cts.Token);
        await using KisSimulator b = await KisSimulator.StartAsync(Live(timeB), cts.Token);
        await using RawKisSocket ws = await SubscribeAllAsync(a, cts.Token);
        Run(a, timeA, Ten.AddSeconds(12.5));

        timeB.Advance(Ten.AddSeconds(12.5) - timeB.GetUtcNow());
        await WaitUntilAsync(() => a.GetLedger().Any(e => e.TrId == "H0UNPGM0" && e.Code == "100010" && e.Fields[1] == "100012"), cts.Token, "records of 10:00:12");
        IReadOnlyList<SimulatorLedgerEntry> ledger = a.GetLedger();

        using HttpClient httpA = SimulatorRestTests.Http(a), httpB = SimulatorRestTests.Http(b);
        string tokenA = await SimulatorRestTests.TokenAsync(httpA), tokenB = await SimulatorRestTests.TokenAsync(httpB);
        foreach ((string tr, SimulatorVenue venue, string market) in ((string, SimulatorVenue, string)[])[("H0STPGM0", SimulatorVenue.Krx, "J"), ("H0NXPGM0", SimulatorVenue.Nxt, "NX"), ("H0UNPGM0", SimulatorVenue.Unified, "UN")])
        {
            foreach (string code in Codes)
            {
                (HttpStatusCode sa, JsonDocument ra) = await SimulatorRestTests.GetAsync(httpA, tokenA, market, code);
                (HttpStatusCode sb, JsonDocument rb) = await SimulatorRestTests.GetAsync(httpB, tokenB, market, code);
                Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (sa, sb));
                Assert.Equal(ra.RootElement.GetProperty("output").GetRawText(), rb.RootElement.GetProperty("output").GetRawText()); // B never had a client
                var rows = ra.RootElement.GetProperty("output").EnumerateArray().ToDictionary(r => r.GetProperty("bsop_hour").GetString()!);
                for (int s = 1; s <= 11; s++)
                {
                    string hhmmss = (100000 + s).ToString(CultureInfo.InvariantCulture);
                    long[] last = Last(ledger, tr, code, hhmmss);
                    StockState truth = b.Market.StateAt(code, venue, Ten.AddSeconds(s + 1)); // as the next second starts: this one's end state
                    long[] t = [truth.SellVolume, truth.SellValue, truth.BuyVolume, truth.BuyValue, truth.NetBuyVolume, truth.NetBuyValue, truth.AskResidual, truth.BidResidual, truth.BidResidual - truth.AskResidual];
                    Assert.True(t.SequenceEqual(last), $"{tr} {code} {hhmmss}: {string.Join(",", t)} vs {string.Join(",", last)}");
                    JsonElement row = rows[hhmmss];
                    Assert.Equal((last[0], last[1], last[2], last[3]), (SimRest.L(row, "whol_smtn_seln_vol"), SimRest.L(row, "whol_smtn_seln_tr_pbmn"), SimRest.L(row, "whol_smtn_shnu_vol"), SimRest.L(row, "whol_smtn_shnu_tr_pbmn")));
                    Assert.Equal(truth.Price, SimRest.L(row, "stck_prpr"));
                }
            }
        }

        // A market made from the options alone (no simulator) is the same function.
        SimulatedMarket pure = SimulatedMarket.Create(Live(new FakeTimeProvider(Ten)));
        Assert.Equal(b.Market.StateAt("005930", SimulatorVenue.Unified, Ten.AddSeconds(9.99)), pure.StateAt("005930", SimulatorVenue.Unified, Ten.AddSeconds(9.99)));
        Assert.NotEqual(
            pure.StateAt("005930", SimulatorVenue.Krx, Ten.AddSeconds(9.99)).SellVolume,
            SimulatedMarket.Create(Live(new FakeTimeProvider(Ten)) with { Seed = 7 }).StateAt("005930", SimulatorVenue.Krx, Ten.AddSeconds(9.99)).SellVolume);
    }

    private static async Task<RawKisSocket> SubscribeAllAsync(KisSimulator sim, CancellationToken ct)
    {
        string key = await ApprovalKeyAsync(sim, ct);
        RawKisSocket ws = await RawKisSocket.ConnectAsync(sim, ct);
        foreach (string tr in Trs)
        {
            foreach (string code in Codes)
            {
                using JsonDocument reply = await ws.RequestAsync(SubscribeJson(key, tr, code), ct);
                Assert.Equal("OPSP0000", reply.RootElement.GetProperty("body").GetProperty("msg_cd").GetString());
            }
        }

        return ws;
    }

    private static string[] Records(IReadOnlyList<SimulatorLedgerEntry> ledger, string tr, string code) =>
        [.. ledger.Where(e => e.TrId == tr && e.Code == code && string.CompareOrdinal(e.Fields[1], "100008") >= 0 && string.CompareOrdinal(e.Fields[1], "100019") <= 0)
            .Select(e => string.Join('^', e.Fields))];

    private static long[] Last(IReadOnlyList<SimulatorLedgerEntry> ledger, string tr, string code, string hhmmss) =>
        [.. ledger.Last(e => e.TrId == tr && e.Code == code && e.Fields[1] == hhmmss).Fields.Skip(2).Select(f => long.Parse(f, CultureInfo.InvariantCulture))];
}
