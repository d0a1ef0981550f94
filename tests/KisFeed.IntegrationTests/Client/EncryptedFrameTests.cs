using System.Reflection;
using System.Text;

using KisFeed.Protocol;
using KisFeed.Simulator;

using static KisFeed.IntegrationTests.Client.ClientTestKit;

namespace KisFeed.IntegrationTests.Client;

public class EncryptedFrameTests
{
    [Fact]
    public async Task AnEncryptedFrameIsDecryptedWithTheKeyFromTheSubscribeReply()
    {
        using CancellationTokenSource deadline = Deadline();
        await using KisSimulator sim = await KisSimulator.StartAsync(Sim with { UpdatesPerSecond = 0 }, deadline.Token);
        await using var client = new KisRealtimeClient(Options(sim));
        await using ProgramTradeSubscription sub = await client.SubscribeAsync(["005930"], [Venue.Nxt], deadline.Token);

        // The AES key and IV the client kept from the simulator's OPSP0000 reply (output.key / output.iv).
        var keys = (Dictionary<string, KisAes>)typeof(KisRealtimeClient).GetField("_aes", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(client)!;
        KisAes aes = keys["H0NXPGM0"];
        string cipher = aes.Encrypt(Encoding.ASCII.GetBytes("005930^093000^10^770000^30^2310000^20^1540000^5^7^2"));
        await sim.SendRawAsync(Encoding.ASCII.GetBytes("1|H0NXPGM0|001|" + cipher));

        List<ProgramTrade> got = await ReadUntilAsync(sub, s => s.Count >= 1, deadline.Token, "the decrypted record");
        ProgramTrade t = Assert.Single(got);
        Assert.Equal(new TimeOnly(9, 30, 0), t.Time);
        Assert.Equal(1_540_000, t.NetBuyValue);

        // A frame that does not decrypt is reported, not fatal.
        var rejected = new TaskCompletionSource<FrameRejectedEventArgs>();
        client.FrameRejected += (_, e) => rejected.TrySetResult(e);
        await sim.SendRawAsync(Encoding.ASCII.GetBytes("1|H0NXPGM0|001|" + Convert.ToBase64String(new byte[32])));
        FrameRejectedEventArgs r = await rejected.Task.WaitAsync(deadline.Token);
        Assert.Equal(FrameError.Undecryptable, r.Error);
        Assert.Equal(ConnectionState.Connected, client.State);
    }
}
