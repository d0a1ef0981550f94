using System.Diagnostics;

namespace KisFeed.TestKit;

/// <summary>Runs a system command (mount, umount, chmod …) for a test's set-up.</summary>
public static class Processes
{
    /// <summary>The command's exit code, or -1 when it cannot be started at all.</summary>
    public static int Run(string file, params string[] args)
    {
        try
        {
            using Process p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            p.WaitForExit();
            return p.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1;
        }
    }
}
