using BenchmarkDotNet.Running;

namespace KisFeed.Benchmarks;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "quick")
        {
            return await QuickReport.RunAsync(args[1..]);
        }

        if (args.Length > 0 && args[0] == "heal")
        {
            return await HealBenchmark.RunAsync(args[1..]);
        }

        if (args.Length > 0 && args[0] == "nats")
        {
            return await NatsReport.RunAsync(args[1..]);
        }

        if (args.Length > 0 && args[0] == "gateway-start")
        {
            return await GatewayStartReport.RunAsync(args[1..]);
        }

        if (args.Length > 0 && args[0] == "web")
        {
            return await WebBenchmark.RunAsync(args[1..]);
        }

        if (args.Length > 0 && args[0] == "sim-child")
        {
            return await Scenarios.SimChildAsync(args[1..]);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
