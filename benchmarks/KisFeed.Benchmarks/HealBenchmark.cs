using System.Diagnostics;
using System.Globalization;

using KisFeed.Rest;
using KisFeed.Simulator;

using SimVenue = KisFeed.Simulator.Venue;

namespace KisFeed.Benchmarks;

/// <summary>
/// <c>heal</c>: the time to heal one gap of 41 registrations from the simulator's REST history (token already cached,
/// as after a reconnect), at a given client rate against the simulator's 20 calls/s limit, and the REST calls it made.
/// Usage: <c>heal [--rate 20] [--runs 5]</c>.
/// </summary>
internal static class HealBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        double rate = Arg(args, "--rate", 20);
        int runs = (int)Arg(args, "--runs", 5);
        string cacheDir = Directory.CreateTempSubdirectory("kisfeed-heal-").FullName;
        try
        {
            await using KisSimulator sim = await KisSimulator.StartAsync(SimulatorOptions.Default with
            {
                UpdatesPerSecond = 0,
                ApprovalRateLimitPerSecond = 0,
                Rest = SimulatorRestOptions.Default with { CallsPerSecond = 20 },
            });
            string[] codes = [.. File.ReadLines(LargeCapsPath()).Where(l => l.Length > 6 && char.IsAsciiDigit(l[0])).Select(l => l[..6]).Take(14)];
            Registration[] regs = [.. codes.SelectMany(c => VenueExtensions.All.Select(v => new Registration(v, c))).Take(41)];
            foreach (string code in codes)
            {
                _ = sim.MarketHistory(SimVenue.Krx, code); // the stocks are known to the market and trade on every tick
            }

            var options = KisOptions.Default with { AppKey = SimulatorCredential.Demo.AppKey, AppSecret = SimulatorCredential.Demo.AppSecret, RestUri = sim.RestBaseUri };
            using var client = new KisRestClient(options, KisRestOptions.Default with { RequestsPerSecond = rate, TokenCacheDirectory = cacheDir }, null, new RestShared());
            await client.EnsureAccessTokenAsync();
            var healer = new GapHealer(client);
            var times = new List<double>();
            long calls = 0, retries = 0, rows = 0;
            int healed = 0;
            for (int run = 0; run < runs; run++)
            {
                for (int i = 0; i < 5; i++)
                {
                    sim.PublishNow(2);
                }

                DateTimeOffset to = DateTimeOffset.UtcNow;
                var gap = new DataGap(run, to - TimeSpan.FromMinutes(2), to, regs, "benchmark");
                long before = client.CallsMade, retriesBefore = client.RateLimitRetries;
                long started = Stopwatch.GetTimestamp();
                RestHealingResult result = await healer.HealAsync(gap);
                times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                calls += client.CallsMade - before;
                retries += client.RateLimitRetries - retriesBefore;
                rows += result.Trades.Count;
                healed += result.Reports.Count(r => r.Outcome == GapHealing.Healed);
            }

            times.Sort();
            CultureInfo inv = CultureInfo.InvariantCulture;
            Console.WriteLine(string.Create(inv, $"heal: {regs.Length} registrations, client {rate:0.#} calls/s, simulator limit 20 calls/s, {runs} runs"));
            Console.WriteLine(string.Create(inv, $"  time to heal   median {times[times.Count / 2]:0} ms, min {times[0]:0} ms, max {times[^1]:0} ms"));
            Console.WriteLine(string.Create(inv, $"  REST calls     {calls / (double)runs:0.#} per gap ({regs.Length} affected (code, venue)), EGW00201 retries {retries}, refused by the simulator {sim.RestRateLimited}"));
            Console.WriteLine(string.Create(inv, $"  outcome        {healed}/{regs.Length * runs} registrations healed, {rows / runs} rows per gap"));
            return 0;
        }
        finally
        {
            Directory.Delete(cacheDir, recursive: true);
        }
    }

    private static double Arg(string[] args, string name, double fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? double.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string LargeCapsPath()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "data", "large-caps.csv")))
        {
            dir = dir.Parent;
        }

        return dir is null ? throw new FileNotFoundException("data/large-caps.csv not found above " + AppContext.BaseDirectory) : Path.Combine(dir.FullName, "data", "large-caps.csv");
    }
}
