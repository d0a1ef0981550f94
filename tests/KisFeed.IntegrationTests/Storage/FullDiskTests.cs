using KisFeed.Storage;

namespace KisFeed.IntegrationTests.Storage;

/// <summary>
/// A real full disk: a 2 MiB tmpfs mounted for the test (needs root, as on this project's machines and CI).
/// </summary>
public sealed class FullDiskTests : IDisposable
{
    private readonly string _mount = Directory.CreateTempSubdirectory("kisfeed-full-").FullName;
    private bool _mounted;

    public void Dispose()
    {
        if (_mounted)
        {
            Run("umount", _mount);
        }

        Directory.Delete(_mount, recursive: true);
    }

    private static int Run(string file, params string[] args) => KisFeed.TestKit.Processes.Run(file, args);

    [Fact]
    public async Task AFullDiskIsAClearErrorAndWhatWasFlushedStays()
    {
        _mounted = Run("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", _mount) == 0;
        Assert.SkipUnless(_mounted, "mounting a tmpfs needs root; this project's machines and CI run as root");

        string path = Path.Combine(_mount, "full.duckdb");
        List<ProgramTrade> trades = StorageTestData.Make(2_000);
        long flushed = 0;
        KisStorageException? error = null;
        var recorder = ProgramTradeRecorder.Open(path, RecorderOptions.Default with { BatchSize = 2_000 });
        try
        {
            for (int round = 0; round < 2_000 && error is null; round++)
            {
                try
                {
                    foreach (ProgramTrade t in trades)
                    {
                        recorder.Append(t);
                    }

                    recorder.Flush();
                    flushed = recorder.Statistics.RecordsWritten;
                }
                catch (KisStorageException e)
                {
                    error = e;
                }
            }
        }
        finally
        {
            try
            {
                await recorder.DisposeAsync();
            }
            catch (KisStorageException e)
            {
                error ??= e;
            }
        }

        Assert.NotNull(error);
        Assert.Equal(KisStorageError.DiskFull, error.Error);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("full", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.True(flushed > 0, "some batches were committed before the disk filled");

        // Make room (as a user would), then everything committed before the error is still there.
        Run("mount", "-o", "remount,size=64m", _mount);
        List<ProgramTrade> back = await StorageTestData.ReadAllAsync(path);
        Assert.True(back.Count >= flushed, $"{back.Count} rows readable, {flushed} were committed");
    }
}
