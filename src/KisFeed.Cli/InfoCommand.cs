using System.CommandLine;
using System.Globalization;

using KisFeed.Storage;

namespace KisFeed.Cli;

internal static partial class CliApp
{
    private static Command InfoCommand(CliConsole console)
    {
        Option<string> db = DbOption();
        var command = new Command("info", "What a recording holds: its source (simulated or live), dates, codes and venues, gaps. Opens the file read-only.\nExample: kisfeed info --db today.duckdb")
        {
            db,
        };
        command.SetAction((parse, ct) => Guard(console, async token =>
        {
            string path = parse.GetValue(db)!;
            RequireRecording(path);
            await InfoText.WriteAsync(console.Out, path, token);
            return 0;
        }, null, ct));
        return command;
    }
}

/// <summary>The text of <c>kisfeed info</c> and of the "no records for …" hint.</summary>
internal static class InfoText
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static async Task WriteAsync(TextWriter o, string path, CancellationToken ct)
    {
        string full = Path.GetFullPath(path);
        IReadOnlyDictionary<string, string> meta = await ProgramTradeCatalog.GetMetadataAsync(full, ct);
        RecordingSource? source = await ProgramTradeCatalog.GetSourceAsync(full, ct);
        IReadOnlyList<RecordedDate> dates = await ProgramTradeCatalog.ListDatesAsync(full, ct);
        IReadOnlyList<RecordingGap> gaps = await ProgramTradeCatalog.ListGapsAsync(full, ct);
        long size = new FileInfo(full).Length + (File.Exists(full + ".wal") ? new FileInfo(full + ".wal").Length : 0);
        await o.WriteLineAsync(string.Create(Inv, $"File    {full} ({size / 1024.0 / 1024.0:N1} MiB)"));
        await o.WriteLineAsync($"Schema  version {meta.GetValueOrDefault("schema_version", "?")}, created by {meta.GetValueOrDefault("created_by", "?")}");
        await o.WriteLineAsync("Source  " + source switch
        {
            null => "not recorded (written before KisFeed stored the source)",
            { IsSimulated: true } => $"SIMULATED data from {source.Endpoint}, not the market",
            { IsSimulated: null } => $"unknown: read from {source.Endpoint}, which does not say whether its data is simulated or live",
            _ => $"live data from {source.Endpoint}",
        });
        if (dates.Count == 0)
        {
            await o.WriteLineAsync("Dates   none: the file holds no records yet");
        }

        foreach (RecordedDate d in dates)
        {
            IReadOnlyList<RecordedCode> codes = await ProgramTradeCatalog.ListCodesAsync(full, d.Date, ct);
            await o.WriteLineAsync(string.Create(Inv,
                $"Date    {d.Date:yyyy-MM-dd}  {d.Records:N0} record(s), received {KoreaTime.ToKst(d.FirstReceivedAt):HH:mm:ss}–{KoreaTime.ToKst(d.LastReceivedAt):HH:mm:ss} KST"));
            foreach (RecordedCode c in codes)
            {
                await o.WriteLineAsync(string.Create(Inv, $"          {c.Code}  {string.Join(',', c.Venues.Select(LineWriter.VenueName)),-16} {c.Records,10:N0}"));
            }
        }

        await o.WriteLineAsync(string.Create(Inv, $"Gaps    {gaps.Count}"));
        foreach (RecordingGap g in gaps.TakeLast(20))
        {
            await o.WriteLineAsync(string.Create(Inv,
                $"          {KoreaTime.ToKst(g.From):yyyy-MM-dd HH:mm:ss}–{KoreaTime.ToKst(g.To):HH:mm:ss} KST {(g.Venue is { } v ? LineWriter.VenueName(v) : "all venues")} {(g.Codes.Count == 0 ? "all codes" : string.Join(' ', g.Codes))}: {g.Reason}"));
        }

        long rejected = await ProgramTradeCatalog.CountRejectedAsync(full, ct);
        await o.WriteLineAsync(string.Create(Inv, $"Rejected {rejected:N0} stream message(s){(rejected == 0 ? string.Empty : " (bad or forged; raw copies in table 'rejected', see docs/scale-out.md)")}"));
    }

    /// <summary>"2026-11-24 (1,234 records; codes 000660 005930)", for the last few dates.</summary>
    public static async Task<string> SummaryAsync(string path, IReadOnlyList<RecordedDate> dates, CancellationToken ct)
    {
        List<string> parts = [];
        foreach (RecordedDate d in dates.TakeLast(5))
        {
            IReadOnlyList<RecordedCode> codes = await ProgramTradeCatalog.ListCodesAsync(path, d.Date, ct);
            string list = string.Join(' ', codes.Take(12).Select(c => c.Code)) + (codes.Count > 12 ? " …" : string.Empty);
            parts.Add(string.Create(Inv, $"{d.Date:yyyy-MM-dd} ({d.Records:N0} records; codes {list})"));
        }

        return (dates.Count > 5 ? $"{dates.Count} dates, the last: " : string.Empty) + string.Join(", ", parts);
    }
}
