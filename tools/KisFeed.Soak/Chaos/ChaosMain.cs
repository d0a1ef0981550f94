using System.Runtime.InteropServices;

namespace KisFeed.Soak.Chaos;

/// <summary>The `chaos` command line: runs the scenario, prints the table, exits 1 when a check failed (2: bad arguments).</summary>
public static class ChaosMain
{
    public static async Task<int> RunAsync(string[] args)
    {
        ChaosOptions options;
        try
        {
            options = ChaosOptions.Parse(args);
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync("chaos: " + ex.Message);
            return 2;
        }

        // Ctrl-C or SIGTERM: stop, and every process the scenario started is killed on the way out.
        using var stop = new CancellationTokenSource();
        void OnSignal(PosixSignalContext c)
        {
            c.Cancel = true;
            stop.Cancel();
        }

        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        ChaosReport report;
        try
        {
            report = await ChaosScenario.RunAsync(options, Console.Out, stop.Token);
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("chaos: stopped before the end; every process it started was killed.");
            return 130;
        }

        Console.WriteLine();
        Console.WriteLine(report.Table());
        return report.Passed ? 0 : 1;
    }
}
