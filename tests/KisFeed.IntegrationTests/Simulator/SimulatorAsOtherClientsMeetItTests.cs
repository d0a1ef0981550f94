using System.Text.Json;

using KisFeed.Simulator;

using static KisFeed.IntegrationTests.Simulator.SimTestKit;

namespace KisFeed.IntegrationTests.Simulator;

/// <summary>The simulator as clients other than ours meet it (issue 13): reply headers, silent TRs, frame batching, hours.</summary>
public sealed class SimulatorAsOtherClientsMeetItTests
{
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
}
