using System.Runtime.InteropServices;

using KisFeed.Cli;

Console.OutputEncoding = System.Text.Encoding.UTF8;

// Ctrl-C, SIGTERM and SIGQUIT cancel the running command, which then flushes and exits cleanly.
using var stop = new CancellationTokenSource();
void OnSignal(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}

using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
using PosixSignalRegistration sigquit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, OnSignal);
return await CliApp.RunAsync(args, CliConsole.System(), stop.Token);
