using System.Collections.Concurrent;

using DuckDB.NET.Data;

using KisFeed.IntegrationTests.Client;
using KisFeed.Simulator;
using KisFeed.Storage;

namespace KisFeed.IntegrationTests.Reliability;

/// <summary>
/// The core promise: through every fault the simulator can inject, nothing it sent while the session was up is lost or
/// duplicated in the consumer or in the recorder, and what it sent while the session was down is reported as a gap
/// (log, DataGap event, recorder's gaps table).
/// </summary>
public sealed class NoSilentLossTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kisfeed-rel-").FullName;

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

    [Fact]
    public async Task ConsumerAndRecorderMatchTheLedgerMinusReportedGapsThroughEveryFault()
    {
        using CancellationTokenSource deadline = ClientTestKit.Deadline(60);
        CancellationToken ct = deadline.Token;
        var logs = new CapturingLoggerProvider();
        await using KisSimulator sim = await KisSimulator.StartAsync(ClientTestKit.Sim with
        {
            UpdatesPerSecond = 0, // data is driven below, so it can be stopped before comparing
            PingInterval = TimeSpan.FromMilliseconds(200),
            AppKeyLockAfterAbnormalClose = TimeSpan.FromMilliseconds(300),
        }, ct);
        KisOptions options = ClientTestKit.Options(sim, logs) with
        {
            IdleTimeout = TimeSpan.FromMilliseconds(800),
            ReplyTimeout = TimeSpan.FromMilliseconds(700),
        };
        string path = Path.Combine(_dir, "rel.duckdb");
        await using var client = new KisRealtimeClient(options);
        var gaps = new ConcurrentQueue<DataGapEventArgs>();
        var states = new ConcurrentQueue<ConnectionStateChangedEventArgs>();
        client.DataGap += (_, e) => gaps.Enqueue(e);
        client.StateChanged += (_, e) => states.Enqueue(e);
        var consumed = new ConcurrentQueue<ProgramTrade>();

        ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(path, RecorderOptions.Default with { BatchSize = 200 });
        using var stopRecording = CancellationTokenSource.CreateLinkedTokenSource(ct);
        // The one gap path: the feed carries trades and gaps in order, and the recorder writes each gap as it arrives.
        Task<long> recording = recorder.RecordAsync(Tee(client.FeedAsync(Registration.Of(["005930", "000660"], [Venue.Krx, Venue.Nxt, Venue.Unified]), cancellationToken: stopRecording.Token)), stopRecording.Token);
        await ClientTestKit.WaitUntilAsync(() => client.Registrations.Count == 6, ct, "the feed's registrations");

        using var stopPublishing = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task publisher = Task.Run(async () =>
        {
            while (!stopPublishing.IsCancellationRequested)
            {
                sim.PublishNow(1);
                await Task.Delay(5, CancellationToken.None);
            }
        }, CancellationToken.None);

        int gapCount = 0;
        async Task FaultAsync(string what, Func<Task> fault)
        {
            int before = consumed.Count;
            await fault();
            gapCount++;
            await ClientTestKit.WaitUntilAsync(() => gaps.Count >= gapCount && consumed.Count > before + 20, ct, $"recovery after {what} (gaps {gaps.Count}, consumed {consumed.Count})");
        }

        await ClientTestKit.WaitUntilAsync(() => consumed.Count > 50, ct, "first data");
        await FaultAsync("abrupt TCP close", () => sim.DropAllSessionsAsync(DropMode.Abort));
        await FaultAsync("close 1011", () => sim.DropAllSessionsAsync(DropMode.CloseError));
        await FaultAsync("silent stall", async () =>
        {
            sim.Stall(true);
            await ClientTestKit.WaitUntilAsync(() => client.State != ConnectionState.Connected, ct, "the watchdog to notice the stall");
            sim.Stall(false);
        });
        await FaultAsync("approval key invalidated on a restart", async () =>
        {
            sim.InvalidateApprovalKeys();
            await sim.DropAllSessionsAsync(DropMode.CloseNormal);
        });
        await FaultAsync("missing control reply", async () =>
        {
            sim.InjectControlReplyFault(ControlReplyFault.Drop, 1);
            await sim.DropAllSessionsAsync(DropMode.Abort);
        });
        await FaultAsync("duplicated control replies", async () =>
        {
            sim.InjectControlReplyFault(ControlReplyFault.Duplicate, 6);
            await sim.DropAllSessionsAsync(DropMode.Abort);
        });
        await FaultAsync("control reply later than the reply timeout", async () =>
        {
            sim.InjectControlReplyFault(ControlReplyFault.Delay, 1, TimeSpan.FromSeconds(1));
            await sim.DropAllSessionsAsync(DropMode.Abort);
        });

        foreach ((string _, byte[] bytes) in MalformedFrames.Broken())
        {
            await sim.SendRawAsync(bytes);
        }

        int afterMalformed = consumed.Count;
        await ClientTestKit.WaitUntilAsync(() => consumed.Count > afterMalformed + 20, ct, "data after malformed frames");

        await stopPublishing.CancelAsync();
        await publisher;
        IReadOnlyList<SimulatorLedgerEntry> ledger = sim.GetLedger();
        await ClientTestKit.WaitUntilAsync(
            () => LedgerCheck.Compare(ledger, consumed, [.. gaps]).Holds, ct,
            "the consumer matches the ledger: " + LedgerCheck.Compare(ledger, consumed, [.. gaps]));
        LedgerCheck.Result live = LedgerCheck.Compare(ledger, consumed, [.. gaps]);
        Assert.True(live.Holds, live.ToString());
        Assert.True(live.Received > 200, live.ToString());
        Assert.Equal(0, client.GetStatistics().RecordsDropped);
        Assert.True(client.GetStatistics().RejectedFrames >= MalformedFrames.Broken().Count - 1, "every malformed frame is counted (the header-less JSON is a legal KIS error shape)");

        // The recorder: stop, flush, write gaps the way `kisfeed record` does, and read the database back.
        await stopRecording.CancelAsync();
        try
        {
            await recording;
        }
        catch (OperationCanceledException)
        {
        }

        await recorder.DisposeAsync();
        List<ProgramTrade> stored = [];
        await foreach (ProgramTrade t in ProgramTradeReplay.ReadAsync(path, cancellationToken: ct))
        {
            stored.Add(t);
        }

        List<DataGapEventArgs> storedGaps = ReadGaps(path);
        LedgerCheck.Result db = LedgerCheck.Compare(ledger, stored, storedGaps);
        Assert.True(db.Holds, "database vs ledger: " + db);
        Assert.Equal(live.Received, db.Received);
        Assert.Equal(gaps.Count, storedGaps.Select(g => (g.From, g.To)).Distinct().Count());

        // Every gap is also in the log and in the state stream.
        string log = logs.AllText;
        Assert.True(gaps.Count >= 7, $"{gaps.Count} gaps");
        Assert.Equal(gaps.Count, logs.Lines.Count(l => l.Contains("KisRealtimeClient[", StringComparison.Ordinal) && l.Contains("Data gap:", StringComparison.Ordinal) && l.Contains("H0STPGM0/005930", StringComparison.Ordinal)));
        Assert.True(states.Count(s => s.Current == ConnectionState.Reconnecting) >= 7);
        Assert.Equal(gaps.Count, states.Count(s => s.Current == ConnectionState.Connected && s.Reason.Contains("6 registration(s) restored; data gap", StringComparison.Ordinal) && s.Reason.EndsWith(" KST", StringComparison.Ordinal)));
        Assert.Contains("0|H0ZZPGM0|001|005930", log, StringComparison.Ordinal); // malformed frames are logged raw

        async IAsyncEnumerable<FeedItem> Tee(IAsyncEnumerable<FeedItem> source)
        {
            await foreach (FeedItem item in source)
            {
                if (item.Kind == FeedItemKind.Trade)
                {
                    consumed.Enqueue(item.Trade);
                }

                yield return item;
            }
        }
    }

    internal static List<DataGapEventArgs> ReadGaps(string path)
    {
        using var connection = new DuckDBConnection($"Data Source={path}");
        connection.Open();
        using DuckDBCommand command = connection.CreateCommand();
        command.CommandText = "SELECT from_time, to_time, venue, codes, reason FROM gaps ORDER BY from_time";
        using DuckDBDataReader reader = command.ExecuteReader();
        var result = new List<DataGapEventArgs>();
        while (reader.Read())
        {
            var from = new DateTimeOffset(DateTime.SpecifyKind(reader.GetDateTime(0), DateTimeKind.Utc));
            var to = new DateTimeOffset(DateTime.SpecifyKind(reader.GetDateTime(1), DateTimeKind.Utc));
            Venue venue = Enum.Parse<Venue>(reader.GetString(2), ignoreCase: true);
            var codes = (System.Collections.IEnumerable)reader.GetValue(3);
            result.Add(new DataGapEventArgs(new DataGap(0, from, to, [.. codes.Cast<object>().Select(c => new Registration(venue, (string)c))], reader.GetString(4))));
        }

        return result;
    }
}
