using System.Globalization;

namespace KisFeed.Soak.Chaos;

/// <summary>The knobs of the chaos scenario (<c>KisFeed.Soak chaos --minutes 60 …</c>).</summary>
public sealed record ChaosOptions
{
    /// <summary>How long faults run (after the start-up, before the drain).</summary>
    public double Minutes { get; init; } = 60;

    /// <summary>Demo app keys of the shared simulator.</summary>
    public int Keys { get; init; } = 10;

    /// <summary>Stock codes; each is registered on KRX, NXT and unified.</summary>
    public int Codes { get; init; } = 10;

    /// <summary>Updates per second per subscription (the simulator's --rate).</summary>
    public double Rate { get; init; } = 2;

    /// <summary>Gateways.</summary>
    public int Gateways { get; init; } = 3;

    /// <summary>A fault starts every this many seconds (or when the previous one finished, if later).</summary>
    public double FaultEverySeconds { get; init; } = 60;

    /// <summary>RSS sampling period.</summary>
    public double RssEverySeconds { get; init; } = 10;

    /// <summary>A process whose RSS goes above this fails the run.</summary>
    public long RssLimitMb { get; init; } = 1024;

    /// <summary>Lease timings given to every gateway: T, D (the simulator drops an unanswered session well within it), R.</summary>
    public TimeSpan LeaseTtl { get; init; } = TimeSpan.FromSeconds(8);

    public TimeSpan KisSilentLifetime { get; init; } = TimeSpan.FromSeconds(4);

    public TimeSpan RenewInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Work directory (logs, keys file, ledger, recording, NATS stores are elsewhere in temp). Default: a new temp dir.</summary>
    public string? Dir { get; init; }

    /// <summary>Keep the work directory at the end (default: only when a check failed).</summary>
    public bool KeepDir { get; init; }

    /// <summary>The CLI to run (default: KisFeed.Cli.dll beside this assembly).</summary>
    public string CliDll { get; init; } = Path.Combine(AppContext.BaseDirectory, "KisFeed.Cli.dll");

    /// <summary>The fault kinds, in rotation order (default: all of them).</summary>
    public IReadOnlyList<ChaosFaultKind> Faults { get; init; } = Enum.GetValues<ChaosFaultKind>();

    public static ChaosOptions Parse(string[] args)
    {
        var o = new ChaosOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value.");
            double Number() => double.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && d > 0 ? d : throw new ArgumentException($"{name}: give a positive number.");
            o = name switch
            {
                "--minutes" => o with { Minutes = Number() },
                "--keys" => o with { Keys = (int)Number() },
                "--codes" => o with { Codes = (int)Number() },
                "--rate" => o with { Rate = Number() },
                "--gateways" => o with { Gateways = (int)Number() },
                "--fault-every" => o with { FaultEverySeconds = Number() },
                "--rss-every" => o with { RssEverySeconds = Number() },
                "--rss-limit-mb" => o with { RssLimitMb = (long)Number() },
                "--dir" => o with { Dir = Value() },
                "--keep" => o with { KeepDir = true },
                "--cli" => o with { CliDll = Value() },
                "--faults" => o with { Faults = [.. Value().Split(',').Select(ParseFault)] },
                _ => throw new ArgumentException($"Unknown option '{name}'. Options: --minutes --keys --codes --rate --gateways --fault-every --rss-every --rss-limit-mb --dir --keep --cli --faults kill-gateway,stop-gateway,kill-leader,restart-node,poison,kill-recorder,drop-sessions"),
            };
        }

        if (o.Keys is < 1 or > 100 || o.Codes is < 1 or > 100 || o.Gateways is < 2 or > 10)
        {
            throw new ArgumentException("--keys and --codes: 1 to 100; --gateways: 2 to 10 (a takeover needs a second gateway).");
        }

        return o;
    }

    public static ChaosFaultKind ParseFault(string s) => s.Trim() switch
    {
        "kill-gateway" => ChaosFaultKind.KillGateway,
        "stop-gateway" => ChaosFaultKind.StopGateway,
        "kill-leader" => ChaosFaultKind.KillStreamLeader,
        "restart-node" => ChaosFaultKind.RestartNode,
        "poison" => ChaosFaultKind.Poison,
        "kill-recorder" => ChaosFaultKind.KillRecorder,
        "drop-sessions" => ChaosFaultKind.DropSessions,
        _ => throw new ArgumentException($"Unknown fault '{s}': use kill-gateway, stop-gateway, kill-leader, restart-node, poison, kill-recorder or drop-sessions."),
    };
}

/// <summary>The faults, applied in this order in rotation.</summary>
public enum ChaosFaultKind
{
    /// <summary>kill -9 the gateway holding the most keys; restart it once its keys moved.</summary>
    KillGateway,

    /// <summary>SIGSTOP a gateway past the lease TTL (its keys must move, with no second session on a key), then SIGCONT.</summary>
    StopGateway,

    /// <summary>kill -9 the node leading the stream (from $JS.API.STREAM.INFO); restart it after a while.</summary>
    KillStreamLeader,

    /// <summary>Stop a node that does not lead the stream cleanly and start it again.</summary>
    RestartNode,

    /// <summary>Publish malformed payloads on a kisfeed.pgm subject (the recorder must skip and keep them, never stop).</summary>
    Poison,

    /// <summary>kill -9 the recorder and restart it on its database (it resumes after its last committed sequence).</summary>
    KillRecorder,

    /// <summary>The simulator aborts every KIS session (TCP reset): each gateway reconnects on its own keys and heals the gap from REST.</summary>
    DropSessions,
}
