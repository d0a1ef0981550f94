namespace KisFeed.Simulator;

/// <summary>How <see cref="KisSimulator.FirehoseAsync"/> pushes data.</summary>
public sealed record FirehoseOptions
{
    /// <summary>Records per data frame (the <c>NNN</c> of <c>0|TR|NNN|…</c>), 1–999. Default 10.</summary>
    public int RecordsPerFrame { get; init; } = 10;

    /// <summary>Records per second over all sessions; 0 (default) = as fast as the sockets take them.</summary>
    public double RecordsPerSecond { get; init; }

    /// <summary>Stop after this long (default 5 s).</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Stop after this many records per session; 0 = no limit.</summary>
    public long MaxRecordsPerSession { get; init; }

    /// <summary>
    /// False (default): a fixed set of frames, built once, is sent over and over (cheapest for the simulator).
    /// True: every record carries new cumulative values (its sell volume is the session's running record number),
    /// so each record can be matched to its <see cref="SimulatorLedgerEntry"/> (and its <c>SentAt</c>).
    /// </summary>
    public bool UniqueRecords { get; init; }

    /// <summary>Frames a session may have queued but not yet written before the pusher waits (backpressure). Default 256.</summary>
    public int Window { get; init; } = 256;
}
