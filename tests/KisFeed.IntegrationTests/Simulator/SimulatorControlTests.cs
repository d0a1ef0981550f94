using System.Text.Json;

using KisFeed.Simulator;

using Microsoft.Extensions.Time.Testing;

using static KisFeed.IntegrationTests.Simulator.SimTestKit;

namespace KisFeed.IntegrationTests.Simulator;

public sealed class SimulatorControlTests
{
    private static (string RtCd, string MsgCd, string Msg1) Body(JsonDocument doc)
    {
        JsonElement body = doc.RootElement.GetProperty("body");
        return (body.GetProperty("rt_cd").GetString()!, body.GetProperty("msg_cd").GetString()!, body.GetProperty("msg1").GetString()!);
    }

    [Theory]
    [InlineData("/tryitout")]
    [InlineData("/tryitout/H0NXPGM0")]
    [InlineData("/")]
    public async Task Subscribe_success_has_the_documented_shape_on_any_path(string path)
    {
        using CancellationTokenSource cts = Deadline();
        await using KisSimulator sim = await KisSimulator.StartAsync(Quiet, cts.Token);
        string key = await ApprovalKeyAsync(sim, cts.Token);
        await using RawKisSocket ws = await RawKisSocket.ConnectAsync(sim, cts.Token, path);

        using JsonDocument reply = await ws.RequestAsync(SubscribeJson(key, "H0NXPGM0", "005930"), cts.Token);

        JsonElement header = reply.RootElement.GetProperty("header");
        Assert.Equal("H0NXPGM0", header.GetProperty("tr_id").GetString());
        Assert.Equal("005930", header.GetProperty("tr_key").GetString());
        Assert.Equal("N", header.GetProperty("encrypt").GetString());
        Assert.Equal(("0", "OPSP0000", "SUBSCRIBE SUCCESS"), Body(reply));
        JsonElement output = reply.RootElement.GetProperty("body").GetProperty("output");
        Assert.Equal(16, output.GetProperty("iv").GetString()!.Length);
        Assert.Equal(32, output.GetProperty("key").GetString()!.Length);
        SimulatorSessionInfo info = Assert.Single(sim.Sessions);
        Assert.Equal(SimulatorCredential.Demo.AppKey, info.AppKey);
        Assert.Equal([new SimulatorRegistration("H0NXPGM0", "005930")], info.Registrations);
    }

    [Fact]
    public async Task Duplicate_unsubscribe_and_unknown_unsubscribe_codes()
    {
        using CancellationTokenSource cts = Deadline();
        await using KisSimulator sim = await KisSimulator.StartAsync(Quiet, cts.Token);
        string key = await ApprovalKeyAsync(sim, cts.Token);
        await using RawKisSocket ws = await RawKisSocket.ConnectAsync(sim, cts.Token);

        using (JsonDocument r = await ws.RequestAsync(SubscribeJson(key, "H0STPGM0", "000660"), cts.Token))
        {
            Assert.Equal("OPSP0000", Body(r).MsgCd);
        }

        using (JsonDocument r = await ws.RequestAsync(SubscribeJson(key, "H0STPGM0", "000660"), cts.Token))
        {
            Assert.Equal(("1", "OPSP0002", "ALREADY IN SUBSCRIBE"), Body(r));
        }

        using (JsonDocument r = await ws.RequestAsync(SubscribeJson(key, "H0STPGM0", "000660", trType: "2"), cts.Token))
        {
            Assert.Equal(("0", "OPSP0001", "UNSUBSCRIBE SUCCESS"), Body(r));
            Assert.Equal("H0STPGM0", r.RootElement.GetProperty("header").GetProperty("tr_id").GetString());
        }

        using (JsonDocument r = await ws.RequestAsync(SubscribeJson(key, "H0STPGM0", "000660", trType: "2"), cts.Token))
        {
            // Captured text (notes §4.3): no space before '('. The header echoes the request by default (ErrorReplyShape).
            Assert.Equal(("1", "OPSP0003", "UNSUBSCRIBE ERROR(not found!)"), Body(r));
            Assert.Equal("000660", r.RootElement.GetProperty("header").GetProperty("tr_key").GetString());
        }

        Assert.Empty(Assert.Single(sim.Sessions).Registrations);
    }

    [Fact]
    public async Task The_42nd_registration_gets_OPSP0008_and_the_socket_stays_usable()
    {
        using CancellationTokenSource cts = Deadline(20);
        await using KisSimulator sim = await KisSimulator.StartAsync(Quiet, cts.Token);
        string key = await ApprovalKeyAsync(sim, cts.Token);
        await using RawKisSocket ws = await RawKisSocket.ConnectAsync(sim, cts.Token);
        string[] trs = ["H0STPGM0", "H0NXPGM0", "H0UNPGM0"];
        for (int i = 0; i < 41; i++)
        {
            using JsonDocument r = await ws.RequestAsync(SubscribeJson(key, trs[i % 3], (100000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture)), cts.Token);
            Assert.Equal("OPSP0000", Body(r).MsgCd);
        }

        using (JsonDocument r = await ws.RequestAsync(SubscribeJson(key, "H0NXPGM0", "005930"), cts.Token))
        {
            Assert.Equal(("1", "OPSP0008", "MAX SUBSCRIBE OVER"), Body(r));
        }

        using (JsonDocument r = await ws.RequestAsync(SubscribeJson(key, "H0STPGM0", "100000", trType: "2"), cts.Token))
        {
            Assert.Equal("OPSP0001", Body(r).MsgCd);
        }

        using (JsonDocument r = await ws.RequestAsync(SubscribeJson(key, "H0NXPGM0", "005930"), cts.Token))
        {
            Assert.Equal("OPSP0000", Body(r).MsgCd);
        }

        Assert.Equal(41, Assert.Single(sim.Sessions).Registrations.Count);
    }

    [Fact]
    public async Task A_second_session_on_the_same_app_key_gets_OPSP8996_with_rt_cd_9()
    {
        using CancellationTokenSource cts = Deadline();
        await using KisSimulator sim = await KisSimulator.StartAsync(Quiet, cts.Token);
        string key1 = await ApprovalKeyAsync(sim, cts.Token);
        string key2 = await ApprovalKeyAsync(sim, cts.Token);
        await using RawKisSocket first = await RawKisSocket.ConnectAsync(sim, cts.Token);
        await using RawKisSocket second = await RawKisSocket.ConnectAsync(sim, cts.Token);
        using (JsonDocument r = await first.RequestAsync(SubscribeJson(key1, "H0NXPGM0", "005930"), cts.Token))
        {
            Assert.Equal("OPSP0000", Body(r).MsgCd);
        }

        using (JsonDocument r = await second.RequestAsync(SubscribeJson(key2, "H0NXPGM0", "005930"), cts.Token))
        {
            Assert.Equal(("9", "OPSP8996", "ALREADY IN USE appkey"), Body(r));
            JsonElement header = r.RootElement.GetProperty("header");
            Assert.Equal("(null)", header.GetProperty("tr_id").GetString());
            Assert.Equal(string.Empty, header.GetProperty("tr_key").GetString());
        }

        // Once the first session closes cleanly, the app key is free again.
        await first.Socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, null, cts.Token);
        await WaitUntilAsync(() => sim.ActiveSessionCount == 1, cts.Token, "the first session is gone");
        using (JsonDocument r = await second.RequestAsync(SubscribeJson(key2, "H0NXPGM0", "005930"), cts.Token))
        {
            Assert.Equal("OPSP0000", Body(r).MsgCd);
        }
    }

    [Fact]
    public async Task An_abnormal_close_locks_the_app_key_when_configured()
    {
        using CancellationTokenSource cts = Deadline();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 7, 8, 0, 10, 0, TimeSpan.Zero));
        await using KisSimulator sim = await KisSimulator.StartAsync(
            Quiet with { TimeProvider = time, AppKeyLockAfterAbnormalClose = TimeSpan.FromMinutes(1) }, cts.Token);
        string key = await ApprovalKeyAsync(sim, cts.Token);
        await using (RawKisSocket first = await RawKisSocket.ConnectAsync(sim, cts.Token))
        {
            using JsonDocument r = await first.RequestAsync(SubscribeJson(key, "H0NXPGM0", "005930"), cts.Token);
            Assert.Equal("OPSP0000", Body(r).MsgCd);
            first.Socket.Abort(); // no close frame
        }

        await WaitUntilAsync(() => sim.ActiveSessionCount == 0, cts.Token, "the aborted session is gone");
        await using RawKisSocket second = await RawKisSocket.ConnectAsync(sim, cts.Token);
        using (JsonDocument r = await second.RequestAsync(SubscribeJson(key, "H0NXPGM0", "005930"), cts.Token))
        {
            Assert.Equal(("9", "OPSP8996"), (Body(r).RtCd, Body(r).MsgCd));
        }

        time.Advance(TimeSpan.FromMinutes(1));
        using (JsonDocument r = await second.RequestAsync(SubscribeJson(key, "H0NXPGM0", "005930"), cts.Token))
        {
            Assert.Equal("OPSP0000", Body(r).MsgCd);
        }
    }

    [Fact]
    public async Task Unknown_expired_and_invalidated_approval_keys_get_OPSP0011()
    {
        using CancellationTokenSource cts = Deadline();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 7, 8, 0, 10, 0, TimeSpan.Zero));
        await using KisSimulator sim = await KisSimulator.StartAsync(Quiet with { TimeProvider = time }, cts.Token);
        await using RawKisSocket ws = await RawKisSocket.ConnectAsync(sim, cts.Token);
        const string unknown = "062f61cb-c756-4b8f-9fab-92113c6fbea4";
        using (JsonDocument r = await ws.RequestAsync(SubscribeJson(unknown, "H0NXPGM0", "005930"), cts.Token))
        {
            Assert.Equal(("1", "OPSP0011", "invalid approval : " + unknown), Body(r));
        }

        string expired = await ApprovalKeyAsync(sim, cts.Token);
        time.Advance(TimeSpan.FromHours(24));
        using (JsonDocument r = await ws.RequestAsync(SubscribeJson(expired, "H0NXPGM0", "005930"), cts.Token))
        {
            Assert.Equal("OPSP0011", Body(r).MsgCd);
        }

        string fresh = await ApprovalKeyAsync(sim, cts.Token);
        using (JsonDocument r = await ws.RequestAsync(SubscribeJson(fresh, "H0NXPGM0", "005930"), cts.Token))
        {
            Assert.Equal("OPSP0000", Body(r).MsgCd);
        }

        sim.InvalidateApprovalKeys();
        using (JsonDocument r = await ws.RequestAsync(SubscribeJson(fresh, "H0NXPGM0", "000660"), cts.Token))
        {
            Assert.Equal("OPSP0011", Body(r).MsgCd);
        }
    }

    public static TheoryData<string, string, string> Malformed => new()
    {
        { "{not json", "OPSP9999", "JSON PARSING ERROR : invalid json format" },
        { "[1,2]", "OPSP9999", "JSON PARSING ERROR : invalid json format" },
        { """{"body":{"input":{"tr_id":"H0NXPGM0","tr_key":"005930"}}}""", "OPSP9998", "JSON PARSING ERROR : header not found" },
        { """{"header":{"approval_key":"K","custtype":"P","tr_type":"1","content-type":"utf-8"}}""", "OPSP9992", "JSON PARSING ERROR : body not found" },
        { """{"header":{"approval_key":"K","custtype":"P","tr_type":"1","content-type":"utf-8"},"body":{}}""", "OPSP9991", "JSON PARSING ERROR : input not found" },
        { "TRTYPE0", "OPSP8997", "JSON PARSING ERROR : invalid tr_type" },
        { "CUSTX", "OPSP8998", "JSON PARSING ERROR : invalid custtype" },
        { "TRID", "OPSP8991", "SUBSCRIBE ERROR : invalid tr_id" },
        { "TRKEY", "OPSP8992", "SUBSCRIBE ERROR : invalid tr_key" },
        { "NOTRKEY", "OPSP9990", "JSON PARSING ERROR : tr_key not found" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task Malformed_requests_get_the_documented_codes(string request, string msgCd, string msg1)
    {
        using CancellationTokenSource cts = Deadline();
        await using KisSimulator sim = await KisSimulator.StartAsync(Quiet, cts.Token);
        string key = await ApprovalKeyAsync(sim, cts.Token);
        await using RawKisSocket ws = await RawKisSocket.ConnectAsync(sim, cts.Token);
        request = request switch
        {
            "TRTYPE0" => SubscribeJson(key, "H0NXPGM0", "005930", trType: "0"), // the doc-bug "0" of notes §3
            "CUSTX" => SubscribeJson(key, "H0NXPGM0", "005930", custType: "X"),
            "TRID" => SubscribeJson(key, "H0XXPGM0", "005930"),
            "TRKEY" => SubscribeJson(key, "H0NXPGM0", "5930"),
            "NOTRKEY" => SubscribeJson(key, "H0NXPGM0", "005930").Replace(",\"tr_key\":\"005930\"", string.Empty, StringComparison.Ordinal),
            _ => request,
        };

        using JsonDocument r = await ws.RequestAsync(request, cts.Token);

        (string rtCd, string code, string text) = Body(r);
        Assert.Equal("1", rtCd);
        Assert.Equal(msgCd, code);
        Assert.Equal(msg1, text);
        // The socket stays usable.
        using JsonDocument ok = await ws.RequestAsync(SubscribeJson(key, "H0NXPGM0", "005930"), cts.Token);
        Assert.Equal("OPSP0000", Body(ok).MsgCd);
    }
}
