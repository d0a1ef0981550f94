namespace KisFeed.Cli;

/// <summary>
/// Files that hold secrets (the gateway's keys file, a config file with an app secret or approval key) must not be
/// readable or writable by group or others: on Unix anything but owner-only access is refused, with the fix.
/// </summary>
internal static class SecretFiles
{
    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Throws when <paramref name="path"/> is open to group or others; <paramref name="what"/> names the file and what it holds.</summary>
    public static void RequireOwnerOnly(string path, string what, int exitCode)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        UnixFileMode mode = File.GetUnixFileMode(path);
        if ((mode & GroupOrOther) != 0)
        {
            throw new CliException(
                $"{what} '{path}' has mode {Convert.ToString((int)mode, 8).PadLeft(4, '0')}: it holds secrets, so group and others must have no access. Run: chmod 600 {path}",
                exitCode);
        }
    }
}
