using System.Globalization;
using System.Text.Json;

using KisFeed.IntegrationTests.Client;
using KisFeed.Simulator;

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

using static KisFeed.IntegrationTests.Simulator.SimTestKit;

namespace KisFeed.IntegrationTests.Simulator;

/// <summary>The simulator as clients other than ours meet it (issue 13): reply headers, silent TRs, frame batching, hours.</summary>
public sealed class SimulatorAsOtherClientsMeetItTests
{
    private static readonly TimeSpan Kst = TimeSpan.FromHours(9);

    /// <summary>Sends one request; returns the raw reply text.</summary>
    private static async Task<string> RawReplyAsync(RawKisSocket ws, string request, CancellationToken ct)
    {
        using JsonDocument doc = await ws.RequestAsync(request, ct);
        return doc.RootElement.GetRawText();
    }

    private static string MsgCd(string reply)
    {
        using JsonDocument doc = JsonDocument.Parse(reply);
        return doc.RootElement.GetProperty("body").GetProperty("msg_cd").GetString()!;
    }

    [Fact]
    public async Task Every_error_reply_has_the_header_the_official_system_resp_reads()
    {
        using CancellationTokenSource cts = Deadline();
        await using KisSimulator sim = await KisSimulator.StartAsync(Quiet, cts.Token);
        string key = await ApprovalKeyAsync(sim, cts.Token);
        await using RawKisSocket ws = await RawKisSocket.ConnectAsync(sim, cts.Token);
        const string unknownKey = "062f61cb-c756-4b8f-9fab-92113c6fbea4";

        // (request, msg_cd, tr_id and tr_key expected in the header)
        (string Request, string MsgCd, string TrId, string TrKey)[] cases =
        [
            (SubscribeJson(unknownKey, "H0STPGM0", "005930"), "OPSP0011", "H0STPGM0", "005930"),
            (SubscribeJson(key, "H0NXPGM0", "000660", trType: "2"), "OPSP0003", "H0NXPGM0", "000660"),
            (SubscribeJson(key, "H0XXPGM0", "005930"), "OPSP8991", "H0XXPGM0", "005930"),
            (SubscribeJson(key, "H0NXPGM0", "5930"), "OPSP8992", "H0NXPGM0", "5930"),
            (SubscribeJson(key, "H0NXPGM0", "005930", trType: "0"), "OPSP8997", "H0NXPGM0", "005930"),
            ("{not json", "OPSP9999", "(null)", string.Empty),
            ("""{"body":{"input":{"tr_id":"H0NXPGM0","tr_key":"005930"}}}""", "OPSP9998", "(null)", string.Empty),
        ];
        foreach ((string request, string msgCd, string trId, string trKey) in cases)
        {
            string reply = await RawReplyAsync(ws, request, cts.Token);
            SystemResp r = SystemResp.Read(reply); // would throw KeyNotFoundException (the sample's KeyError) without a header
            Assert.Equal(msgCd, MsgCd(reply));
            Assert.False(r.IsOk, reply);
            Assert.Equal(trId, r.TrId);
            Assert.Equal(trKey, r.TrKey);
            Assert.Equal("N", r.Encrypt);
            Assert.Null(r.Iv);
        }

        // OPSP0002 (a subscription-level error) echoes the request too; the success before it carries iv/key.
        SystemResp ok = SystemResp.Read(await RawReplyAsync(ws, SubscribeJson(key, "H0NXPGM0", "005930"), cts.Token));
        Assert.True(ok.IsOk);
        Assert.Equal(("H0NXPGM0", "005930", "N"), (ok.TrId, ok.TrKey, ok.Encrypt));
        Assert.Equal((16, 32), (ok.Iv!.Length, ok.EKey!.Length));
        SystemResp again = SystemResp.Read(await RawReplyAsync(ws, SubscribeJson(key, "H0NXPGM0", "005930"), cts.Token));
        Assert.Equal((false, "H0NXPGM0", "005930", "ALREADY IN SUBSCRIBE"), (again.IsOk, again.TrId, again.TrKey, again.TrMsg));
        SystemResp unsub = SystemResp.Read(await RawReplyAsync(ws, SubscribeJson(key, "H0NXPGM0", "005930", trType: "2"), cts.Token));
        Assert.True(unsub.IsOk && unsub.IsUnSub);
    }

    [Fact]
    public async Task A_session_level_error_has_a_null_header()
    {
        using CancellationTokenSource cts = Deadline();
        await using KisSimulator sim = await KisSimulator.StartAsync(Quiet, cts.Token);
        string key1 = await ApprovalKeyAsync(sim, cts.Token);
        string key2 = await ApprovalKeyAsync(sim, cts.Token);
        await using RawKisSocket first = await RawKisSocket.ConnectAsync(sim, cts.Token);
        await using RawKisSocket second = await RawKisSocket.ConnectAsync(sim, cts.Token);
        Assert.True(SystemResp.Read(await RawReplyAsync(first, SubscribeJson(key1, "H0NXPGM0", "005930"), cts.Token)).IsOk);

        string reply = await RawReplyAsync(second, SubscribeJson(key2, "H0NXPGM0", "005930"), cts.Token);

        SystemResp r = SystemResp.Read(reply);
        Assert.Equal("OPSP8996", MsgCd(reply));
        Assert.Equal(("(null)", string.Empty, "N"), (r.TrId, r.TrKey, r.Encrypt));
    }

    [Fact]
    public async Task Body_only_errors_are_an_option_and_leave_success_replies_alone()
    {
        using CancellationTokenSource cts = Deadline();
        await using KisSimulator sim = await KisSimulator.StartAsync(Quiet with { ErrorReplyShape = ErrorReplyShape.BodyOnly }, cts.Token);
        string key = await ApprovalKeyAsync(sim, cts.Token);
        await using RawKisSocket ws = await RawKisSocket.ConnectAsync(sim, cts.Token);

        string notFound = await RawReplyAsync(ws, SubscribeJson(key, "H0STPGM0", "000660", trType: "2"), cts.Token);
        string invalid = await RawReplyAsync(ws, SubscribeJson("062f61cb-c756-4b8f-9fab-92113c6fbea4", "H0STPGM0", "000660"), cts.Token);
        string success = await RawReplyAsync(ws, SubscribeJson(key, "H0STPGM0", "000660"), cts.Token);

        // Exactly the captured body-only frames of notes §4.3.
        Assert.Equal("""{"body":{"rt_cd":"1","msg_cd":"OPSP0003","msg1":"UNSUBSCRIBE ERROR(not found!)"}}""", notFound);
        Assert.Equal("""{"body":{"rt_cd":"1","msg_cd":"OPSP0011","msg1":"invalid approval : 062f61cb-c756-4b8f-9fab-92113c6fbea4"}}""", invalid);
        Assert.Throws<KeyNotFoundException>(() => SystemResp.Read(notFound)); // what the official sample meets then
        SystemResp ok = SystemResp.Read(success);
        Assert.Equal((true, "H0STPGM0", "000660"), (ok.IsOk, ok.TrId, ok.TrKey));
    }

    [Fact]
    public async Task A_TR_without_data_is_accepted_like_KIS_and_warned_about_once_per_TR()
    {
        using CancellationTokenSource cts = Deadline();
        var logs = new CapturingLoggerProvider();
        using ILoggerFactory factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Warning));
        await using KisSimulator sim = await KisSimulator.StartAsync(Quiet with { LoggerFactory = factory }, cts.Token);
        string key = await ApprovalKeyAsync(sim, cts.Token);
        await using RawKisSocket ws = await RawKisSocket.ConnectAsync(sim, cts.Token);

        foreach ((string tr, string code) in ((string, string)[])[("H0STCNT0", "005930"), ("H0STCNT0", "000660"), ("H0STASP0", "005930"), ("H0NXPGM0", "005930")])
        {
            Assert.Equal("OPSP0000", MsgCd(await RawReplyAsync(ws, SubscribeJson(key, tr, code), cts.Token)));
        }

        // A second session subscribing the same silent TR is not warned again.
        await ws.Socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, null, cts.Token);
        await WaitUntilAsync(() => sim.ActiveSessionCount == 0, cts.Token, "the first session is gone");
        await using RawKisSocket ws2 = await RawKisSocket.ConnectAsync(sim, cts.Token);
        Assert.Equal("OPSP0000", MsgCd(await RawReplyAsync(ws2, SubscribeJson(key, "H0STCNT0", "035420"), cts.Token)));

        string[] warnings = [.. logs.Lines.Where(l => l.Contains("[1015]", StringComparison.Ordinal))];
        Assert.Equal(2, warnings.Length);
        Assert.Single(warnings, w => w.Contains("H0STCNT0 subscribed", StringComparison.Ordinal));
        Assert.Single(warnings, w => w.Contains("H0STASP0 subscribed", StringComparison.Ordinal));
        Assert.All(warnings, w => Assert.StartsWith("Warning ", w, StringComparison.Ordinal));
        Assert.All(warnings, w => Assert.Contains("H0STPGM0, H0NXPGM0, H0UNPGM0, H0UPPGM0", w, StringComparison.Ordinal));
        Assert.Equal(["H0STPGM0", "H0NXPGM0", "H0UNPGM0", "H0UPPGM0"], KisSimulator.ServedTrIds);
    }

    [Fact]
    public async Task A_frame_carries_one_code_by_default_and_mixes_codes_only_as_a_fault()
    {
        using CancellationTokenSource cts = Deadline();
        string[] codes = ["005930", "000660", "035420"];

        List<TestFrame> plain = await FramesAsync(Quiet, frames: 3);
        Assert.All(plain, f => Assert.Equal(2, f.Count));
        Assert.Equal(codes.Order(), plain.Select(f => Assert.Single(f.Records.Select(r => r[0]).Distinct())).Order());

        List<TestFrame> mixed = await FramesAsync(Quiet with { MixCodesInFrames = true }, frames: 1);
        TestFrame one = Assert.Single(mixed);
        Assert.Equal(6, one.Count);
        Assert.Equal(codes.Order(), one.Records.Select(r => r[0]).Distinct().Order());

        async Task<List<TestFrame>> FramesAsync(SimulatorOptions options, int frames)
        {
            var time = new FakeTimeProvider(new DateTimeOffset(2026, 7, 8, 10, 0, 0, Kst));
            await using KisSimulator sim = await KisSimulator.StartAsync(options with { TimeProvider = time }, cts.Token);
            string key = await ApprovalKeyAsync(sim, cts.Token);
            await using RawKisSocket ws = await RawKisSocket.ConnectAsync(sim, cts.Token);
            foreach (string code in codes)
            {
                Assert.Equal("OPSP0000", MsgCd(await RawReplyAsync(ws, SubscribeJson(key, "H0STPGM0", code), cts.Token)));
            }

            sim.PublishNow(2);
            var list = new List<TestFrame>();
            while (list.Count < frames)
            {
                string text = await ws.ReceiveAsync(cts.Token) ?? throw new InvalidOperationException("closed");
                list.Add(TestFrame.Parse(text));
            }

            // Nothing else came from that tick: a reply to a later request is the next message (the queue is FIFO).
            Assert.StartsWith("{", await RawReplyAsync(ws, SubscribeJson(key, "H0NXPGM0", "005930"), cts.Token), StringComparison.Ordinal);
            Assert.Equal(frames, sim.FramesSent);
            return list;
        }
    }

    [Theory]
    [InlineData("17:00:00", true)]   // KRX after-market 16:00–20:00 (notes §8.3)
    [InlineData("15:45:00", false)]  // between the main session and the after-market
    [InlineData("20:00:00", false)]
    public async Task Session_hours_include_the_KRX_after_market(string kstTime, bool data)
    {
        using CancellationTokenSource cts = Deadline();
        var at = new DateTimeOffset(new DateOnly(2026, 7, 8), TimeOnly.Parse(kstTime, CultureInfo.InvariantCulture), Kst); // a Wednesday
        var time = new FakeTimeProvider(at);
        await using KisSimulator sim = await KisSimulator.StartAsync(Quiet with { TimeProvider = time, Hours = MarketHours.Real }, cts.Token);
        string key = await ApprovalKeyAsync(sim, cts.Token);
        await using RawKisSocket ws = await RawKisSocket.ConnectAsync(sim, cts.Token);
        Assert.Equal("OPSP0000", MsgCd(await RawReplyAsync(ws, SubscribeJson(key, "H0STPGM0", "005930"), cts.Token)));

        Assert.Equal(data, sim.IsOpenNow("H0STPGM0"));
        sim.PublishNow(1);
        await ws.SendAsync(SubscribeJson(key, "H0STPGM0", "000660"), cts.Token);
        string next = await ws.ReceiveAsync(cts.Token) ?? throw new InvalidOperationException("closed");

        // FIFO: a frame of that tick would arrive before the reply to the later request.
        Assert.Equal(data, next.StartsWith("0|H0STPGM0|001|005930^", StringComparison.Ordinal));
        Assert.False(sim.IsOpenNow("H0STCNT0")); // not served at all
    }
}
