using System.Net.WebSockets;
using System.Text.Json;

using KisFeed.Simulator;

using Microsoft.Extensions.Time.Testing;

using static KisFeed.IntegrationTests.Simulator.SimTestKit;

namespace KisFeed.IntegrationTests.Simulator;

public sealed class SimulatorHeartbeatAndFaultTests
{
    private static readonly TimeSpan Kst = TimeSpan.FromHours(9);

    private static async Task<(KisSimulator Sim, RawKisSocket Ws, string Key)> StartSubscribedAsync(SimulatorOptions options, CancellationToken ct)
    {
        KisSimulator sim = await KisSimulator.StartAsync(options, ct);
        string key = await ApprovalKeyAsync(sim, ct);
        RawKisSocket ws = await RawKisSocket.ConnectAsync(sim, ct);
        using JsonDocument r = await ws.RequestAsync(SubscribeJson(key, "H0NXPGM0", "005930"), ct);
        Assert.Equal("OPSP0000", r.RootElement.GetProperty("body").GetProperty("msg_cd").GetString());
        return (sim, ws, key);
    }

    private static async Task AssertServerGoneAsync(RawKisSocket ws, CancellationToken ct)
    {
        while (true)
        {
            try
            {
                if (await ws.ReceiveAsync(ct) is null)
                {
                    Assert.Fail("expected an abrupt end, got a close frame");
                }
            }
            catch (WebSocketException)
            {
                return; // closed without a close handshake
            }
        }
    }

    [Fact]
    public async Task PINGPONG_is_sent_in_KST_and_echoes_are_counted()
    {
        using CancellationTokenSource cts = Deadline();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 7, 8, 10, 0, 0, Kst));
        (KisSimulator sim, RawKisSocket ws, _) = await StartSubscribedAsync(Quiet with { TimeProvider = time, PingInterval = TimeSpan.FromSeconds(30) }, cts.Token);
        await using (sim)
        await using (ws)
        {
            time.Advance(TimeSpan.FromSeconds(30));
            string ping = (await ws.ReceiveAsync(cts.Token))!;
            Assert.Equal("""{"header":{"tr_id":"PINGPONG","datetime":"20260708100030"}}""", ping);
            await ws.SendAsync(ping, cts.Token);
            await WaitUntilAsync(() => sim.Sessions.Single().PongsReceived == 1, cts.Token, "the echo is counted");

            // Answered pings keep the session alive well beyond the timeout.
            for (int i = 0; i < 4; i++)
            {
                time.Advance(TimeSpan.FromSeconds(30));
                await ws.SendAsync((await ws.ReceiveAsync(cts.Token))!, cts.Token);
                int expected = i + 2;
                await WaitUntilAsync(() => sim.Sessions.Single().PongsReceived == expected, cts.Token, "echo counted");
            }

            Assert.Equal(1, sim.ActiveSessionCount);
            Assert.Equal(5, sim.Sessions.Single().PingsSent);
        }
    }

    [Fact]
    public async Task A_client_that_does_not_echo_PINGPONG_is_dropped_abruptly()
    {
        using CancellationTokenSource cts = Deadline();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 7, 8, 10, 0, 0, Kst));
        (KisSimulator sim, RawKisSocket ws, _) = await StartSubscribedAsync(Quiet with { TimeProvider = time, PingInterval = TimeSpan.FromSeconds(30) }, cts.Token);
        await using (sim)
        await using (ws)
        {
            time.Advance(TimeSpan.FromSeconds(30));
            await WaitUntilAsync(() => sim.PingsSent == 1, cts.Token, "the first PINGPONG is written");
            time.Advance(TimeSpan.FromSeconds(59));
            Assert.Equal(1, sim.ActiveSessionCount); // not yet: timeout = 2 × interval from the first unanswered ping
            time.Advance(TimeSpan.FromSeconds(1));
            await AssertServerGoneAsync(ws, cts.Token);
            await WaitUntilAsync(() => sim.ActiveSessionCount == 0, cts.Token, "the session is dropped");
        }
    }

    [Fact]
    public async Task PINGPONG_timeout_works_on_the_real_clock_with_small_intervals()
    {
        using CancellationTokenSource cts = Deadline();
        (KisSimulator sim, RawKisSocket ws, _) = await StartSubscribedAsync(
            Quiet with { PingInterval = TimeSpan.FromMilliseconds(100), PingTimeout = TimeSpan.FromMilliseconds(300) }, cts.Token);
        await using (sim)
        await using (ws)
        {
            await AssertServerGoneAsync(ws, cts.Token);
            Assert.True(sim.PingsSent >= 1);
        }
    }

    [Theory]
    [InlineData(DropMode.Abort)]
    [InlineData(DropMode.CloseNormal)]
    [InlineData(DropMode.CloseError)]
    public async Task DropAllSessions_ends_the_clients_socket(DropMode mode)
    {
        using CancellationTokenSource cts = Deadline();
        (KisSimulator sim, RawKisSocket ws, _) = await StartSubscribedAsync(Quiet, cts.Token);
        await using (sim)
        await using (ws)
        {
            Task drop = sim.DropAllSessionsAsync(mode);
            if (mode == DropMode.Abort)
            {
                await AssertServerGoneAsync(ws, cts.Token);
            }
            else
            {
                Assert.Null(await ws.ReceiveAsync(cts.Token));
                Assert.Equal(mode == DropMode.CloseNormal ? WebSocketCloseStatus.NormalClosure : WebSocketCloseStatus.InternalServerError, ws.Socket.CloseStatus);
                await ws.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
            }

            await drop.WaitAsync(cts.Token);
            Assert.Equal(0, sim.ActiveSessionCount);
        }
    }

    [Fact]
    public async Task SendRaw_delivers_invalid_UTF8_as_a_text_frame()
    {
        using CancellationTokenSource cts = Deadline();
        await using KisSimulator sim = await KisSimulator.StartAsync(Quiet, cts.Token);
        using TcpWebSocket tcp = await TcpWebSocket.ConnectAsync(sim, cts.Token); // ClientWebSocket rejects such frames (notes §13)
        await WaitUntilAsync(() => sim.ActiveSessionCount == 1, cts.Token, "the session is registered");

        byte[] payload = [.. "0|H0NXPGM0|001|005930^"u8, 0xFF, .. "^x"u8];
        await sim.SendRawAsync(payload).WaitAsync(cts.Token);

        (byte head, byte[] got) = await tcp.ReadFrameAsync(cts.Token);
        Assert.Equal(0x81, head); // FIN + TEXT
        Assert.Equal(payload, got);
    }

    [Fact]
    public async Task PINGPONG_echoed_in_a_PONG_or_PING_frame_counts_and_an_empty_PONG_aborts()
    {
        using CancellationTokenSource cts = Deadline();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 7, 8, 10, 0, 0, Kst));
        await using KisSimulator sim = await KisSimulator.StartAsync(Quiet with { TimeProvider = time, PingInterval = TimeSpan.FromSeconds(30) }, cts.Token);
        using TcpWebSocket tcp = await TcpWebSocket.ConnectAsync(sim, cts.Token);
        await WaitUntilAsync(() => sim.ActiveSessionCount == 1, cts.Token, "the session is registered");
        time.Advance(TimeSpan.FromSeconds(30));
        (byte head, byte[] ping) = await tcp.ReadFrameAsync(cts.Token);
        Assert.Equal(0x81, head);

        await tcp.SendFrameAsync(0xA, ping, cts.Token); // OTA kis_auth.py: ws.pong(raw)
        await WaitUntilAsync(() => sim.Sessions.Single().PongsReceived == 1, cts.Token, "the PONG-frame echo is counted");
        await tcp.SendFrameAsync(0x9, ping, cts.Token); // OTA Sample01: ws.send(data, OPCODE_PING)
        (byte pongHead, byte[] pongPayload) = await tcp.ReadFrameAsync(cts.Token);
        Assert.Equal(0x8A, pongHead); // the server answers an RFC ping with a pong
        Assert.Equal(ping, pongPayload);
        await WaitUntilAsync(() => sim.Sessions.Single().PongsReceived == 2, cts.Token, "the PING-frame echo is counted");

        await tcp.SendFrameAsync(0xA, [], cts.Token); // what .NET's default KeepAliveInterval sends
        Assert.True(await tcp.IsClosedByServerAsync(cts.Token));
        await WaitUntilAsync(() => sim.ActiveSessionCount == 0, cts.Token, "the session is dropped");
    }

    [Fact]
    public async Task A_ClientWebSocket_with_keep_alive_is_dropped_unless_the_quirk_is_off()
    {
        using CancellationTokenSource cts = Deadline();
        await using KisSimulator sim = await KisSimulator.StartAsync(Quiet, cts.Token);
        using (var ws = new ClientWebSocket())
        {
            ws.Options.KeepAliveInterval = TimeSpan.FromMilliseconds(100); // the .NET default is 30 s
            await ws.ConnectAsync(sim.WebSocketUri, cts.Token);
            await Assert.ThrowsAsync<WebSocketException>(async () => await ws.ReceiveAsync(new byte[1024], cts.Token));
        }

        await using KisSimulator lenient = await KisSimulator.StartAsync(Quiet with { AbortOnUnsolicitedPong = false }, cts.Token);
        using var ok = new ClientWebSocket();
        ok.Options.KeepAliveInterval = TimeSpan.FromMilliseconds(50);
        await ok.ConnectAsync(lenient.WebSocketUri, cts.Token);
        string key = await ApprovalKeyAsync(lenient, cts.Token);
        await WaitUntilAsync(() => lenient.UnsolicitedPongsReceived >= 3, cts.Token, "several keep-alive PONGs arrived");
        await ok.SendAsync(System.Text.Encoding.UTF8.GetBytes(SubscribeJson(key, "H0NXPGM0", "005930")), WebSocketMessageType.Text, true, cts.Token);
        WebSocketReceiveResult r = await ok.ReceiveAsync(new byte[4096], cts.Token);
        Assert.Equal(WebSocketMessageType.Text, r.MessageType);
        Assert.Equal(1, lenient.ActiveSessionCount);
    }

    [Fact]
    public async Task Stall_sends_nothing_while_TCP_stays_open_and_resumes()
    {
        using CancellationTokenSource cts = Deadline();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 7, 8, 10, 0, 0, Kst));
        (KisSimulator sim, RawKisSocket ws, string key) = await StartSubscribedAsync(
            Quiet with { TimeProvider = time, PingInterval = TimeSpan.FromSeconds(30) }, cts.Token);
        await using (sim)
        await using (ws)
        {
            sim.Stall(true);
            sim.PublishNow(3);
            time.Advance(TimeSpan.FromSeconds(100)); // pings due, but a stalled server sends none and drops no one
            await ws.SendAsync(SubscribeJson(key, "H0STPGM0", "000660"), cts.Token);
            Task<string?> pending = ws.ReceiveAsync(cts.Token);
            await WaitUntilAsync(() => sim.Sessions.Single().Registrations.Count == 2, cts.Token, "the request was processed");
            Assert.False(pending.IsCompleted);
            Assert.Equal(0, sim.PingsSent);
            Assert.Equal(0, sim.FramesSent);
            Assert.Equal(1, sim.ActiveSessionCount);

            sim.Stall(false);
            Assert.StartsWith("{\"header\":{\"tr_id\":\"H0STPGM0\"", await pending, StringComparison.Ordinal);
            sim.PublishNow(1);
            string? data;
            do
            {
                data = await ws.ReceiveAsync(cts.Token);
            }
            while (data is not null && data[0] != '0');
            Assert.StartsWith("0|", data, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_client_that_never_reads_is_dropped_without_blocking_others()
    {
        using CancellationTokenSource cts = Deadline(30);
        var slowCred = new SimulatorCredential("PSslow-client-app-key-00000000000000", new string('z', 180));
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 7, 8, 10, 0, 0, Kst));
        await using KisSimulator sim = await KisSimulator.StartAsync(
            Quiet with { TimeProvider = time, SendQueueCapacity = 8, Credentials = [SimulatorCredential.Demo, slowCred] }, cts.Token);
        string fastKey = await ApprovalKeyAsync(sim, cts.Token);
        string slowKey = await ApprovalKeyAsync(sim, cts.Token, slowCred);
        await using RawKisSocket fast = await RawKisSocket.ConnectAsync(sim, cts.Token);
        await using RawKisSocket slow = await RawKisSocket.ConnectAsync(sim, cts.Token);
        using (JsonDocument _ = await fast.RequestAsync(SubscribeJson(fastKey, "H0NXPGM0", "005930"), cts.Token))
        {
        }

        using (JsonDocument _ = await slow.RequestAsync(SubscribeJson(slowKey, "H0STPGM0", "005930"), cts.Token))
        {
        }

        // The slow client stops reading: its TCP buffers fill, then its queue, then it is aborted.
        int frames = 0;
        while (sim.ActiveSessionCount == 2)
        {
            sim.PublishNow(900); // ~90 KB per frame
            string? text;
            do
            {
                text = await fast.ReceiveAsync(cts.Token);
            }
            while (text is not null && text[0] != '0');
            Assert.NotNull(text);
            frames++;
        }

        Assert.Equal(SimulatorCredential.Demo.AppKey, Assert.Single(sim.Sessions).AppKey);
        Assert.True(frames > 1);
    }

    [Fact]
    public async Task Real_hours_NXT_sends_nothing_at_0855_and_data_at_0910()
    {
        using CancellationTokenSource cts = Deadline();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 7, 8, 8, 55, 0, Kst)); // a Wednesday
        (KisSimulator sim, RawKisSocket ws, string key) = await StartSubscribedAsync(Quiet with { TimeProvider = time, Hours = MarketHours.Real }, cts.Token);
        await using (sim)
        await using (ws)
        {
            sim.PublishNow(3);
            using (JsonDocument r = await ws.RequestAsync(SubscribeJson(key, "H0STPGM0", "000660"), cts.Token))
            {
                Assert.Equal("OPSP0000", r.RootElement.GetProperty("body").GetProperty("msg_cd").GetString()); // subscribing works
            }

            Assert.Equal(0, sim.FramesSent); // nothing was queued before the reply (FIFO)

            time.SetUtcNow(new DateTimeOffset(2026, 7, 8, 9, 10, 0, Kst));
            sim.PublishNow(3);
            var trs = new HashSet<string>();
            while (trs.Count < 2)
            {
                string text = (await ws.ReceiveAsync(cts.Token))!;
                if (text[0] == '0')
                {
                    TestFrame f = TestFrame.Parse(text);
                    Assert.All(f.Records, r => Assert.Equal("091000", r[1]));
                    trs.Add(f.TrId);
                }
            }

            // Saturday: closed.
            time.SetUtcNow(new DateTimeOffset(2026, 7, 11, 10, 0, 0, Kst));
            long before = sim.FramesSent;
            sim.PublishNow(3);
            using (JsonDocument r = await ws.RequestAsync(SubscribeJson(key, "H0UNPGM0", "000660"), cts.Token))
            {
                Assert.Equal("OPSP0000", r.RootElement.GetProperty("body").GetProperty("msg_cd").GetString());
            }

            Assert.Equal(before, sim.FramesSent);
        }
    }
}
