using System.Diagnostics;
using System.Text.Json;

using DuckDB.NET.Data;

using KisFeed.Cli;
using KisFeed.Storage;

using Spectre.Console.Testing;

namespace KisFeed.IntegrationTests.Cli;

public sealed class CliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kisfeed-cli-").FullName;

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
        var console = new CliConsole(new TestConsole(), stdout, stderr, IsTerminal: false);
        // Credentials from the developer's environment must not turn a test into a live session.
        string[] withDemo = args.Length > 0 && args[0] is "watch" or "record" ? [.. args, "--demo"] : args;
        int exit = await CliApp.RunAsync(withDemo, console, TestContext.Current.CancellationToken);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task WatchWithoutCredentialsRunsOnTheSimulatorAndSaysSo()
    {
        (int exit, string stdout, string stderr) = await RunAsync("watch", "005930", "000660", "--venue", "all", "--format", "jsonl", "--duration", "3s");

        Assert.True(exit == 0, stderr);
        Assert.StartsWith("Demo", stderr.Split('\n')[0], StringComparison.Ordinal);
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        foreach (string line in lines)
        {
            using JsonDocument doc = JsonDocument.Parse(line);
            JsonElement r = doc.RootElement;
            Assert.Contains(r.GetProperty("code").GetString(), new[] { "005930", "000660" });
            Assert.Equal(r.GetProperty("buy_volume").GetInt64() - r.GetProperty("sell_volume").GetInt64(), r.GetProperty("net_buy_volume").GetInt64());
            Assert.Equal(r.GetProperty("buy_value").GetInt64() - r.GetProperty("sell_value").GetInt64(), r.GetProperty("net_buy_value").GetInt64());
        }
    }

    [Fact]
    public async Task WatchTextSaysDemoOnTheFirstLine()
    {
        (int exit, string stdout, _) = await RunAsync("watch", "005930", "--duration", "5s");
        Assert.Equal(0, exit);
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("Demo", lines[0], StringComparison.Ordinal);
        Assert.Contains(lines.Skip(1), l => l.StartsWith("005930 nxt", StringComparison.Ordinal) && l.Contains(" 억", StringComparison.Ordinal));
    }

    [Fact]
    public async Task BadArgumentsGiveOneClearLine()
    {
        (int exit, _, string stderr) = await RunAsync("watch", "005930", "--venue", "nyse", "--duration", "1s");
        Assert.Equal(2, exit); // a usage error
        Assert.Contains("Unknown venue 'nyse'", stderr);
        Assert.DoesNotContain("   at ", stderr);

        (exit, _, stderr) = await RunAsync("replay", "--db", Path.Combine(_dir, "missing.duckdb"));
        Assert.Equal(1, exit);
        Assert.Contains("does not exist", stderr);

        (exit, _, stderr) = await RunAsync("record", "005930", "--db", _dir, "--duration", "1s");
        Assert.Equal(1, exit);
        Assert.Contains(_dir, stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public async Task EveryCommandHasHelpWithAnExample()
    {
        foreach (string command in new[] { "watch", "record", "replay", "export", "info", "simulate" })
        {
            (int exit, string stdout, _) = await RunAsync(command, "--help");
            Assert.Equal(0, exit);
            Assert.Contains("Example: kisfeed " + command, stdout);
        }
    }

    [Fact]
    public async Task RecordThenReplayAndExportHoldTheSameRows()
    {
        string db = Path.Combine(_dir, "day.duckdb");
        (int exit, string stdout, string stderr) = await RunAsync("record", "005930", "000660", "--venue", "all", "--db", db, "--duration", "3s");
        Assert.True(exit == 0, stderr);
        Assert.Contains("written", stdout);

        List<ProgramTrade> recorded = [];
        await foreach (ProgramTrade t in ProgramTradeReplay.ReadAsync(db, ReplayQuery.Default, TestContext.Current.CancellationToken))
        {
            recorded.Add(t);
        }

        Assert.NotEmpty(recorded);
        Assert.Equal(6, recorded.Select(t => (t.Venue, t.Code)).Distinct().Count());

        // Replay through the CLI as JSONL: same records, same order.
        (exit, stdout, stderr) = await RunAsync("replay", "--db", db, "--speed", "max", "--format", "jsonl");
        Assert.True(exit == 0, stderr);
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(recorded.Count, lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            using JsonDocument doc = JsonDocument.Parse(lines[i]);
            Assert.Equal(recorded[i].Code, doc.RootElement.GetProperty("code").GetString());
            Assert.Equal(recorded[i].NetBuyValue, doc.RootElement.GetProperty("net_buy_value").GetInt64());
        }

        // Export as CSV and Parquet: DuckDB reads back as many rows.
        foreach (string format in new[] { "csv", "parquet", "jsonl" })
        {
            string file = Path.Combine(_dir, "out." + format);
            (exit, stdout, stderr) = await RunAsync("export", "--db", db, "--format", format, "-o", file);
            Assert.True(exit == 0, stderr);
            Assert.Contains($"Exported {recorded.Count:N0} row(s)", stdout);
            using var connection = new DuckDBConnection("Data Source=:memory:");
            connection.Open();
            using DuckDBCommand count = connection.CreateCommand();
            string reader = format switch { "csv" => "read_csv", "parquet" => "read_parquet", _ => "read_json" };
            count.CommandText = $"SELECT count(*) FROM {reader}('{file}')";
            Assert.Equal(recorded.Count, Convert.ToInt64(count.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [Fact]
    public void TheBoardShowsRowsAndTheStatusLine()
    {
        var board = new ProgramTradeBoard();
        var at = new DateTimeOffset(2026, 11, 24, 0, 30, 0, TimeSpan.Zero);
        board.Apply(Trade("005930", Venue.Nxt, 1_000_000_000, at));
        board.Apply(Trade("000660", Venue.Nxt, -2_500_000_000, at));
        board.Apply(Trade("005930", Venue.Nxt, 1_250_000_000, at.AddSeconds(1)));

        var console = new TestConsole();
        console.Profile.Width = 220;
        console.Write(board.Render(new BoardStatus("Demo: built-in simulator", "Connected", 3, 1, 0, 2)));
        string screen = console.Output;

        string[] rows = screen.Split('\n');
        int samsung = Array.FindIndex(rows, r => r.Contains("005930", StringComparison.Ordinal));
        int hynix = Array.FindIndex(rows, r => r.Contains("000660", StringComparison.Ordinal));
        Assert.True(samsung >= 0 && hynix > samsung, "sorted by net value, largest first");
        Assert.Contains("12.5", rows[samsung]);   // 1,250,000,000 KRW = 12.5 억
        Assert.Contains("+250", rows[samsung]);   // change since the previous update: 250,000,000 KRW = 250 백만원
        Assert.Contains("-25.0", rows[hynix]);
        Assert.Contains("Connected", screen);
        Assert.Contains("reconnects 1", screen);
        Assert.Contains("rejected frames 2", screen);
        Assert.Contains("Demo: built-in simulator", screen);
    }

    [Fact]
    public async Task AKilledRecorderLosesAtMostItsCurrentBatchAndTheNextRunAppends()
    {
        string db = Path.Combine(_dir, "killed.duckdb");
        string cli = Path.Combine(AppContext.BaseDirectory, "KisFeed.Cli.dll");
        var start = new ProcessStartInfo("dotnet", [cli, "record", "005930", "000660", "--venue", "all", "--db", db, "--demo"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment.Remove("KIS_APPKEY");
        using var process = Process.Start(start)!;
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.ErrorDataReceived += (_, e) => errors.Enqueue(e.Data ?? string.Empty);
        process.BeginErrorReadLine();
        long reported = 0;
        var seen = new List<string>();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            while (reported < 20)
            {
                string? line = await process.StandardOutput.ReadLineAsync(deadline.Token);
                Assert.True(line is not null, "the recorder exited early: " + string.Join('\n', seen) + string.Join('\n', errors));
                seen.Add(line!);
                System.Text.RegularExpressions.Match m = System.Text.RegularExpressions.Regex.Match(line!, @"([\d,]+) written");
                if (m.Success)
                {
                    reported = long.Parse(m.Groups[1].Value, System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"no progress line reported 20 records (exited: {process.HasExited}); output so far:\n{string.Join('\n', seen)}\nstderr:\n{string.Join('\n', errors)}");
        }
        finally
        {
            process.Kill(); // SIGKILL: no flush, no clean close
            await process.WaitForExitAsync(CancellationToken.None);
        }

        List<ProgramTrade> afterKill = [];
        await foreach (ProgramTrade t in ProgramTradeReplay.ReadAsync(db, ReplayQuery.Default, deadline.Token))
        {
            afterKill.Add(t);
        }

        Assert.True(afterKill.Count >= reported, $"{afterKill.Count} rows after kill, {reported} were reported committed");

        (int exit, _, string stderr) = await RunAsync("record", "005930", "000660", "--venue", "all", "--db", db, "--duration", "4s");
        Assert.True(exit == 0, stderr);
        List<ProgramTrade> afterRestart = [];
        await foreach (ProgramTrade t in ProgramTradeReplay.ReadAsync(db, ReplayQuery.Default, deadline.Token))
        {
            afterRestart.Add(t);
        }

        Assert.True(afterRestart.Count > afterKill.Count);
        Assert.Equal(afterKill, afterRestart.Take(afterKill.Count));
    }

    [Fact]
    public async Task SigtermFlushesEverythingAndExitsCleanly()
    {
        string db = Path.Combine(_dir, "term.duckdb");
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "KisFeed.Cli.dll"), "record", "005930", "000660", "--venue", "all", "--db", db, "--demo"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        process.BeginErrorReadLine();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(60));
        var lines = new List<string>();
        try
        {
            while (!lines.Any(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"[1-9][\d,]* written")))
            {
                string? line = await process.StandardOutput.ReadLineAsync(deadline.Token);
                Assert.True(line is not null, "the recorder exited early:\n" + string.Join('\n', lines));
                lines.Add(line!);
            }

            using (Process kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
            {
                await kill.WaitForExitAsync(deadline.Token);
            }

            string rest = await process.StandardOutput.ReadToEndAsync(deadline.Token);
            await process.WaitForExitAsync(deadline.Token);
            Assert.Equal(0, process.ExitCode);
            System.Text.RegularExpressions.Match stopped = System.Text.RegularExpressions.Regex.Match(rest, @"Stopped\. ([\d,]+) record");
            Assert.True(stopped.Success, rest);
            long said = long.Parse(stopped.Groups[1].Value, System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture);
            List<ProgramTrade> rows = [];
            await foreach (ProgramTrade t in ProgramTradeReplay.ReadAsync(db, ReplayQuery.Default, deadline.Token))
            {
                rows.Add(t);
            }

            Assert.Equal(said, rows.Count);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }

    [Fact]
    public async Task SimulatePrintsItsEndpointsAndDemoCredentials()
    {
        (int exit, string stdout, string stderr) = await RunAsync("simulate", "--port", "0", "--duration", "1s");
        Assert.True(exit == 0, stderr);
        Assert.Matches(@"WebSocket : ws://127\.0\.0\.1:\d+ ", stdout);
        Assert.Matches(@"REST      : http://127\.0\.0\.1:\d+ ", stdout);
        Assert.Contains(KisFeed.Simulator.SimulatorCredential.Demo.AppKey, stdout);
        Assert.Contains("Stopped:", stdout);
    }

    private static ProgramTrade Trade(string code, Venue venue, long netValue, DateTimeOffset at)
    {
        long sellValue = 10_000_000_000;
        long buyValue = sellValue + netValue;
        return new ProgramTrade(venue, code, new DateOnly(2026, 11, 24), TimeOnly.FromDateTime(at.ToOffset(TimeSpan.FromHours(9)).DateTime),
            100_000, sellValue, 100_000 + (netValue / 70_000), buyValue, netValue / 70_000, netValue, 5_000, 7_000, 2_000, at);
    }
}
