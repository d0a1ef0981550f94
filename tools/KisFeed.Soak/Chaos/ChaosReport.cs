using System.Globalization;
using System.Text;

namespace KisFeed.Soak.Chaos;

/// <summary>RSS of one process role (restarts included) over the run, in KiB.</summary>
public sealed record ChaosRss(string Process, long StartKb, long EndKb, long MaxKb, int Samples);

/// <summary>What a chaos run measured, and the checks that failed (none: <see cref="Passed"/>).</summary>
public sealed record ChaosReport(
    ChaosOptions Options,
    IReadOnlyList<string> Failures,
    IReadOnlyList<ChaosFaultRecord> Faults,
    int LedgerRecords,
    int RecordedLive,
    int Healed,
    int Gaps,
    int MissingInsideGaps,
    TimeSpan? WorstTakeover,
    TimeSpan? WorstLeaderElection,
    TimeSpan WorstGap,
    long AlreadyInUseReplies,
    int MostSessionsOnOneKey,
    int PoisonsPublished,
    long Rejected,
    int UnexpectedExits,
    IReadOnlyList<ChaosRss> Rss,
    TimeSpan Elapsed)
{
    public bool Passed => Failures.Count == 0;

    /// <summary>The summary table (Markdown, so it can go into docs as printed).</summary>
    public string Table()
    {
        static string Sec(TimeSpan? t) => t is { } v ? v.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s" : "—";
        static string Mb(long kb) => (kb / 1024.0).ToString("0", CultureInfo.InvariantCulture);
        var b = new StringBuilder();
        b.AppendLine(CultureInfo.InvariantCulture, $"| figure | value |");
        b.AppendLine("|---|---|");
        b.AppendLine(CultureInfo.InvariantCulture, $"| run | {Options.Minutes:0.#} min of faults, {Elapsed.TotalMinutes:0.0} min in all; {Options.Keys} keys, {Options.Codes} codes x 3 venues, {Options.Gateways} gateways, 3 NATS nodes |");
        b.AppendLine(CultureInfo.InvariantCulture, $"| faults | {Faults.Count} ({string.Join(", ", Faults.GroupBy(f => f.Kind).Select(g => $"{g.Key} {g.Count()}"))}) |");
        b.AppendLine(CultureInfo.InvariantCulture, $"| records sent (simulator ledger, distinct) | {LedgerRecords:N0} |");
        b.AppendLine(CultureInfo.InvariantCulture, $"| recorded live (WebSocket rows) | {RecordedLive:N0} |");
        b.AppendLine(CultureInfo.InvariantCulture, $"| missing, all inside reported gaps | {MissingInsideGaps:N0} |");
        b.AppendLine(CultureInfo.InvariantCulture, $"| gaps reported | {Gaps:N0} |");
        b.AppendLine(CultureInfo.InvariantCulture, $"| healed rows (REST) | {Healed:N0} |");
        b.AppendLine(CultureInfo.InvariantCulture, $"| worst gap | {Sec(WorstGap)} |");
        b.AppendLine(CultureInfo.InvariantCulture, $"| worst takeover (kill -9 / SIGSTOP → every key held elsewhere) | {Sec(WorstTakeover)} |");
        b.AppendLine(CultureInfo.InvariantCulture, $"| worst stream leader election after kill -9 | {Sec(WorstLeaderElection)} |");
        b.AppendLine(CultureInfo.InvariantCulture, $"| OPSP8996 refusals / most sessions on one key | {AlreadyInUseReplies} / {MostSessionsOnOneKey} |");
        b.AppendLine(CultureInfo.InvariantCulture, $"| poison messages published / kept as rejected | {PoisonsPublished} / {Rejected} |");
        b.AppendLine(CultureInfo.InvariantCulture, $"| processes that exited by themselves | {UnexpectedExits} |");
        b.AppendLine();
        b.AppendLine("| process | RSS start → end (max), MB | samples |");
        b.AppendLine("|---|---|---|");
        foreach (ChaosRss r in Rss)
        {
            b.AppendLine(CultureInfo.InvariantCulture, $"| {r.Process} | {Mb(r.StartKb)} → {Mb(r.EndKb)} ({Mb(r.MaxKb)}) | {r.Samples} |");
        }

        b.AppendLine();
        b.AppendLine(Passed ? "All checks passed." : $"{Failures.Count} check(s) FAILED:\n- " + string.Join("\n- ", Failures));
        return b.ToString();
    }
}
