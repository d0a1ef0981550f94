using System.Globalization;
using System.Text.Json;

using KisFeed.Simulator;

using Microsoft.Extensions.Time.Testing;

using static KisFeed.IntegrationTests.Simulator.SimTestKit;

namespace KisFeed.IntegrationTests.Simulator;

public sealed class SimulatorDataTests
{
    private static SimulatorOptions Fast => Quiet with { UpdatesPerSecond = 100, TickInterval = TimeSpan.FromMilliseconds(20) };

    private static async Task SubscribeAsync(RawKisSocket ws, string key, string trId, string code, CancellationToken ct)
    {
        await ws.SendAsync(SubscribeJson(key, trId, code), ct);
    }

    /// <summary>Receives until <paramref name="frames"/> data frames arrived (control replies skipped).</summary>
    private static async Task<List<(string Raw, TestFrame Frame)>> ReceiveFramesAsync(RawKisSocket ws, int frames, CancellationToken ct)
    {
        var list = new List<(string, TestFrame)>();
        while (list.Count < frames)
        {
            string text = await ws.ReceiveAsync(ct) ?? throw new InvalidOperationException("closed");
            if (text[0] == '0')
            {
                list.Add((text, TestFrame.Parse(text)));
            }
        }

        return list;
    }

    private static long L(string s) => long.Parse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    [Fact]
    public async Task Data_frames_are_well_formed_and_internally_consistent()
    {
        using CancellationTokenSource cts = Deadline(20);
        await using KisSimulator sim = await KisSimulator.StartAsync(Fast, cts.Token);
        string key = await ApprovalKeyAsync(sim, cts.Token);
        await using RawKisSocket ws = await RawKisSocket.ConnectAsync(sim, cts.Token);
        string[] codes = ["005930", "000660", "032640"];
        foreach (string code in codes)
        {
            await SubscribeAsync(ws, key, "H0NXPGM0", code, cts.Token);
            await SubscribeAsync(ws, key, "H0STPGM0", code, cts.Token);
            await SubscribeAsync(ws, key, "H0UNPGM0", code, cts.Token);
        }

        List<(string Raw, TestFrame Frame)> frames = await ReceiveFramesAsync(ws, 150, cts.Token);

        var last = new Dictionary<(string, string), long[]>();
        int multi = 0;
        foreach ((string raw, TestFrame f) in frames)
        {
            Assert.Contains(f.TrId, (string[])["H0NXPGM0", "H0STPGM0", "H0UNPGM0"]);
            Assert.Equal(f.Count, f.Records.Length);
            Assert.DoesNotContain('+', raw);
            Assert.DoesNotContain('.', raw);
            if (f.Count > 1)
            {
                multi++;
            }

            // By default a frame carries one (TR, code): KIS pages one stock's records together (notes §6).
            Assert.Single(f.Records.Select(r => r[0]).Distinct());

            foreach (string[] r in f.Records)
            {
                Assert.Equal(11, r.Length);
                Assert.Contains(r[0], codes);
                Assert.Matches("^[0-9]{6}$", r[1]);
                long[] v = [.. r.Skip(2).Select(L)];
                (long sellQ, long sellV, long buyQ, long buyV, long netQ, long netV, long ask, long bid, long whole) =
                    (v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]);
                Assert.Equal(buyQ - sellQ, netQ);
                Assert.Equal(buyV - sellV, netV);
                Assert.Equal(bid - ask, whole);
                Assert.True(sellQ >= 0 && buyQ >= 0 && sellV >= 0 && buyV >= 0 && ask >= 0 && bid >= 0);
                long level = r[0] switch { "005930" => 77_000, "000660" => 180_000, _ => 0 };
                if (level > 0 && sellQ > 0)
                {
                    double price = (double)sellV / sellQ;
                    Assert.InRange(price, level * 0.7, level * 1.3);
                }

                if (last.TryGetValue((f.TrId, r[0]), out long[]? prev))
                {
                    Assert.True(sellQ >= prev[0] && buyQ >= prev[2] && sellV >= prev[1] && buyV >= prev[3], "cumulative values never decrease");
                }

                last[(f.TrId, r[0])] = v;
            }
        }

        // With ~2 updates per code and venue per tick (unified: ~4), most frames carry several records of their code.
        Assert.True(multi > frames.Count / 2, $"only {multi} of {frames.Count} frames were multi-record");
    }

    [Fact]
    public async Task Unified_equals_KRX_plus_NXT_and_NXT_is_smaller()
    {
        using CancellationTokenSource cts = Deadline();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 7, 8, 10, 0, 0, KoreaOffset));
        await using KisSimulator sim = await KisSimulator.StartAsync(Quiet with { TimeProvider = time }, cts.Token);
        string key = await ApprovalKeyAsync(sim, cts.Token);
        await using RawKisSocket ws = await RawKisSocket.ConnectAsync(sim, cts.Token);
        foreach (string tr in (string[])["H0STPGM0", "H0NXPGM0", "H0UNPGM0"])
        {
            using JsonDocument _ = await ws.RequestAsync(SubscribeJson(key, tr, "005930"), cts.Token);
        }

        sim.PublishNow(3);
        Dictionary<string, TestFrame> byTr = (await ReceiveFramesAsync(ws, 3, cts.Token)).ToDictionary(x => x.Frame.TrId, x => x.Frame);

        Assert.Equal(3, byTr["H0STPGM0"].Count);
        Assert.Equal(3, byTr["H0NXPGM0"].Count);
        Assert.Equal(6, byTr["H0UNPGM0"].Count);
        long[] krx = [.. byTr["H0STPGM0"].Records[^1].Skip(2).Select(L)];
        long[] nxt = [.. byTr["H0NXPGM0"].Records[^1].Skip(2).Select(L)];
        long[] uni = [.. byTr["H0UNPGM0"].Records[^1].Skip(2).Select(L)];
        for (int i = 0; i < 9; i++)
        {
            Assert.Equal(krx[i] + nxt[i], uni[i]);
        }

        Assert.True(nxt[0] + nxt[2] < krx[0] + krx[2], "NXT volume is smaller than KRX");
        Assert.All(byTr.Values.SelectMany(f => f.Records), r => Assert.Equal("100000", r[1])); // HHMMSS in KST
    }

    [Fact]
    public async Task Unsubscribe_stops_data_for_that_registration()
    {
        using CancellationTokenSource cts = Deadline();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 7, 8, 10, 0, 0, KoreaOffset));
        await using KisSimulator sim = await KisSimulator.StartAsync(Quiet with { TimeProvider = time }, cts.Token);
        string key = await ApprovalKeyAsync(sim, cts.Token);
        await using RawKisSocket ws = await RawKisSocket.ConnectAsync(sim, cts.Token);
        using (JsonDocument _ = await ws.RequestAsync(SubscribeJson(key, "H0NXPGM0", "005930"), cts.Token))
        {
        }

        sim.PublishNow(2);
        Assert.Equal(2, (await ReceiveFramesAsync(ws, 1, cts.Token))[0].Frame.Count);

        using (JsonDocument r = await ws.RequestAsync(SubscribeJson(key, "H0NXPGM0", "005930", trType: "2"), cts.Token))
        {
            Assert.Equal("OPSP0001", r.RootElement.GetProperty("body").GetProperty("msg_cd").GetString());
        }

        sim.PublishNow(2);
        // The queue is FIFO: had the tick produced a frame, it would arrive before this reply.
        await ws.SendAsync(SubscribeJson(key, "H0STPGM0", "000660"), cts.Token);
        string? next = await ws.ReceiveAsync(cts.Token);
        Assert.StartsWith("{", next, StringComparison.Ordinal);
        Assert.Equal(1, sim.FramesSent);
    }

    [Fact]
    public async Task Ledger_matches_what_the_client_received()
    {
        using CancellationTokenSource cts = Deadline(20);
        await using KisSimulator sim = await KisSimulator.StartAsync(Fast, cts.Token);
        string key = await ApprovalKeyAsync(sim, cts.Token);
        await using RawKisSocket ws = await RawKisSocket.ConnectAsync(sim, cts.Token);
        await SubscribeAsync(ws, key, "H0NXPGM0", "005930", cts.Token);
        await SubscribeAsync(ws, key, "H0UNPGM0", "000660", cts.Token);

        List<(string Raw, TestFrame Frame)> frames = await ReceiveFramesAsync(ws, 40, cts.Token);
        long sessionId = Assert.Single(sim.Sessions).Id;
        await WaitUntilAsync(() => sim.GetLedger(sessionId).Select(e => e.FrameSequence).Distinct().Count() >= 40, cts.Token, "ledger has 40 frames");

        IReadOnlyList<SimulatorLedgerEntry> ledger = sim.GetLedger(sessionId);
        var sent = ledger.GroupBy(e => e.FrameSequence).OrderBy(g => g.Key).Take(40).ToList();
        for (int i = 0; i < 40; i++)
        {
            Assert.Equal(i + 1, sent[i].Key);
            TestFrame got = frames[i].Frame;
            SimulatorLedgerEntry[] entries = [.. sent[i].OrderBy(e => e.IndexInFrame)];
            Assert.Equal(got.Count, entries.Length);
            for (int j = 0; j < entries.Length; j++)
            {
                Assert.Equal(got.TrId, entries[j].TrId);
                Assert.Equal(got.Records[j][0], entries[j].Code);
                Assert.Equal(got.Records[j], entries[j].Fields);
            }
        }

        // The all-sessions view holds the same entries (data keeps flowing, so compare the common prefix).
        SimulatorLedgerEntry[] all = [.. sim.GetLedger().Where(e => e.SessionId == sessionId)];
        Assert.True(all.Length >= ledger.Count);
        Assert.Equal(ledger, all.Take(ledger.Count));
    }

    [Fact]
    public async Task Same_seed_gives_same_data()
    {
        using CancellationTokenSource cts = Deadline();
        var a = await RecordAsync(7, cts.Token);
        var b = await RecordAsync(7, cts.Token);
        var c = await RecordAsync(8, cts.Token);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);

        static async Task<string> RecordAsync(int seed, CancellationToken ct)
        {
            var time = new FakeTimeProvider(new DateTimeOffset(2026, 7, 8, 10, 0, 0, KoreaOffset));
            await using KisSimulator sim = await KisSimulator.StartAsync(Quiet with { TimeProvider = time, Seed = seed }, ct);
            string key = await ApprovalKeyAsync(sim, ct);
            await using RawKisSocket ws = await RawKisSocket.ConnectAsync(sim, ct);
            using (JsonDocument _ = await ws.RequestAsync(SubscribeJson(key, "H0STPGM0", "005930"), ct))
            {
            }

            sim.PublishNow(5);
            return (await ReceiveFramesAsync(ws, 1, ct))[0].Raw;
        }
    }

    [Fact]
    public async Task Cumulative_values_restart_on_a_new_KST_day()
    {
        using CancellationTokenSource cts = Deadline();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 7, 8, 14, 0, 0, KoreaOffset));
        await using KisSimulator sim = await KisSimulator.StartAsync(Quiet with { TimeProvider = time, Hours = MarketHours.Real }, cts.Token);
        string key = await ApprovalKeyAsync(sim, cts.Token);
        await using RawKisSocket ws = await RawKisSocket.ConnectAsync(sim, cts.Token);
        using (JsonDocument _ = await ws.RequestAsync(SubscribeJson(key, "H0STPGM0", "005930"), cts.Token))
        {
        }

        sim.PublishNow(5);
        long lateDay = L((await ReceiveFramesAsync(ws, 1, cts.Token))[0].Frame.Records[^1][2]);
        time.SetUtcNow(new DateTimeOffset(2026, 7, 9, 9, 0, 5, KoreaOffset));
        sim.PublishNow(5);
        long nextMorning = L((await ReceiveFramesAsync(ws, 1, cts.Token))[0].Frame.Records[^1][2]);
        Assert.True(nextMorning < lateDay, $"{nextMorning} should restart below {lateDay}");
    }

    internal static readonly TimeSpan KoreaOffset = TimeSpan.FromHours(9);
}
