using System.Runtime.InteropServices;

using KisFeed.Cli;

Console.OutputEncoding = System.Text.Encoding.UTF8;

// Ctrl-C, SIGTERM and SIGQUIT cancel the running command, which then flushes and exits cleanly. A second one exits at
// once (128 + the signal's number). One within SameRequest of the first is the same request: `timeout` sends its
// SIGTERM to the process and again to the process group, and a terminal's Ctrl-C reaches every process of the
// group. The NATS commands also set a deadline: whatever they wait for, the process exits that long after the first
// signal.
using var stop = new CancellationTokenSource();
TimeSpan sameRequest = TimeSpan.FromMilliseconds(250);
long firstSignal = 0;
Timer? deadline = null;
void OnSignal(PosixSignalContext context)
{
    context.Cancel = true;
    int code = 128 + context.Signal switch { PosixSignal.SIGINT => 2, PosixSignal.SIGQUIT => 3, _ => 15 };
    long now = System.Diagnostics.Stopwatch.GetTimestamp();
    long first = Interlocked.CompareExchange(ref firstSignal, now, 0);
    if (first != 0)
    {
        if (System.Diagnostics.Stopwatch.GetElapsedTime(first, now) < sameRequest)
        {
            return;
        }

        Console.Error.WriteLine($"kisfeed: second {context.Signal}: exiting now, without finishing the stop (exit code {code}).");
        Environment.Exit(code);
    }

    if (CliApp.StopDeadline is { } bound)
    {
        deadline = new Timer(_ =>
        {
            Console.Error.WriteLine($"kisfeed: the stop is still not finished {bound.TotalSeconds:0.#}s after {context.Signal}: exiting now (exit code {CliApp.StoppedUnfinished}).");
            Environment.Exit(CliApp.StoppedUnfinished);
        }, null, bound, Timeout.InfiniteTimeSpan);
    }

    // Cancellation callbacks run elsewhere: this handler returns at once, so a second signal is seen.
    _ = stop.CancelAsync();
}

using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
using PosixSignalRegistration sigquit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, OnSignal);
int exit = await CliApp.RunAsync(args, CliConsole.System(), stop.Token);
deadline?.Dispose();
return exit;
