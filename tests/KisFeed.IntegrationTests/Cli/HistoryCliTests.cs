using System.Diagnostics;
using System.Text.Json;

using KisFeed.IntegrationTests.Simulator;
using KisFeed.Simulator;

namespace KisFeed.IntegrationTests.Cli;

/// <summary><c>kisfeed history</c> as separate processes against a simulator on a free port.</summary>
public sealed class HistoryCliTests : IDisposable
{
    private readonly string _cache = Directory.CreateTempSubdirectory("kisfeed-cache-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_cache, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Two_runs_in_a_row_ask_for_the_access_token_once()
    {
        // KIS refuses a second token within a minute (EGW00133): the second process must take it from the cache file.
        await using KisSimulator sim = await KisSimulator.StartAsync(SimTestKit.Quiet, TestContext.Current.CancellationToken);
        (int exit1, string out1, string err1) = await RunAsync(sim, "history", "005930", "--venue", "krx", "--format", "jsonl");
        Assert.True(exit1 == 0, err1);
        Assert.Equal(1, sim.TokenRequests);
        (int exit2, string out2, string err2) = await RunAsync(sim, "history", "000660", "--venue", "unified", "--format", "csv");
        Assert.True(exit2 == 0, err2);
        Assert.Equal(1, sim.TokenRequests);
        Assert.Equal(2, sim.RestCalls);

        string[] jsonl = out1.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(jsonl);
        foreach (string line in jsonl)
        {
            using JsonDocument doc = JsonDocument.Parse(line);
            JsonElement r = doc.RootElement;
            Assert.Equal(("005930", "krx", "rest"), (r.GetProperty("code").GetString(), r.GetProperty("venue").GetString(), r.GetProperty("source").GetString()));
            Assert.Equal(r.GetProperty("buy_volume").GetInt64() - r.GetProperty("sell_volume").GetInt64(), r.GetProperty("net_buy_volume").GetInt64());
            Assert.InRange(r.GetProperty("price").GetInt64(), 90_000, 110_000);
        }

        string[] csv = out2.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("code,venue,date,time,price,", csv[0], StringComparison.Ordinal);
        Assert.True(csv.Length > 1);
        Assert.All(csv.Skip(1), l => Assert.StartsWith("000660,unified,", l, StringComparison.Ordinal));
        Assert.DoesNotContain(SimulatorCredential.Demo.AppSecret, err1 + err2 + out1 + out2, StringComparison.Ordinal);

        string file = Assert.Single(Directory.GetFiles(Path.Combine(_cache, "kisfeed", "tokens"), "*.json"));
        Assert.DoesNotContain(SimulatorCredential.Demo.AppSecret, await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Daily_rows_and_usage_errors()
    {
        await using KisSimulator sim = await KisSimulator.StartAsync(SimTestKit.Quiet, TestContext.Current.CancellationToken);
        (int exit, string stdout, string stderr) = await RunAsync(sim, "history", "005930", "--venue", "nxt", "--daily", "--from", "2026-11-20");
        Assert.True(exit == 0, stderr);
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("code", lines[1], StringComparison.Ordinal);
        Assert.Equal(31, lines.Length - 1); // header + 30 days
        Assert.Contains("2026-11-20", lines[^1], StringComparison.Ordinal);

        (exit, _, stderr) = await RunAsync(sim, "history", "005930", "--from", "2026-11-20");
        Assert.NotEqual(0, exit);
        Assert.Contains("--from goes with --daily", stderr, StringComparison.Ordinal);
    }

    private async Task<(int Exit, string Out, string Err)> RunAsync(KisSimulator sim, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "KisFeed.Cli.dll"), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string name in (string[])["KIS_APPROVAL_KEY", "KIS_WS_URL", "KIS_CUSTTYPE"])
        {
            start.Environment.Remove(name);
        }

        start.Environment["KIS_APPKEY"] = SimulatorCredential.Demo.AppKey;
        start.Environment["KIS_APPSECRET"] = SimulatorCredential.Demo.AppSecret;
        start.Environment["KIS_REST_URL"] = sim.RestBaseUri.ToString();
        start.Environment.Remove("KISFEED_CONFIG");
        start.Environment["HOME"] = _cache; // no ~/.config/kisfeed/config.json of the developer's
        start.Environment["XDG_CACHE_HOME"] = _cache;
        using CancellationTokenSource cts = SimTestKit.Deadline(60);
        using Process p = Process.Start(start)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync(cts.Token);
        Task<string> stderr = p.StandardError.ReadToEndAsync(cts.Token);
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }
}
