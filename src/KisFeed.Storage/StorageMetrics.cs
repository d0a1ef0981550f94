using System.Diagnostics.Metrics;

namespace KisFeed.Storage;

/// <summary>
/// The recorder's instruments on the <c>KisFeed</c> meter (beside the core's and the NATS side's; scraped by
/// <c>--metrics-port</c>, seen by <c>dotnet-counters</c> and any <see cref="MeterListener"/>), all prefixed
/// <c>kisfeed.storage.</c>. No tags: a file's path says nothing a dashboard needs, and one process records one file.
/// </summary>
public static class StorageMetrics
{
    /// <summary><c>kisfeed.storage.records.written</c>: trade records committed into a recording.</summary>
    public const string RecordsWritten = "kisfeed.storage.records.written";

    /// <summary><c>kisfeed.storage.commits</c>: batches committed.</summary>
    public const string Commits = "kisfeed.storage.commits";

    /// <summary><c>kisfeed.storage.commit.failures</c>: commits that failed (disk full, file damaged); the records stay buffered and are tried again.</summary>
    public const string CommitFailures = "kisfeed.storage.commit.failures";

    private static readonly Meter Meter = new(KisFeedInstruments.MeterName, typeof(StorageMetrics).Assembly.GetName().Version?.ToString());

    internal static readonly Counter<long> Written = Meter.CreateCounter<long>(RecordsWritten, "{record}", "Trade records committed into a recording.");

    internal static readonly Counter<long> Committed = Meter.CreateCounter<long>(Commits, "{commit}", "Batches committed into a recording.");

    internal static readonly Counter<long> Failed = Meter.CreateCounter<long>(CommitFailures, "{commit}", "Commits into a recording that failed (the records stay buffered).");
}
