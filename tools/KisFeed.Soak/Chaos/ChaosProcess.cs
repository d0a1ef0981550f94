using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

using KisFeed.TestKit;

namespace KisFeed.Soak.Chaos;

/// <summary>
/// One child process of the chaos scenario (`dotnet KisFeed.Cli.dll …`): its output appended to a log file (across
/// restarts), its last lines kept, signals, and its resident set size from <c>/proc/PID/status</c>.
/// </summary>
public sealed class ChaosProcess : IDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly ConcurrentQueue<string> _recent = new();

    private ChaosProcess(string name, Process process, StreamWriter log)
    {
        Name = name;
        _process = process;
        _log = log;
    }

    /// <summary>The role (sim, gw1, recorder …); a restart keeps it.</summary>
    public string Name { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Set when the scenario killed or stopped it on purpose (an exit it did not cause is a failure).</summary>
    public bool Expected { get; set; }

    /// <summary>Every output line, as it arrives.</summary>
    public event Action<string>? Line;

    /// <summary>The last lines of output (stdout and stderr), for failure messages.</summary>
    public string Tail => string.Join('\n', _recent);

    public static ChaosProcess Start(string name, string cliDll, IEnumerable<string> args, string logFile, Action<string>? onLine = null)
    {
        var start = new ProcessStartInfo("dotnet", [cliDll, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        start.Environment.Remove("KIS_APPKEY");
        start.Environment.Remove("KIS_APPSECRET");
        var log = new StreamWriter(new FileStream(logFile, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        log.WriteLine($"==== {DateTimeOffset.UtcNow:O} start: dotnet {Path.GetFileName(cliDll)} {string.Join(' ', args)}");
        var p = new ChaosProcess(name, Process.Start(start)!, log);
        p.Line += onLine;
        p._process.OutputDataReceived += (_, e) => p.OnLine(e.Data, string.Empty);
        p._process.ErrorDataReceived += (_, e) => p.OnLine(e.Data, "stderr: ");
        p._process.BeginOutputReadLine();
        p._process.BeginErrorReadLine();
        return p;
    }

    private void OnLine(string? line, string prefix)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            try
            {
                _log.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {prefix}{line}");
            }
            catch (ObjectDisposedException)
            {
            }
        }

        _recent.Enqueue(prefix + line);
        while (_recent.Count > 40)
        {
            _recent.TryDequeue(out _);
        }

        Line?.Invoke(line);
    }

    public void Kill9()
    {
        Expected = true;
        if (!_process.HasExited)
        {
            Signals.TrySend(_process.Id, Signals.Continue);
            _process.Kill();
            _process.WaitForExit();
        }
    }

    public void Pause() => Signals.Send(_process.Id, Signals.Stop);

    public void Resume() => Signals.Send(_process.Id, Signals.Continue);

    /// <summary>SIGTERM, then SIGKILL if it has not exited within <paramref name="grace"/>; true when it exited by itself.</summary>
    public async Task<bool> StopAsync(TimeSpan grace)
    {
        Expected = true;
        if (_process.HasExited)
        {
            return true;
        }

        Signals.TrySend(_process.Id, Signals.Continue);
        Signals.TrySend(_process.Id, Signals.Terminate);
        using var cts = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            Kill9();
            return false;
        }
    }

    /// <summary>VmRSS in KiB (<c>/proc/PID/status</c>), or null once it has exited.</summary>
    public long? RssKb() => ReadRssKb(_process.HasExited ? null : _process.Id);

    /// <summary>VmRSS of any process, in KiB, or null when it is gone.</summary>
    public static long? ReadRssKb(int? pid)
    {
        if (pid is not { } id)
        {
            return null;
        }

        try
        {
            foreach (string line in File.ReadLines($"/proc/{id.ToString(CultureInfo.InvariantCulture)}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line["VmRSS:".Length..].Replace("kB", string.Empty, StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }

        return null;
    }

    public void Dispose()
    {
        Kill9();
        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }
}
