using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Runtime.InteropServices;

using KisFeed.Transport;

using static KisFeed.Tests.Transport.Frames;

namespace KisFeed.Tests.Transport;

// Why one file of this size: these are the RFC 6455 client's cases, one per rule of the protocol (framing, fragments,
// control frames, masking, the close handshake both ways), each short and reading the same scripted streams.
public class WebSocketConnectionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Scripted streams end in EOF, so the graceful close in DisposeAsync finishes at once instead of waiting CloseTimeout.
    private static WebSocketConnection Connect(Stream stream, WebSocketConnectionOptions? options = null) =>
        new(stream, options ?? WebSocketConnectionOptions.Default);

    /// <summary>Receives data messages until the peer's Close; returns (kind, bytes) pairs including the close.</summary>
    private static async Task<List<(WebSocketMessageKind Kind, byte[] Payload, WebSocketCloseStatus? Status)>> ReceiveAllAsync(WebSocketConnection ws)
    {
        var messages = new List<(WebSocketMessageKind, byte[], WebSocketCloseStatus?)>();
        while (true)
        {
            WebSocketMessage m = await ws.ReceiveAsync(Ct);
            messages.Add((m.Kind, m.Payload.ToArray(), m.CloseStatus));
            if (m.Kind == WebSocketMessageKind.Close)
            {
                return messages;
            }
        }
    }

    [Fact]
    public async Task SingleTextMessage()
    {
        var stream = new ScriptedStream([ServerText(KisSample)]);
        await using WebSocketConnection ws = Connect(stream);

        WebSocketMessage m = await ws.ReceiveAsync(Ct);

        Assert.Equal(WebSocketMessageKind.Text, m.Kind);
        Assert.Equal(Utf8(KisSample), m.Payload.ToArray());
        Assert.True(ws.IsOpen);
        Assert.Equal(1, ws.MessagesReceived);
        Assert.Equal(ServerText(KisSample).Length, ws.BytesReceived);
        Assert.Empty(stream.Written); // nothing unsolicited: no pings, no pongs
    }

    /// <summary>A stream of mixed frames (7-bit, 16-bit length, ping, binary, pong) ending in a close.</summary>
    private static byte[] MixedServerBytes() => Concat(
        ServerText(KisSample),
        Server(Ping, Utf8("hb")),
        Server(Text, Utf8(new string('x', 300))),
        Server(Binary, [0, 1, 2, 0xFF]),
        Server(Pong, Utf8("ignored")),
        ServerText("{\"header\":{\"tr_id\":\"PINGPONG\",\"datetime\":\"20260710171541\"}}"),
        ServerClose(1000, "bye"));

    private static void AssertMixed(List<(WebSocketMessageKind Kind, byte[] Payload, WebSocketCloseStatus? Status)> got)
    {
        Assert.Equal(5, got.Count);
        Assert.Equal((WebSocketMessageKind.Text, KisSample), (got[0].Kind, System.Text.Encoding.UTF8.GetString(got[0].Payload)));
        Assert.Equal(Utf8(new string('x', 300)), got[1].Payload);
        Assert.Equal(WebSocketMessageKind.Binary, got[2].Kind);
        Assert.Equal(new byte[] { 0, 1, 2, 0xFF }, got[2].Payload);
        Assert.Equal(WebSocketMessageKind.Text, got[3].Kind);
        Assert.Equal(WebSocketMessageKind.Close, got[4].Kind);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, got[4].Status);
    }

    [Fact]
    public async Task MixedFramesSplitIntoTwoReadsAtEveryOffset()
    {
        byte[] data = MixedServerBytes();
        for (int split = 1; split < data.Length; split++)
        {
            var stream = ScriptedStream.SplitAt(data, split);
            await using WebSocketConnection ws = Connect(stream, WebSocketConnectionOptions.Default with { InitialReceiveBufferSize = 64 });
            AssertMixed(await ReceiveAllAsync(ws));
            List<ClientFrame> sent = ParseClient(stream.Written);
            Assert.Equal([Pong, Close], sent.Select(f => f.Opcode));
            Assert.Equal(Utf8("hb"), sent[0].Payload);
        }
    }

    [Theory]
    [InlineData(256)]
    [InlineData(16 * 1024)]
    public async Task MixedFramesOneBytePerRead(int initialBuffer)
    {
        var stream = ScriptedStream.OneBytePerRead(MixedServerBytes());
        await using WebSocketConnection ws = Connect(stream, WebSocketConnectionOptions.Default with { InitialReceiveBufferSize = initialBuffer });
        AssertMixed(await ReceiveAllAsync(ws));
        Assert.Equal(MixedServerBytes().Length, ws.BytesReceived);
        Assert.Equal(4, ws.MessagesReceived);
    }

    [Fact]
    public async Task KisFrameInTwoAndThreeFragmentsAtEverySplitPoint()
    {
        byte[] payload = Utf8(KisSample);
        var cutSets = new List<int[]>();
        for (int a = 0; a <= payload.Length; a++)
        {
            cutSets.Add([a]);
            for (int b = a; b <= payload.Length; b++)
            {
                cutSets.Add([a, b]);
            }
        }

        foreach (int[] cuts in cutSets)
        {
            byte[] data = Concat(Fragmented(Text, payload, cuts), ServerText("next"));
            await using WebSocketConnection ws = Connect(new ScriptedStream([data]));
            WebSocketMessage m = await ws.ReceiveAsync(Ct);
            Assert.Equal(WebSocketMessageKind.Text, m.Kind);
            Assert.True(payload.AsSpan().SequenceEqual(m.Payload.Span), $"cuts {string.Join(',', cuts)}");
            Assert.Equal(Utf8("next"), (await ws.ReceiveAsync(Ct)).Payload.ToArray());
        }
    }

    [Theory]
    [InlineData(64)]
    [InlineData(4096)]
    public async Task KisFrameOneFragmentPerByteOneBytePerRead(int initialBuffer)
    {
        byte[] payload = Utf8(KisSample);
        int[] cuts = [.. Enumerable.Range(1, payload.Length - 1)];
        byte[] data = Concat(Fragmented(Text, payload, cuts), Fragmented(Binary, payload, [1, 50]));
        await using WebSocketConnection ws = Connect(ScriptedStream.OneBytePerRead(data), WebSocketConnectionOptions.Default with { InitialReceiveBufferSize = initialBuffer });

        Assert.Equal(payload, (await ws.ReceiveAsync(Ct)).Payload.ToArray());
        WebSocketMessage second = await ws.ReceiveAsync(Ct);
        Assert.Equal(WebSocketMessageKind.Binary, second.Kind);
        Assert.Equal(payload, second.Payload.ToArray());
    }

    [Fact]
    public async Task PingInsideFragmentedMessageIsAnsweredAndMessageArrivesWhole()
    {
        byte[] payload = Utf8(KisSample);
        byte[] pingPayload = Utf8("{\"ping\":1}");
        byte[] data = Concat(
            Server(Text, payload.AsSpan(0, 20), fin: false),
            Server(Ping, pingPayload),
            Server(Continuation, payload.AsSpan(20, 30), fin: false),
            Server(Pong, Utf8("unsolicited")),
            Server(Continuation, payload.AsSpan(50), fin: true));
        for (int split = 1; split < data.Length; split++)
        {
            var stream = new ScriptedStream(SplitChunks(data, split));
            await using WebSocketConnection ws = Connect(stream);

            WebSocketMessage m = await ws.ReceiveAsync(Ct);

            Assert.Equal(payload, m.Payload.ToArray());
            ClientFrame pong = Assert.Single(ParseClient(stream.Written));
            Assert.Equal(Pong, pong.Opcode);
            Assert.True(pong.Fin && pong.Masked);
            Assert.Equal(pingPayload, pong.Payload);
        }
    }

    private static IEnumerable<byte[]> SplitChunks(byte[] data, int split) => new[] { data[..split], data[split..] };

    [Theory]
    [InlineData(new byte[] { 0x30, 0x7C, 0xFF })] // ends in 0xFF, as KIS sent
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { 0x41, 0xC3 })] // truncated 2-byte sequence
    [InlineData(new byte[] { 0xC0, 0x80 })] // overlong NUL
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })] // UTF-16 surrogate
    [InlineData(new byte[] { 0xF5, 0x80, 0x80, 0x80, 0xFE })] // beyond U+10FFFF, 0xFE
    public async Task InvalidUtf8TextIsDeliveredByteForByte(byte[] tail)
    {
        byte[] payload = [.. Utf8(KisSample), .. tail];
        byte[] data = Concat(Server(Text, payload), Fragmented(Text, payload, [payload.Length - 1]), ServerText("ok"));
        var stream = new ScriptedStream([data]);
        await using WebSocketConnection ws = Connect(stream);

        Assert.Equal(payload, (await ws.ReceiveAsync(Ct)).Payload.ToArray());
        Assert.Equal(payload, (await ws.ReceiveAsync(Ct)).Payload.ToArray());
        Assert.Equal(Utf8("ok"), (await ws.ReceiveAsync(Ct)).Payload.ToArray());
        Assert.True(ws.IsOpen);
        Assert.Empty(stream.Written);
    }

    [Theory]
    [InlineData(126)] // smallest 16-bit length
    [InlineData(300)]
    [InlineData(65535)] // largest 16-bit length
    [InlineData(65536)] // smallest 64-bit length
    [InlineData(200_000)]
    public async Task ExtendedLengthHeaders(int size)
    {
        byte[] payload = [.. Enumerable.Range(0, size).Select(i => (byte)(i * 7))];
        byte[] frame = Server(Binary, payload);
        Assert.Equal(size <= 0xFFFF ? 126 : 127, frame[1]);
        var stream = new ScriptedStream(SplitChunks(frame, 3));
        await using WebSocketConnection ws = Connect(stream, WebSocketConnectionOptions.Default with { InitialReceiveBufferSize = 1024 });

        WebSocketMessage m = await ws.ReceiveAsync(Ct);

        Assert.Equal(payload, m.Payload.ToArray());
    }

    [Fact]
    public async Task SingleFrameMessagesAreSlicesOfOneReceiveBuffer()
    {
        byte[] data = Concat(ServerText("a"), ServerText("bb"), ServerText(KisSample));
        await using WebSocketConnection ws = Connect(new ScriptedStream([data]));

        var arrays = new List<byte[]>();
        for (int i = 0; i < 3; i++)
        {
            WebSocketMessage m = await ws.ReceiveAsync(Ct);
            Assert.True(MemoryMarshal.TryGetArray(m.Payload, out ArraySegment<byte> segment));
            arrays.Add(segment.Array!);
        }

        Assert.All(arrays, a => Assert.Same(arrays[0], a)); // no per-message copies or allocations
    }

    [Fact]
    public async Task MaskedServerFramesAreUnmaskedAndCounted()
    {
        byte[] data = Concat(Server(Text, Utf8(KisSample), mask: [0x12, 0x34, 0x56, 0x78]), ServerText("plain"));
        await using WebSocketConnection ws = Connect(new ScriptedStream([data]));

        Assert.Equal(Utf8(KisSample), (await ws.ReceiveAsync(Ct)).Payload.ToArray());
        Assert.Equal(Utf8("plain"), (await ws.ReceiveAsync(Ct)).Payload.ToArray());
        Assert.Equal(1, ws.MaskedFramesReceived);
        Assert.True(ws.IsOpen);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(5, 0)]
    [InlineData(125, 0)]
    [InlineData(126, 2)]
    [InlineData(65535, 2)]
    [InlineData(65536, 8)]
    public async Task ClientFramesAreMaskedAndDecodeBackToTheSentBytes(int size, int lengthBytes)
    {
        byte[] payload = [.. Enumerable.Range(0, size).Select(i => (byte)(i ^ 0x5A))];
        var stream = new ScriptedStream([]);
        await using WebSocketConnection ws = Connect(stream);

        await ws.SendTextAsync(payload, Ct);
        await ws.SendTextAsync(payload, Ct);

        List<ClientFrame> frames = ParseClient(stream.Written);
        Assert.Equal(2, frames.Count);
        foreach (ClientFrame f in frames)
        {
            Assert.True(f.Fin);
            Assert.Equal(Text, f.Opcode);
            Assert.True(f.Masked);
            Assert.Equal(lengthBytes, f.LengthBytes);
            Assert.Equal(payload, f.Payload);
        }

        Assert.NotEqual(frames[0].MaskKey, frames[1].MaskKey); // fresh key per frame (fails with chance 2^-32)
    }

    [Fact]
    public async Task SendTextDoesNotAllocatePerCall()
    {
        var stream = new ScriptedStream([]) { DiscardWrites = true };
        await using WebSocketConnection ws = Connect(stream);
        byte[] payload = Utf8("{\"header\":{\"tr_id\":\"PINGPONG\",\"datetime\":\"20260710171541\"}}");
        for (int i = 0; i < 10; i++)
        {
            await ws.SendTextAsync(payload, Ct); // warm up: rents the send buffer once
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            ValueTask send = ws.SendTextAsync(payload, CancellationToken.None);
            Assert.True(send.IsCompletedSuccessfully); // the scripted stream writes synchronously
            await send;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
#if DEBUG
        // Debug builds compile async state machines as classes, so each synchronously completing call boxes them.
        Assert.True(allocated < 1000 * 256, $"{allocated} bytes allocated for 1000 sends");
#else
        Assert.True(allocated < 1000, $"{allocated} bytes allocated for 1000 sends");
#endif
        Assert.Equal(1010, stream.WriteCalls);
    }

    [Fact]
    public async Task CancelledSendBeforeWritingLeavesTheConnectionUsable()
    {
        var stream = new ScriptedStream([]);
        await using WebSocketConnection ws = Connect(stream);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await ws.SendTextAsync(Utf8("x"), new CancellationToken(canceled: true)));

        Assert.True(ws.IsOpen);
        await ws.SendTextAsync(Utf8("y"), Ct);
        Assert.Equal(Utf8("y"), Assert.Single(ParseClient(stream.Written)).Payload);
    }

    [Fact]
    public async Task ConcurrentSendsProduceWholeFrames()
    {
        var stream = new ScriptedStream([]);
        await using WebSocketConnection ws = Connect(stream);
        byte[][] payloads = [.. Enumerable.Range(0, 64).Select(i => Utf8(new string((char)('a' + (i % 26)), 10 + (i * 37))))];

        await Task.WhenAll(payloads.Select(p => Task.Run(async () => await ws.SendTextAsync(p, Ct), Ct)));

        List<ClientFrame> frames = ParseClient(stream.Written);
        Assert.Equal(payloads.Select(Convert.ToBase64String).Order(), frames.Select(f => Convert.ToBase64String(f.Payload)).Order());
    }

    [Fact]
    public async Task ServerCloseIsEchoedOnceAndEndsTheConnection()
    {
        var stream = new ScriptedStream([Concat(ServerText("last"), ServerClose(4001, "server going away"))]);
        await using WebSocketConnection ws = Connect(stream);

        Assert.Equal(WebSocketMessageKind.Text, (await ws.ReceiveAsync(Ct)).Kind);
        WebSocketMessage close = await ws.ReceiveAsync(Ct);

        Assert.Equal(WebSocketMessageKind.Close, close.Kind);
        Assert.Equal((WebSocketCloseStatus)4001, close.CloseStatus);
        Assert.Equal("server going away", close.CloseDescription);
        Assert.False(ws.IsOpen);
        ClientFrame echo = Assert.Single(ParseClient(stream.Written));
        Assert.Equal(Close, echo.Opcode);
        Assert.Equal(4001, BinaryPrimitives.ReadUInt16BigEndian(echo.Payload));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await ws.ReceiveAsync(Ct));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await ws.SendTextAsync(Utf8("x"), Ct));

        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct); // no second Close frame
        Assert.Single(ParseClient(stream.Written));
    }

    [Fact]
    public async Task EmptyServerCloseIsAnsweredWithEmptyClose()
    {
        var stream = new ScriptedStream([Server(Close, [])]);
        await using WebSocketConnection ws = Connect(stream);

        WebSocketMessage close = await ws.ReceiveAsync(Ct);

        Assert.Null(close.CloseStatus);
        ClientFrame echo = Assert.Single(ParseClient(stream.Written));
        Assert.Equal(Close, echo.Opcode);
        Assert.Empty(echo.Payload);
    }

    [Fact]
    public async Task ClientCloseSendsCloseDrainsDataAndWaitsForThePeersClose()
    {
        var stream = new ScriptedStream([Concat(ServerText("in flight"), ServerClose(1000))]);
        await using WebSocketConnection ws = Connect(stream);

        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", Ct);

        ClientFrame close = Assert.Single(ParseClient(stream.Written));
        Assert.Equal(Close, close.Opcode);
        Assert.Equal(1000, BinaryPrimitives.ReadUInt16BigEndian(close.Payload));
        Assert.Equal(Utf8("done"), close.Payload[2..]);
        Assert.False(ws.IsOpen);
        Assert.True(stream.Disposed);
    }

    [Fact]
    public async Task ClientCloseGivesUpAfterCloseTimeoutWhenThePeerIsSilent()
    {
        var stream = new ScriptedStream([]) { BlockAtEnd = true };
        await using WebSocketConnection ws = Connect(stream, WebSocketConnectionOptions.Default with { CloseTimeout = TimeSpan.FromMilliseconds(100) });

        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct);

        Assert.Equal(Close, Assert.Single(ParseClient(stream.Written)).Opcode);
        Assert.True(stream.Disposed);
    }

    [Fact]
    public async Task CloseWhileAnotherTaskIsReceivingLetsThatReaderSeeTheClose()
    {
        var (client, server) = DuplexStream.CreatePair();
        await using WebSocketConnection ws = Connect(client);
        ValueTask<WebSocketMessage> pending = ws.ReceiveAsync(Ct);

        Task closing = ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, Ct).AsTask();
        byte[] buffer = new byte[64];
        int n = await server.ReadAsync(buffer, Ct);
        Assert.Equal(Close, Assert.Single(ParseClient(buffer.AsSpan(0, n))).Opcode);
        await server.WriteAsync(ServerClose(1000), Ct);
        await server.FlushAsync(Ct);

        Assert.Equal(WebSocketMessageKind.Close, (await pending).Kind);
        await closing;
        Assert.False(ws.IsOpen);
    }

    [Fact]
    public async Task EofWithoutCloseFrameThrowsClearly()
    {
        await using WebSocketConnection ws = Connect(new ScriptedStream([ServerText("a"), [0x81, 0x05, (byte)'h']]));

        await ws.ReceiveAsync(Ct);
        var ex = await Assert.ThrowsAsync<WebSocketConnectionClosedException>(async () => await ws.ReceiveAsync(Ct));

        Assert.Contains("closed by the peer without a close frame", ex.Message, StringComparison.Ordinal);
        Assert.False(ws.IsOpen);
    }

    [Fact]
    public async Task OversizeMessageFailsWith1009()
    {
        var stream = new ScriptedStream([Server(Text, new byte[101])]);
        await using WebSocketConnection ws = Connect(stream, WebSocketConnectionOptions.Default with { MaxMessageSize = 100 });

        var ex = await Assert.ThrowsAsync<WebSocketProtocolException>(async () => await ws.ReceiveAsync(Ct));

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, ex.CloseStatus);
        Assert.Contains("101-byte", ex.Message, StringComparison.Ordinal);
        AssertClosedWith(stream, 1009);
    }

    [Fact]
    public async Task OversizeFragmentedMessageFailsWith1009()
    {
        byte[] data = Fragmented(Text, new byte[150], [60, 120]);
        var stream = new ScriptedStream([data]);
        await using WebSocketConnection ws = Connect(stream, WebSocketConnectionOptions.Default with { MaxMessageSize = 100 });

        var ex = await Assert.ThrowsAsync<WebSocketProtocolException>(async () => await ws.ReceiveAsync(Ct));

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, ex.CloseStatus);
        AssertClosedWith(stream, 1009);
    }

    public static TheoryData<string, byte[]> ProtocolViolations => new()
    {
        { "RSV", Server(Text, Utf8("x"), rsv: 0x40) },
        { "RSV", Server(Text, Utf8("x"), rsv: 0x10) },
        { "opcode 0x3", Server(0x3, Utf8("x")) },
        { "opcode 0xB", Server(0xB, []) },
        { "fragmented control", Server(Ping, Utf8("x"), fin: false) },
        { "126-byte payload", Server(Ping, new byte[126]) },
        { "continuation frame with no fragmented message", Server(Continuation, Utf8("x")) },
        { "new data frame", Concat(Server(Text, Utf8("a"), fin: false), Server(Text, Utf8("b"))) },
        { "1-byte payload", Server(Close, [0x03]) },
    };

    [Theory]
    [MemberData(nameof(ProtocolViolations))]
    public async Task ProtocolViolationsFailWith1002(string expectedInMessage, byte[] data)
    {
        var stream = new ScriptedStream([Concat(ServerText("fine"), data)]);
        await using WebSocketConnection ws = Connect(stream);
        Assert.Equal(Utf8("fine"), (await ws.ReceiveAsync(Ct)).Payload.ToArray());

        var ex = await Assert.ThrowsAsync<WebSocketProtocolException>(async () => await ws.ReceiveAsync(Ct));

        Assert.Equal(WebSocketCloseStatus.ProtocolError, ex.CloseStatus);
        Assert.Contains(expectedInMessage, ex.Message, StringComparison.Ordinal);
        AssertClosedWith(stream, 1002);
        Assert.False(ws.IsOpen);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await ws.ReceiveAsync(Ct));
    }

    private static void AssertClosedWith(ScriptedStream stream, ushort status)
    {
        ClientFrame close = Assert.Single(ParseClient(stream.Written));
        Assert.Equal(Close, close.Opcode);
        Assert.Equal(status, BinaryPrimitives.ReadUInt16BigEndian(close.Payload));
        Assert.True(stream.Disposed);
    }

    [Fact]
    public async Task SecondConcurrentReceiveIsRejected()
    {
        var (client, _) = DuplexStream.CreatePair();
        await using WebSocketConnection ws = Connect(client);
        ValueTask<WebSocketMessage> first = ws.ReceiveAsync(Ct);

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await ws.ReceiveAsync(Ct));

        ws.Abort();
        await Assert.ThrowsAnyAsync<Exception>(async () => await first);
    }

    [Fact]
    public async Task DisposeTwiceIsSafeAndAbortClosesAtOnce()
    {
        var stream = new ScriptedStream([]);
        WebSocketConnection ws = Connect(stream);
        ws.Abort();
        Assert.False(ws.IsOpen);
        Assert.True(stream.Disposed);
        Assert.Empty(stream.Written); // abort sends nothing

        await ws.DisposeAsync();
        await ws.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await ws.ReceiveAsync(Ct));
    }

    [Fact]
    public async Task DisposeOfAnOpenConnectionClosesGracefully()
    {
        var stream = new ScriptedStream([ServerClose(1000)]);
        WebSocketConnection ws = Connect(stream);

        await ws.DisposeAsync();

        Assert.Equal(Close, Assert.Single(ParseClient(stream.Written)).Opcode);
        Assert.True(stream.Disposed);
    }
}
