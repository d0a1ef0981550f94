using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

using KisFeed.Storage;

using static KisFeed.IntegrationTests.Storage.StorageTestData;

namespace KisFeed.IntegrationTests.Storage;

/// <summary>
/// The recorder's instruments on the KisFeed meter (<see cref="StorageMetrics"/>), seen by a <see cref="MeterListener"/>.
/// The recorder measures on the thread that commits, so only this test's own commits are counted (an
/// <see cref="AsyncLocal{T}"/> marks them): other tests record in parallel.
/// </summary>
public sealed class StorageMetricsTests : IDisposable
{
    private static readonly AsyncLocal<string?> Mine = new();
    private readonly TempDir _dir = new();
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _sums = new();
    private readonly string _id = Guid.NewGuid().ToString("N");

    public StorageMetricsTests()
    {
        _listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == KisFeedInstruments.MeterName && instrument.Name.StartsWith("kisfeed.storage.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (Mine.Value == _id)
            {
                _sums.AddOrUpdate(instrument.Name, value, (_, v) => v + value);
            }
        });
        _listener.Start();
    }

    public void Dispose()
    {
        _listener.Dispose();
        _dir.Dispose();
    }

    private long Sum(string name) => _sums.GetValueOrDefault(name);

    [Fact]
    public async Task EveryCommittedRecordAndCommitIsCountedAndAHealthyRecorderHasNoLastFailure()
    {
        Mine.Value = _id;
        List<ProgramTrade> trades = Make(2_500);
        await using ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(_dir.File("metrics.duckdb"), RecorderOptions.Default with { BatchSize = 1_000 });
        foreach (ProgramTrade t in trades)
        {
            recorder.Append(t);
        }

        recorder.Flush();

        Assert.Equal(trades.Count, Sum(StorageMetrics.RecordsWritten));
        Assert.Equal(recorder.Statistics.RecordsWritten, Sum(StorageMetrics.RecordsWritten));
        Assert.Equal(recorder.Statistics.Batches, Sum(StorageMetrics.Commits));
        Assert.True(Sum(StorageMetrics.Commits) >= 3, $"{Sum(StorageMetrics.Commits)} commits of 1,000 at most for 2,500 records");
        Assert.Equal(0, Sum(StorageMetrics.CommitFailures));
        Assert.Null(recorder.LastFailure);
    }

    [Fact]
    public async Task ACommitThatFailsOnAFullDiskIsCountedAndKeptAsTheLastFailure()
    {
        Mine.Value = _id;
        string mount = Directory.CreateTempSubdirectory("kisfeed-full-metrics-").FullName;
        bool mounted = KisFeed.TestKit.Processes.Run("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mount) == 0;
        try
        {
            Assert.True(mounted, "mounting a tmpfs needs root; this project's machines and CI run as root");
            ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(Path.Combine(mount, "full.duckdb"), RecorderOptions.Default with { BatchSize = 2_000 });
            KisStorageException? error = null;
            List<ProgramTrade> trades = Make(2_000);
            for (int round = 0; round < 2_000 && error is null; round++)
            {
                Assert.Null(recorder.LastFailure);
                try
                {
                    foreach (ProgramTrade t in trades)
                    {
                        recorder.Append(t);
                    }

                    recorder.Flush();
                }
                catch (KisStorageException e)
                {
                    error = e;
                }
            }

            Assert.NotNull(error);
            Assert.Same(error, recorder.LastFailure);
            Assert.True(Sum(StorageMetrics.CommitFailures) >= 1);
            Assert.Equal(recorder.Statistics.RecordsWritten, Sum(StorageMetrics.RecordsWritten));

            // `record --from`'s /healthz says so (503), with the storage error's words.
            KisFeed.Web.ProcessHealth health = KisFeed.Cli.CliApp.RecordFromNatsHealth(recorder, null, null);
            Assert.False(health.Healthy);
            string problem = health.Detail["problems"]![0]!.GetValue<string>();
            Assert.StartsWith("the writer failed: ", problem, StringComparison.Ordinal);
            Assert.Contains("full", problem, StringComparison.OrdinalIgnoreCase);
            Assert.True(health.Detail["rows_written"]!.GetValue<long>() > 0);
            try
            {
                await recorder.DisposeAsync();
            }
            catch (KisStorageException)
            {
                // The final commit fails too on the full disk.
            }
        }
        finally
        {
            if (mounted)
            {
                KisFeed.TestKit.Processes.Run("umount", mount);
            }

            Directory.Delete(mount, recursive: true);
        }
    }
}
