using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

using KisFeed.Cli;
using KisFeed.Nats;
using KisFeed.TestKit;

using NATS.Client.JetStream;

namespace KisFeed.IntegrationTests.Nats;

/// <summary>
/// Issue 21 for the three NATS readers (`record --from`, `watch --from`, `serve --from`) as real processes: told to stop
/// as NATS is killed, or while NATS is unreachable from the start, each exits within
/// <see cref="CliApp.ReaderStopBound"/> (plus the process teardown) with exit code 0, and keeps what it had read.
/// </summary>
public sealed class ReaderStopProcessTests
{
    private const int Messages = 50;

    public static TheoryData<string> Readers => ["record", "watch", "serve"];

    [Theory]
    [MemberData(nameof(Readers))]
    public async Task GivenSigtermAsNatsIsKilledTheReaderExitsWithinItsBoundWith0(string reader)
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(90);
        CancellationToken ct = deadline.Token;
        using var dir = new TestKit.TempDirectory();
        string db = Path.Combine(dir.Path, reader + ".duckdb");
        await using NatsServer server = await NatsServer.StartAsync(ct);
        await using (var nats = NatsTestKit.Connect(server))
        {
            NatsJSContext js = NatsTestKit.Js(nats);
            await FeedPublisher.EnsureStreamAsync(js, NatsFeedOptions.Default, ct);
            await using var publisher = new FeedPublisher(js, NatsFeedOptions.Default);
            for (int i = 1; i <= Messages; i++)
            {
                await publisher.EnqueueAsync(FeedItem.FromTrade(NatsTestKit.Trade(Venue.Nxt, "005930", i, DateTimeOffset.UtcNow)), ct);
            }

            await publisher.DrainAsync(ct);
        }

        using GatewayProcess process = GatewayProcess.StartCli(reader, Args(reader, server.Url, db));
        try
        {
            await WaitUntilReadAsync(reader, process, ct);

            server.Kill();
            process.Terminate();
            var took = Stopwatch.StartNew();
            await process.WaitForExitAsync(ct);
            took.Stop();

            Assert.True(took.Elapsed <= CliApp.ReaderStopBound + GatewayStopProcessTests.Teardown, $"exited {took.Elapsed.TotalSeconds:0.0} s after SIGTERM");
            Assert.Equal(0, process.ExitCode);
            if (reader != "watch")
            {
                // Nothing already received is lost: the file holds every message once.
                Assert.Equal(Messages, RecordedDb.Read(db).Rows.Count);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException(ex.Message + "\n" + process.Output, ex);
        }
    }

    [Theory]
    [MemberData(nameof(Readers))]
    public async Task WithNatsUnreachableFromTheStartASigtermDuringTheConnectExitsAtOnceWith0(string reader)
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(60);
        CancellationToken ct = deadline.Token;
        using var dir = new TestKit.TempDirectory();
        BlackHoleNats[] holes = [.. Enumerable.Range(0, 6).Select(_ => new BlackHoleNats())];
        try
        {
            using GatewayProcess process = GatewayProcess.StartCli(reader, Args(reader, string.Join(',', holes.Select(h => h.Url)), Path.Combine(dir.Path, reader + ".duckdb")));
            await NatsTestKit.WaitUntilAsync(() => holes.Any(h => h.Accepted > 0), ct, "the reader is connecting");

            process.Terminate();
            var took = Stopwatch.StartNew();
            await process.WaitForExitAsync(ct);

            Assert.True(took.Elapsed <= GatewayStopProcessTests.Teardown + TimeSpan.FromSeconds(1), $"exited {took.Elapsed.TotalSeconds:0.0} s after SIGTERM (six unanswered servers would take 12 s)\n{process.Output}");
            Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}\n{process.Output}");
        }
        finally
        {
            foreach (BlackHoleNats h in holes)
            {
                h.Dispose();
            }
        }
    }

    private static string[] Args(string reader, string url, string db) => reader switch
    {
        "record" => ["record", "all", "--venue", "all", "--from", url, "--db", db],
        "watch" => ["watch", "all", "--venue", "all", "--from", url, "--format", "jsonl"],
        _ => ["serve", "all", "--venue", "all", "--from", url, "--port", "0", "--db", db],
    };

    private static async Task WaitUntilReadAsync(string reader, GatewayProcess process, CancellationToken ct)
    {
        switch (reader)
        {
            case "record":
                await NatsTestKit.WaitUntilAsync(() => GatewayFailoverTests.CommittedSeq(process) >= Messages, ct, $"the recorder commits {Messages} messages");
                break;
            case "watch":
                await NatsTestKit.WaitUntilAsync(() => process.Lines.Count(l => l.Line.StartsWith('{')) >= Messages, ct, $"the board prints {Messages} lines");
                break;
            default:
                string? url = null;
                await NatsTestKit.WaitUntilAsync(() => (url = process.Lines.Select(l => Regex.Match(l.Line, @"^KisFeed board: (\S+)")).FirstOrDefault(m => m.Success)?.Groups[1].Value) is not null, ct, "the board is up");
                using (var http = new HttpClient())
                {
                    await NatsTestKit.WaitUntilAsync(async () =>
                    {
                        using JsonDocument status = JsonDocument.Parse(await http.GetStringAsync(new Uri(new Uri(url!), "api/status"), ct));
                        return status.RootElement.GetProperty("source").GetString()!.Contains($"{Messages} message(s) read", StringComparison.Ordinal);
                    }, ct, $"the board read {Messages} messages");
                }

                break;
        }
    }
}
