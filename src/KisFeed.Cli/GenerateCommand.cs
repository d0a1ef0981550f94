using System.CommandLine;
using System.Diagnostics;
using System.Globalization;

using KisFeed.Simulator;
using KisFeed.Storage;

namespace KisFeed.Cli;

internal static partial class CliApp
{
    private static Command GenerateCommand(CliConsole console)
    {
        Option<string> db = new("--db") { Description = "The new DuckDB file to write (it must not exist yet).", Required = true };
        Option<long> records = new("--records") { Description = "How many records, across the three venues. Default 1,000,000.", DefaultValueFactory = _ => 1_000_000 };
        Option<string?> date = new("--date") { Description = "The trading date (yyyy-MM-dd, a KRX trading day). Default: the latest trading day up to today (KST)." };
        Option<int> codeCount = new("--large-caps") { Description = "With no --codes: how many codes, the simulator's large caps first. Default 41 (one KIS session's worth).", DefaultValueFactory = _ => 41 };
        Option<string[]> codes = CodesOption();
        Option<int?> seed = new("--seed") { Description = "The market model's seed (default: the simulator's)." };
        var command = new Command(
            "generate",
            "Writes a whole simulated trading day into a new recording, fast and without a socket: the simulator's market model "
            + "on virtual time, 08:00–20:00 KST in the venues' session hours, every code on KRX, NXT and unified. "
            + "Marked SIMULATED in the file. For trying replay, serve --replay and exports on a full day, and for the day-curve benchmark.\n"
            + "Example: kisfeed generate --db day.duckdb --records 10000000 && kisfeed serve --db day.duckdb --replay")
        {
            db, records, date, codeCount, codes, seed,
        };
        command.SetAction((parse, ct) => Guard(console, async token =>
        {
            string path = Path.GetFullPath(parse.GetValue(db)!);
            if (File.Exists(path))
            {
                throw CliException.Usage($"{path} already exists: generate writes a new file. Pick another name or delete it.");
            }

            long count = parse.GetValue(records);
            if (count < 1)
            {
                throw CliException.Usage("--records must be at least 1.");
            }

            DateOnly day = ParseDate(parse.GetValue(date)) ?? SimulatedDay.LatestTradingDay(KoreaTime.Today());
            string[] picked = parse.GetValue(codes) is { Length: > 0 } given ? given : DefaultCodes(Math.Max(1, parse.GetValue(codeCount)));
            IEnumerable<SimulatedRecord> generated;
            try
            {
                generated = SimulatedDay.Generate(day, picked, count, parse.GetValue(seed));
            }
            catch (ArgumentException ex)
            {
                throw CliException.Usage(ex.Message.Split(" (Parameter", 2)[0]);
            }

            await console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"Generating {count:N0} SIMULATED records for {day:yyyy-MM-dd}, {picked.Length} code(s) × 3 venues, into {path}"));
            Stopwatch clock = Stopwatch.StartNew();
            long written = 0;
            await using (ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(path, RecorderOptions.Default with { Source = RecordingSource.Simulated("kisfeed generate") }))
            {
                // The price path the simulator's inquire-price follows, so a replay of the day has a real price line.
                foreach (SimulatedPrice p in SimulatedDay.Prices(day, picked, parse.GetValue(seed)))
                {
                    recorder.AppendPrice(new RecordedPrice(day, p.Code, TimeOnly.FromTimeSpan(p.At.TimeOfDay), p.Price, p.PreviousClose, p.At));
                }

                foreach (SimulatedRecord r in generated)
                {
                    recorder.Append(ToTrade(r, day));
                    if (++written % 1_000_000 == 0)
                    {
                        token.ThrowIfCancellationRequested();
                        await console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                            $"  {written:N0} ({written * 100.0 / count:N0} %), up to {r.At:HH:mm:ss} KST, {clock.Elapsed.TotalSeconds:N0} s"));
                    }
                }
            }

            await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"Wrote {written:N0} record(s) for {day:yyyy-MM-dd} into {path} in {clock.Elapsed.TotalSeconds:N1} s. Try: kisfeed serve --db {path} --replay"));
            return 0;
        }, null, ct));
        return command;
    }

    // The simulator's large caps first (real names), then its generated stocks (named as such): every code has a name.
    private static string[] DefaultCodes(int count) => [.. SimulatedDay.DefaultCodes(count)];

    private static ProgramTrade ToTrade(in SimulatedRecord r, DateOnly day)
    {
        string[] f = r.Fields;
        Venue venue = r.TrId switch { "H0STPGM0" => Venue.Krx, "H0NXPGM0" => Venue.Nxt, _ => Venue.Unified };
        return new ProgramTrade(venue, f[0], day, TimeOnly.FromTimeSpan(r.At.TimeOfDay),
            L(f[2]), L(f[3]), L(f[4]), L(f[5]), L(f[6]), L(f[7]), L(f[8]), L(f[9]), L(f[10]), r.At);

        static long L(string s) => long.Parse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
    }
}
