using KisFeed.Cli;
using KisFeed.Nats;
using KisFeed.TestKit;

using Spectre.Console.Testing;

namespace KisFeed.IntegrationTests.Nats;

/// <summary>`kisfeed gateway` and `kisfeed subs` in-process, against a real nats-server where one is needed.</summary>
public sealed class GatewayCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "kisfeed-gwcli-" + Guid.NewGuid().ToString("N")[..10]);

    public GatewayCliTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = await CliApp.RunAsync(args, new CliConsole(new TestConsole(), stdout, stderr, IsTerminal: false), TestContext.Current.CancellationToken);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task AKeysFileReadableByOthersIsRefusedWithoutPrintingTheSecret()
    {
        string file = Path.Combine(_dir, "keys.json");
        const string Secret = "VERY-SECRET-APP-SECRET-0123456789";
        await File.WriteAllTextAsync(file, $$"""{"keys": [{"appkey": "PSabcdefghijklmnopqrstuvwxyz0123456789", "appsecret": "{{Secret}}"}]}""", TestContext.Current.CancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        (int exit, string stdout, string stderr) = await RunAsync("gateway", "--nats", "nats://127.0.0.1:1", "--app-keys", file);

        Assert.Equal(1, exit);
        Assert.Contains("mode 0644", stderr, StringComparison.Ordinal);
        Assert.Contains("chmod 600", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, stdout + stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("PSabcdefghijklmnop", stdout + stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LeaseTimingsThatBreakTheRuleAreRefused()
    {
        (int exit, _, string stderr) = await RunAsync("gateway", "--nats", "nats://127.0.0.1:1", "--lease-ttl", "4s", "--kis-silent-lifetime", "3s", "--renew-interval", "1s");

        Assert.Equal(1, exit);
        Assert.Contains("Lease rule broken", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubsAddRemoveAndListChangeTheDesiredSetInKv()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(30);
        await using NatsServer server = await NatsServer.StartAsync(deadline.Token);

        (int exit, string stdout, string stderr) = await RunAsync("subs", "add", "005930", "000660", "--venue", "all", "--nats", server.Url);
        Assert.True(exit == 0, stderr);
        Assert.Contains("Added 6 registration(s)", stdout, StringComparison.Ordinal);
        (exit, _, stderr) = await RunAsync("subs", "remove", "000660", "--venue", "krx", "--nats", server.Url);
        Assert.True(exit == 0, stderr);
        (exit, stdout, stderr) = await RunAsync("subs", "list", "--nats", server.Url);
        Assert.True(exit == 0, stderr);
        Assert.Equal(["krx 005930", "nxt 000660", "nxt 005930", "unified 000660", "unified 005930", "5 registration(s); 1 app key(s) needed at 41 each."],
            stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

        // The gateways read the same set.
        await using var nats = NatsTestKit.Connect(server);
        DesiredRegistrations desired = await DesiredRegistrations.OpenAsync(NatsTestKit.Js(nats), NatsFeedOptions.Default, deadline.Token);
        Assert.Equal(5, (await desired.ListAsync(deadline.Token)).Count);
    }

    [Fact]
    public async Task WatchFromNatsShowsTheStreamAsLines()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(30);
        await using NatsServer server = await NatsServer.StartAsync(deadline.Token);
        await using var nats = NatsTestKit.Connect(server);
        NATS.Client.JetStream.NatsJSContext js = NatsTestKit.Js(nats);
        await FeedPublisher.EnsureStreamAsync(js, NatsFeedOptions.Default, deadline.Token);
        await using (var publisher = new FeedPublisher(js, NatsFeedOptions.Default))
        {
            foreach (int i in Enumerable.Range(1, 3))
            {
                await publisher.EnqueueAsync(FeedItem.FromTrade(NatsTestKit.Trade(Venue.Nxt, "005930", i)), deadline.Token);
            }

            await publisher.EnqueueAsync(FeedItem.FromTrade(NatsTestKit.Trade(Venue.Krx, "000660", 4)), deadline.Token);
            await publisher.DrainAsync(deadline.Token);
        }

        (int exit, string stdout, string stderr) = await RunAsync("watch", "005930", "--venue", "nxt", "--from", server.Url, "--format", "jsonl", "--duration", "3s");

        Assert.True(exit == 0, stderr);
        Assert.StartsWith("NATS: ", stderr, StringComparison.Ordinal);
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.All(lines, l => Assert.Contains("005930", l, StringComparison.Ordinal));
    }

    [Fact]
    public void ThePayloadRoundTripsAndTheMessageIdIgnoresOnlyTheReceiveTime()
    {
        ProgramTrade t = NatsTestKit.Trade(Venue.Unified, "005930", 42) with { Missing = ProgramTradeFields.AskResidual, Source = TradeSource.Rest };
        byte[] a = FeedCodec.EncodeTrade(t);
        Assert.Equal(t, FeedCodec.Decode(a).Trade);
        Assert.Equal(FeedCodec.Version, a[0]);
        ProgramTrade later = t with { ReceivedAt = t.ReceivedAt.AddHours(1) };
        Assert.Equal(FeedCodec.TradeMessageId(t, a), FeedCodec.TradeMessageId(later, FeedCodec.EncodeTrade(later)));
        ProgramTrade other = t with { NetBidResidual = t.NetBidResidual + 1 };
        Assert.NotEqual(FeedCodec.TradeMessageId(t, a), FeedCodec.TradeMessageId(other, FeedCodec.EncodeTrade(other)));
        a[0] = FeedCodec.SimulatedVersion + 1; // a version this reader does not know
        Assert.Throws<FormatException>(() => FeedCodec.Decode(a));
    }
}
