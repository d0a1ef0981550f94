using System.Runtime.InteropServices;

namespace KisFeed.TestKit;

/// <summary>POSIX signals to processes a test (or the chaos soak) started: SIGKILL 9, SIGTERM 15, SIGSTOP 19, SIGCONT 18.</summary>
public static class Signals
{
    public const int Kill = 9;
    public const int Terminate = 15;
    public const int Continue = 18;
    public const int Stop = 19;

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; throws when the kernel refuses (no such process, not ours).</summary>
    public static void Send(int pid, int signal)
    {
        if (!TrySend(pid, signal))
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed (errno {Marshal.GetLastPInvokeError()})");
        }
    }

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; false when the kernel refuses.</summary>
    public static bool TrySend(int pid, int signal) => SysKill(pid, signal) == 0;

#pragma warning disable SYSLIB1054 // LibraryImport needs unsafe code enabled in this project; one P/Invoke does not warrant it.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SysKill(int pid, int signal);
#pragma warning restore SYSLIB1054
}
