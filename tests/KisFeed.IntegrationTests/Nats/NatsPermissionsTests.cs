using System.Text.Json;

using KisFeed.Cli;
using KisFeed.IntegrationTests.Client;
using KisFeed.Nats;
using KisFeed.Simulator;
using KisFeed.TestKit;

using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace KisFeed.IntegrationTests.Nats;

/// <summary>
/// A nats-server started with the accounts and permissions of <c>docs/nats/kisfeed-accounts.conf</c> (the file the
/// docs give, unchanged): a gateway with the gateway user publishes, an operator with the operator user changes the
/// desired set, a recorder with the reader user records; the reader's own publishes are refused, and it still reads.
/// </summary>
public sealed class NatsPermissionsTests
{
    [Fact]
    public async Task OnlyTheGatewayUserPublishesTheReaderIsRefusedAndStillReads()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(120);
        CancellationToken ct = deadline.Token;
        using var dir = new TempDirectory();
        Dictionary<string, string> passwords = new()
        {
            ["KISFEED_GATEWAY_PASSWORD"] = "gw-" + Guid.NewGuid().ToString("N"),
            ["KISFEED_OPERATOR_PASSWORD"] = "op-" + Guid.NewGuid().ToString("N"),
            ["KISFEED_READER_PASSWORD"] = "rd-" + Guid.NewGuid().ToString("N"),
            ["NATS_ADMIN_PASSWORD"] = "ad-" + Guid.NewGuid().ToString("N"),
        };
        string config = Path.Combine(Cli.CliHarness.RepoRoot(), "docs", "nats", "kisfeed-accounts.conf");
        await using NatsServer server = await NatsServer.StartWithConfigAsync(config, passwords, ct);
        NatsFeedOptions feed = NatsTestKit.Feed;

        // Anonymous clients are not let in at all.
        await using (var anonymous = new NatsConnection(NatsOpts.Default with { Url = server.Url, MaxReconnectRetry = 0 }))
        {
            await Assert.ThrowsAnyAsync<NatsException>(async () => await anonymous.ConnectAsync());
        }

        // The operator adds registrations (and creates the desired set's bucket).
        (int addExit, string addOut, string addErr) = await Cli.CliHarness.RunWithEnvAsync(
            new Dictionary<string, string> { ["NATS_USER"] = "operator", ["NATS_PASSWORD"] = passwords["KISFEED_OPERATOR_PASSWORD"] },
            "subs", "add", "005930", "000660", "--venue", "nxt", "--nats", server.Url);
        Assert.True(addExit == 0, addOut + addErr);

        // A gateway with the gateway user (password from NATS_PASSWORD) publishes the registrations' data.
        IReadOnlyList<SimulatorCredential> keys = CliApp.DemoCredentials(1);
        await using KisSimulator sim = await KisSimulator.StartAsync(ClientTestKit.Sim with { Credentials = keys, UpdatesPerSecond = 10 }, ct);
        string keysFile = Path.Combine(dir.Path, "keys.json");
        await File.WriteAllTextAsync(keysFile, JsonSerializer.Serialize(new
        {
            keys = keys.Select(k => new { appkey = k.AppKey, appsecret = k.AppSecret }),
            ws_url = new Uri(sim.WebSocketUri, "/tryitout").ToString(),
            rest_url = sim.RestBaseUri.ToString(),
        }), ct);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keysFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        using GatewayProcess gateway = GatewayProcess.Start("gw1", server.Url, keysFile, feed, ["--nats-user", "gateway"],
            new Dictionary<string, string> { ["NATS_PASSWORD"] = passwords["KISFEED_GATEWAY_PASSWORD"] });

        // A recorder with the reader user records it.
        string db = Path.Combine(dir.Path, "reader.duckdb");
        using GatewayProcess recorder = GatewayProcess.StartCli("recorder", ["record", "all", "--venue", "all", "--from", server.Url, "--db", db, "--nats-user", "reader", "--nats-password", passwords["KISFEED_READER_PASSWORD"]]);
        await NatsTestKit.WaitUntilAsync(() => gateway.HasExited || recorder.HasExited || GatewayFailoverTests.CommittedSeq(recorder) > 10, ct, "the reader records the gateway's data\n" + gateway.Output + "\n" + recorder.Output);
        Assert.False(gateway.HasExited, gateway.Output);
        Assert.False(recorder.HasExited, recorder.Output);

        // The reader publishing on the stream's subjects: refused, nothing stored; its connection stays up and reads on.
        NatsOpts readerOpts = new NatsCredentials { User = "reader", Password = passwords["KISFEED_READER_PASSWORD"] }.ApplyTo(NatsOpts.Default with { Url = server.Url });
        await using var reader = new NatsConnection(readerOpts);
        var js = new NatsJSContext(reader);
        byte[] forged = FeedCodec.EncodeTrade(NatsTestKit.Trade(Venue.Nxt, "999999", 1));
        await Assert.ThrowsAnyAsync<NatsException>(async () => (await js.PublishAsync("kisfeed.pgm.nxt.999999", forged, cancellationToken: ct)).EnsureSuccess());
        await reader.PublishAsync("kisfeed.pgm.nxt.999999", forged, cancellationToken: ct); // plain publish: dropped by the server
        await reader.PingAsync(ct); // the server has handled both publishes
        INatsJSStream stream = await js.GetStreamAsync(feed.StreamName, new StreamInfoRequest { SubjectsFilter = "kisfeed.*.*.999999" }, ct);
        Assert.True(stream.Info.State.Subjects is null || stream.Info.State.Subjects.Count == 0, "a refused publish was stored");
        Assert.Equal(NatsConnectionState.Open, reader.ConnectionState);
        ulong after = stream.Info.State.LastSeq;
        await foreach (NatsFeedItem item in new FeedConsumer(js, feed).ReadAsync([], VenueExtensions.All, FeedStart.AfterSequence(after), ct))
        {
            Assert.True(item.StreamSequence > after);
            break;
        }

        // The reader may not touch the desired set either; the operator may remove from it.
        (int readerSubsExit, _, string readerSubsErr) = await Cli.CliHarness.RunWithEnvAsync(
            new Dictionary<string, string> { ["NATS_USER"] = "reader", ["NATS_PASSWORD"] = passwords["KISFEED_READER_PASSWORD"] },
            "subs", "remove", "005930", "--venue", "nxt", "--nats", server.Url);
        Assert.NotEqual(0, readerSubsExit);
        Assert.Contains("ermission", readerSubsErr, StringComparison.Ordinal);

        // A wrong password: a clear refusal, and the password is not printed.
        (int wrongExit, string wrongOut, string wrongErr) = await Cli.CliHarness.RunAsync("subs", "list", "--nats", server.Url, "--nats-user", "operator", "--nats-password", "not-the-password-123");
        Assert.NotEqual(0, wrongExit);
        Assert.Contains("uthorization", wrongOut + wrongErr, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password-123", wrongOut + wrongErr, StringComparison.Ordinal);

        // No secret in any output.
        foreach (string secret in passwords.Values)
        {
            Assert.DoesNotContain(secret, gateway.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, recorder.Output, StringComparison.Ordinal);
        }
    }
}
