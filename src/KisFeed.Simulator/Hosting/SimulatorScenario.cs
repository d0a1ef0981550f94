using System.Globalization;

namespace KisFeed.Simulator;

/// <summary>
/// A small fault script for a running simulator (used by <c>kisfeed simulate --scenario FILE</c> and by tests).
/// One step per line, <c>#</c> starts a comment:
/// <code>
/// at 10s drop abort            # once, 10 s after start: abort|close-normal|close-error (all sessions)
/// every 30s stall 5s           # stop sending anything (TCP stays open) for 5 s
/// every 60s invalidate-keys    # every issued approval key answers OPSP0011 from now on
/// every 45s malformed          # send each frame of MalformedFrames.Broken() to every session
/// at 20s reply-fault drop 2    # the next 2 control replies: drop|duplicate|delay [count] [delay]
/// at 25s reply-fault delay 1 3s
/// at 30s rest-fault partial 5 # the next 5 REST history calls: fail|partial|rate-limit [count]
/// </code>
/// Times are a number with <c>ms</c>, <c>s</c> or <c>m</c>.
/// </summary>
public sealed class SimulatorScenario
{
    private readonly List<ScenarioStep> _steps;

    private SimulatorScenario(List<ScenarioStep> steps) => _steps = steps;

    /// <summary>The steps, in file order.</summary>
    public IReadOnlyList<string> Steps => [.. _steps.Select(s => s.Text)];

    /// <summary>Parses a scenario; throws <see cref="FormatException"/> naming the line for anything it does not understand.</summary>
    public static SimulatorScenario Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var steps = new List<ScenarioStep>();
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            int hash = line.IndexOf('#', StringComparison.Ordinal);
            string[] w = (hash >= 0 ? line[..hash] : line).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (w.Length == 0)
            {
                continue;
            }

            try
            {
                if (w.Length < 3 || w[0] is not ("at" or "every"))
                {
                    throw new FormatException("expected 'at <time> <action>' or 'every <time> <action>'");
                }

                TimeSpan when = Duration(w[1]);
                Func<KisSimulator, CancellationToken, Task> action = Action(w[2..]);
                steps.Add(new ScenarioStep(line.Trim(), w[0] == "every", when, action));
            }
            catch (FormatException ex)
            {
                throw new FormatException($"scenario line {i + 1} '{line.Trim()}': {ex.Message}", ex);
            }
        }

        return new SimulatorScenario(steps);
    }

    /// <summary>Runs every step against <paramref name="simulator"/> until <paramref name="cancellationToken"/> fires.</summary>
    /// <param name="simulator">The simulator.</param>
    /// <param name="log">Receives one line per step executed (optional).</param>
    /// <param name="cancellationToken">Stops the scenario.</param>
    public async Task RunAsync(KisSimulator simulator, Action<string>? log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(simulator);
        try
        {
            await Task.WhenAll(_steps.Select(s => RunStepAsync(simulator, s, log, cancellationToken))).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            simulator.Stall(false);
        }
    }

    private static async Task RunStepAsync(KisSimulator sim, ScenarioStep step, Action<string>? log, CancellationToken ct)
    {
        TimeProvider time = sim.Options.TimeProvider;
        do
        {
            await Task.Delay(step.When, time, ct).ConfigureAwait(false);
            log?.Invoke(step.Text);
            await step.Action(sim, ct).ConfigureAwait(false);
        }
        while (step.Repeat);
    }

    private static Func<KisSimulator, CancellationToken, Task> Action(string[] a)
    {
        switch (a[0])
        {
            case "drop" when a.Length == 2:
                DropMode mode = a[1] switch
                {
                    "abort" => DropMode.Abort,
                    "close-normal" => DropMode.CloseNormal,
                    "close-error" => DropMode.CloseError,
                    _ => throw new FormatException("drop takes abort, close-normal or close-error"),
                };
                return (sim, _) => sim.DropAllSessionsAsync(mode);
            case "stall" when a.Length == 2:
                TimeSpan length = Duration(a[1]);
                return async (sim, ct) =>
                {
                    sim.Stall(true);
                    try
                    {
                        await Task.Delay(length, sim.Options.TimeProvider, ct).ConfigureAwait(false);
                    }
                    finally
                    {
                        sim.Stall(false);
                    }
                };
            case "invalidate-keys" when a.Length == 1:
                return (sim, _) =>
                {
                    sim.InvalidateApprovalKeys();
                    return Task.CompletedTask;
                };
            case "malformed" when a.Length == 1:
                return async (sim, _) =>
                {
                    foreach ((string _, byte[] bytes) in MalformedFrames.Broken())
                    {
                        await sim.SendRawAsync(bytes).ConfigureAwait(false);
                    }
                };
            case "reply-fault" when a.Length is >= 2 and <= 4:
                ControlReplyFault fault = a[1] switch
                {
                    "drop" => ControlReplyFault.Drop,
                    "duplicate" => ControlReplyFault.Duplicate,
                    "delay" => ControlReplyFault.Delay,
                    _ => throw new FormatException("reply-fault takes drop, duplicate or delay"),
                };
                int count = a.Length >= 3 ? int.Parse(a[2], NumberStyles.None, CultureInfo.InvariantCulture) : 1;
                TimeSpan? delay = a.Length == 4 ? Duration(a[3]) : null;
                return (sim, _) =>
                {
                    sim.InjectControlReplyFault(fault, count, delay);
                    return Task.CompletedTask;
                };
            case "rest-fault" when a.Length is 2 or 3:
                RestFault restFault = a[1] switch
                {
                    "fail" => RestFault.Fail,
                    "partial" => RestFault.Partial,
                    "rate-limit" => RestFault.RateLimit,
                    _ => throw new FormatException("rest-fault takes fail, partial or rate-limit"),
                };
                int restCount = a.Length == 3 ? int.Parse(a[2], NumberStyles.None, CultureInfo.InvariantCulture) : 1;
                return (sim, _) =>
                {
                    sim.InjectRestFault(restFault, restCount);
                    return Task.CompletedTask;
                };
            default:
                throw new FormatException($"unknown action '{string.Join(' ', a)}' (drop, stall, invalidate-keys, malformed, reply-fault, rest-fault)");
        }
    }

    private static TimeSpan Duration(string s)
    {
        (string number, double scale) = s.EndsWith("ms", StringComparison.Ordinal) ? (s[..^2], 1.0)
            : s.EndsWith('s') ? (s[..^1], 1000.0)
            : s.EndsWith('m') ? (s[..^1], 60_000.0)
            : throw new FormatException($"'{s}' is not a time (e.g. 500ms, 30s, 2m)");
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double v) || v <= 0)
        {
            throw new FormatException($"'{s}' is not a positive time");
        }

        return TimeSpan.FromMilliseconds(v * scale);
    }
}
