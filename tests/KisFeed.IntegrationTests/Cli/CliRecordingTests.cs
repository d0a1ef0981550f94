using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;

using DuckDB.NET.Data;

using KisFeed.Storage;

using static KisFeed.IntegrationTests.Cli.CliHarness;

namespace KisFeed.IntegrationTests.Cli;

/// <summary>Issue 13, "Data you can trust" (the source stays with the data) and "Reading a recording".</summary>
public sealed class CliRecordingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kisfeed-rec-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task<string> RecordAsync(string name = "day.duckdb")
    {
        string db = Path.Combine(_dir, name);
        (int exit, _, string stderr) = await RunAsync("record", "005930", "000660", "--venue", "all", "--db", db, "--duration", "8s");
        Assert.True(exit == 0, stderr);
        return db;
    }

    [Fact]
    public async Task SimulatedDataStaysRecognisableInTheFileTheExportsAndTheLines()
    {
        string db = await RecordAsync();
        RecordingSource? source = await ProgramTradeCatalog.GetSourceAsync(db, Ct);
        Assert.NotNull(source);
        Assert.True(source.IsSimulated);
        Assert.StartsWith("ws://127.0.0.1:", source.Endpoint, StringComparison.Ordinal);

        (int exit, string stdout, string stderr) = await RunAsync("replay", "--db", db, "--speed", "max", "--format", "jsonl");
        Assert.True(exit == 0, stderr);
        Assert.Contains("SIMULATED data", stderr.Split('\n')[0]);
        Assert.All(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.True(JsonDocument.Parse(l).RootElement.GetProperty("simulated").GetBoolean()));

        foreach (string format in new[] { "csv", "jsonl", "parquet" })
        {
            string file = Path.Combine(_dir, "out." + format);
            (exit, stdout, stderr) = await RunAsync("export", "--db", db, "--format", format, "-o", file);
            Assert.True(exit == 0, stderr);
            Assert.Contains("SIMULATED data", stdout);
            using var connection = new DuckDBConnection("Data Source=:memory:");
            connection.Open();
            using DuckDBCommand q = connection.CreateCommand();
            string reader = format switch { "csv" => "read_csv", "parquet" => "read_parquet", _ => "read_json" };
            q.CommandText = $"SELECT count(*) FILTER (WHERE simulated), count(*) FROM {reader}('{file}')";
            using DuckDBDataReader r = q.ExecuteReader();
            Assert.True(r.Read());
            Assert.True(r.GetInt64(1) > 0);
            Assert.Equal(r.GetInt64(1), r.GetInt64(0));
        }

        // Live data is not added to a file of simulated data.
        KisStorageException mix = Assert.Throws<KisStorageException>(() =>
            ProgramTradeRecorder.Open(db, RecorderOptions.Default with { Source = RecordingSource.Live("ws://ops.koreainvestment.com:21000") }));
        Assert.Equal(KisStorageError.SourceMismatch, mix.Error);
        Assert.Contains("simulated", mix.Message);
    }

    [Fact]
    public async Task AFileWithoutASourceSaysSoAndItsExportsLeaveSimulatedEmpty()
    {
        string db = Path.Combine(_dir, "old.duckdb");
        await using (ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(db, RecorderOptions.Default))
        {
            recorder.Append(new ProgramTrade(Venue.Nxt, "005930", new DateOnly(2026, 11, 24), new TimeOnly(9, 0, 1), 1, 2, 3, 4, 2, 2, 0, 0, 0, DateTimeOffset.UtcNow));
        }

        Assert.Null(await ProgramTradeCatalog.GetSourceAsync(db, Ct));
        string csv = Path.Combine(_dir, "old.csv");
        (int exit, string stdout, string stderr) = await RunAsync("export", "--db", db, "--format", "csv", "-o", csv);
        Assert.True(exit == 0, stderr);
        Assert.Contains("source not recorded", stdout);
        string[] lines = await File.ReadAllLinesAsync(csv, Ct);
        Assert.EndsWith(",simulated", lines[0], StringComparison.Ordinal);
        Assert.EndsWith(",", lines[1], StringComparison.Ordinal);

        // Appending with a source marks the rows from then on.
        await using (ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(db, RecorderOptions.Default with { Source = RecordingSource.Simulated("ws://127.0.0.1:1") }))
        {
            recorder.Append(new ProgramTrade(Venue.Nxt, "005930", new DateOnly(2026, 11, 24), new TimeOnly(9, 0, 2), 1, 2, 3, 4, 2, 2, 0, 0, 0, DateTimeOffset.UtcNow));
        }

        (exit, _, stderr) = await RunAsync("export", "--db", db, "--format", "csv", "-o", csv);
        Assert.True(exit == 0, stderr);
        lines = await File.ReadAllLinesAsync(csv, Ct);
        Assert.EndsWith(",", lines[1], StringComparison.Ordinal);
        Assert.EndsWith(",true", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task WatchAndExportWriteTheSameColumnsAndTimestampFormat()
    {
        string db = await RecordAsync();
        string csv = Path.Combine(_dir, "e.csv");
        string jsonl = Path.Combine(_dir, "e.jsonl");
        Assert.Equal(0, (await RunAsync("export", "--db", db, "--format", "csv", "-o", csv)).Exit);
        Assert.Equal(0, (await RunAsync("export", "--db", db, "--format", "jsonl", "-o", jsonl)).Exit);
        (int exit, string watchCsv, string stderr) = await RunAsync("watch", "005930", "--venue", "all", "--format", "csv", "--duration", "2s");
        Assert.True(exit == 0, stderr);
        (exit, string watchJsonl, stderr) = await RunAsync("watch", "005930", "--format", "jsonl", "--duration", "2s");
        Assert.True(exit == 0, stderr);

        string expected = string.Join(',', StorageSchema.ExportColumns);
        Assert.Equal(expected, (await File.ReadAllLinesAsync(csv, Ct))[0]);
        string[] watchLines = watchCsv.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(expected, watchLines[0]);
        Assert.StartsWith("seq,trading_date,venue,tr_id,", expected, StringComparison.Ordinal);

        var timestamp = new Regex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$");
        int receivedAt = StorageSchema.ExportColumns.ToList().IndexOf("received_at");
        Assert.Matches(timestamp, (await File.ReadAllLinesAsync(csv, Ct))[1].Split(',')[receivedAt]);
        Assert.Matches(timestamp, watchLines[1].Split(',')[receivedAt]);
        Assert.EndsWith(",true", watchLines[1], StringComparison.Ordinal);

        JsonElement exported = JsonDocument.Parse((await File.ReadAllLinesAsync(jsonl, Ct))[0]).RootElement;
        JsonElement watched = JsonDocument.Parse(watchJsonl.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0]).RootElement;
        Assert.Equal(StorageSchema.ExportColumns, exported.EnumerateObject().Select(p => p.Name));
        Assert.Equal(StorageSchema.ExportColumns, watched.EnumerateObject().Select(p => p.Name));
        Assert.Matches(timestamp, exported.GetProperty("received_at").GetString()!);
        Assert.Matches(timestamp, watched.GetProperty("received_at").GetString()!);
        Assert.Equal(exported.GetProperty("kis_time").GetString()!.Length, watched.GetProperty("kis_time").GetString()!.Length);
    }

    [Fact]
    public async Task ReplayExportAndInfoNeverWriteTheFile()
    {
        string db = await RecordAsync();
        byte[] before = SHA256.HashData(await File.ReadAllBytesAsync(db, Ct));
        File.SetAttributes(db, FileAttributes.ReadOnly);
        try
        {
            (int exit, _, string stderr) = await RunAsync("replay", "--db", db, "--speed", "max", "--format", "jsonl");
            Assert.True(exit == 0, stderr);
            Assert.Equal(0, (await RunAsync("export", "--db", db, "--format", "parquet", "-o", Path.Combine(_dir, "x.parquet"))).Exit);
            Assert.Equal(0, (await RunAsync("info", "--db", db)).Exit);
        }
        finally
        {
            File.SetAttributes(db, FileAttributes.Normal);
        }

        Assert.Equal(before, SHA256.HashData(await File.ReadAllBytesAsync(db, Ct)));
        Assert.False(File.Exists(db + ".wal"), "a reader wrote a write-ahead log");
    }

    [Fact]
    public async Task ReplayAndExportWorkOnACopyOnAReadOnlyFileSystem()
    {
        string db = await RecordAsync();
        string mount = Directory.CreateTempSubdirectory("kisfeed-ro-").FullName;
        bool mounted = Run("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", mount) == 0;
        try
        {
            Assert.SkipUnless(mounted, "mounting a tmpfs needs root; this project's machines and CI run as root");
            string copy = Path.Combine(mount, "copy.duckdb");
            File.Copy(db, copy);
            Assert.Equal(0, Run("mount", "-o", "remount,ro", mount));

            (int exit, string stdout, string stderr) = await RunAsync("replay", "--db", copy, "--speed", "max", "--format", "jsonl");
            Assert.True(exit == 0, stderr);
            Assert.NotEmpty(stdout);
            (exit, _, stderr) = await RunAsync("export", "--db", copy, "--format", "csv", "-o", Path.Combine(_dir, "ro.csv"));
            Assert.True(exit == 0, stderr);
            (exit, _, stderr) = await RunAsync("info", "--db", copy);
            Assert.True(exit == 0, stderr);
        }
        finally
        {
            if (mounted)
            {
                // Lazy: the in-process CLI runs may still hold DuckDB's handle on the copy for a moment, and a busy
                // mount would otherwise fail the clean-up (not the test).
                Run("umount", "-l", mount);
            }

            Directory.Delete(mount, recursive: true);
        }
    }

    private static int Run(string file, params string[] args) => KisFeed.TestKit.Processes.Run(file, args);

    [Fact]
    public async Task AnEmptyDateListsWhatTheFileHoldsAndInfoShowsIt()
    {
        string db = await RecordAsync();
        IReadOnlyList<RecordedDate> dates = await ProgramTradeCatalog.ListDatesAsync(db, Ct);
        string day = dates[^1].Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        foreach (string command in new[] { "replay", "export" })
        {
            string[] args = [command, "--db", db, "--date", "2020-01-02", "--format", "jsonl", .. command == "export" ? new[] { "-o", Path.Combine(_dir, "none.jsonl") } : []];
            (int exit, _, string stderr) = await RunAsync(args);
            Assert.Equal(1, exit);
            Assert.Contains("No records for 2020-01-02", stderr);
            Assert.Contains($"It holds {day}", stderr);
            Assert.Contains("codes 000660 005930", stderr);
            Assert.Contains("kisfeed info", stderr);
        }

        Assert.False(File.Exists(Path.Combine(_dir, "none.jsonl")));
        (int e, _, string err) = await RunAsync("replay", "--db", db, "--codes", "035420", "--format", "jsonl");
        Assert.Equal(1, e);
        Assert.Contains("codes 035420", err);

        (int infoExit, string info, string infoErr) = await RunAsync("info", "--db", db);
        Assert.True(infoExit == 0, infoErr);
        Assert.Contains("SIMULATED data", info);
        Assert.Contains($"Date    {day}", info);
        Assert.Matches(@"000660\s+krx,nxt,unified", info);
        Assert.Matches(@"005930\s+krx,nxt,unified", info);
        Assert.Contains("KST", info);
    }

    [Fact]
    public async Task TheProgressLineIsInKstAndTheSizeIsTheFilesSize()
    {
        string db = Path.Combine(_dir, "p.duckdb");
        (int exit, string stdout, string stderr) = await RunAsync("record", "005930", "--venue", "all", "--db", db, "--duration", "3s");
        Assert.True(exit == 0, stderr);
        string[] progress = [.. stdout.Split('\n').Where(l => l.Contains(" written (", StringComparison.Ordinal))];
        Assert.NotEmpty(progress);
        DateTimeOffset kst = DateTimeOffset.UtcNow.ToOffset(TimeSpan.FromHours(9));
        foreach (string line in progress)
        {
            Match m = Regex.Match(line, @"^(\d\d):(\d\d):\d\d KST ");
            Assert.True(m.Success, line);
            int minutes = (int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) * 60) + int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            int now = (kst.Hour * 60) + kst.Minute;
            Assert.True(Math.Abs(now - minutes) <= 2 || Math.Abs(now - minutes) >= (24 * 60) - 2, $"{line} is not KST (now {kst:HH:mm} KST)");
        }

        Match stopped = Regex.Match(stdout, @"Stopped\. [\d,]+ record\(s\) in .* \((?<mib>[\d.]+) MiB, simulated data\)");
        Assert.True(stopped.Success, stdout);
        double actual = new FileInfo(db).Length / 1024.0 / 1024.0;
        Assert.Equal(Math.Round(actual, 1), double.Parse(stopped.Groups["mib"].Value, CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task WhileARecorderHoldsTheFileReplaySaysWhichProcessAndWhatToDo()
    {
        string db = Path.Combine(_dir, "held.duckdb");
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "KisFeed.Cli.dll"), "record", "005930", "--db", db, "--demo"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        process.BeginErrorReadLine();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            string? line;
            do
            {
                line = await process.StandardOutput.ReadLineAsync(deadline.Token);
                Assert.NotNull(line);
            }
            while (!Regex.IsMatch(line, @"[1-9][\d,]* written"));

            (int exit, _, string stderr) = await RunAsync("replay", "--db", db, "--format", "jsonl");
            Assert.Equal(1, exit);
            Assert.Contains($"process {process.Id.ToString(CultureInfo.InvariantCulture)}", stderr);
            Assert.Contains("record", stderr);
            Assert.Contains("Stop the recorder", stderr);
            Assert.DoesNotContain("   at ", stderr);
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task ExportToAPlaceThatTakesNoFilesSaysSo()
    {
        string db = await RecordAsync();
        (int exit, _, string stderr) = await RunAsync("export", "--db", db, "--format", "csv", "-o", "/proc/x");
        Assert.Equal(1, exit);
        Assert.Contains("/proc/x", stderr);
        Assert.DoesNotContain("does not exist", stderr);
        Assert.Contains("cannot create the file", stderr);
    }
}
