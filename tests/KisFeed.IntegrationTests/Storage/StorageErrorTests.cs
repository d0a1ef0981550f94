using DuckDB.NET.Data;

using KisFeed.Storage;

using static KisFeed.IntegrationTests.Storage.StorageTestData;

namespace KisFeed.IntegrationTests.Storage;

public sealed class StorageErrorTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task MissingDirectoryIsAStorageErrorNamingThePath()
    {
        string path = Path.Combine(_dir.Path, "no-such-dir", "trades.duckdb");

        KisStorageException ex = Assert.Throws<KisStorageException>(() => ProgramTradeRecorder.Open(path));

        Assert.Equal(KisStorageError.Unwritable, ex.Error);
        Assert.Equal(path, ex.Path);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADirectoryPathIsAStorageError()
    {
        KisStorageException ex = Assert.Throws<KisStorageException>(() => ProgramTradeRecorder.Open(_dir.Path));

        Assert.Equal(KisStorageError.Unwritable, ex.Error);
        Assert.Contains(_dir.Path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("directory", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFileThatIsNotADatabaseIsAStorageErrorAndIsLeftUntouched()
    {
        string path = _dir.File("notes.duckdb");
        byte[] content = new byte[8192];
        new Random(7).NextBytes(content);
        await File.WriteAllBytesAsync(path, content, Ct);

        KisStorageException ex = Assert.Throws<KisStorageException>(() => ProgramTradeRecorder.Open(path));

        Assert.Equal(KisStorageError.NotADatabase, ex.Error);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Equal(content, await File.ReadAllBytesAsync(path, Ct));
        Assert.Throws<KisStorageException>(() => ProgramTradeReplay.ReadAsync(path, cancellationToken: Ct).GetAsyncEnumerator(Ct).MoveNextAsync().AsTask().GetAwaiter().GetResult());
    }

    [Theory]
    [InlineData(0.07)] // inside the first blocks: DuckDB itself cannot open it
    [InlineData(0.5)]
    [InlineData(0.98)] // only the last block cut short: DuckDB opens it and would write into it
    public async Task ATruncatedRecordingIsRefusedAsTruncatedAndLeftUntouched(double keep)
    {
        string path = _dir.File("day.duckdb");
        await WriteAsync(path, Make(150_000));
        long full = new FileInfo(path).Length;
        Assert.True(full > 4 * 262_144, $"the test needs a file of several blocks, got {full:N0} bytes");
        using (FileStream f = File.Open(path, FileMode.Open))
        {
            f.SetLength((long)(full * keep));
        }

        byte[] before = await File.ReadAllBytesAsync(path, Ct);

        KisStorageException write = Assert.Throws<KisStorageException>(() => ProgramTradeRecorder.Open(path));
        Assert.Equal(KisStorageError.Damaged, write.Error);
        Assert.Contains("truncated or damaged", write.Message, StringComparison.Ordinal);
        Assert.Contains(path, write.Message, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(path, Ct));
        Assert.False(File.Exists(path + ".wal"), "nothing may be written next to a damaged file either");

        KisStorageException read = await Assert.ThrowsAsync<KisStorageException>(() => ProgramTradeCatalog.ListDatesAsync(path, Ct));
        Assert.Equal(KisStorageError.Damaged, read.Error);
        Assert.Contains("truncated or damaged", read.Message, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(path, Ct));
    }

    [Fact]
    public async Task ADuckDbFileThatIsNotARecordingIsAStorageError()
    {
        string path = _dir.File("other.duckdb");
        using (DuckDBConnection connection = new($"Data Source={path}"))
        {
            connection.Open();
            using DuckDBCommand command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE something (x INTEGER)";
            command.ExecuteNonQuery();
        }

        KisStorageException ex = Assert.Throws<KisStorageException>(() => ProgramTradeRecorder.Open(path));
        Assert.Equal(KisStorageError.NotARecording, ex.Error);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReplayAndExportOfAMissingFileAreStorageErrorsAndCreateNothing()
    {
        string path = _dir.File("missing.duckdb");

        KisStorageException replay = Assert.Throws<KisStorageException>(() => ProgramTradeReplay.ReadAsync(path, cancellationToken: Ct));
        Assert.Equal(KisStorageError.NotFound, replay.Error);
        Assert.Contains(path, replay.Message, StringComparison.Ordinal);

        KisStorageException export = await Assert.ThrowsAsync<KisStorageException>(
            () => ProgramTradeExporter.ExportAsync(path, ExportFormat.Csv, _dir.File("out.csv"), cancellationToken: Ct));
        Assert.Equal(KisStorageError.NotFound, export.Error);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task ExportToAMissingDirectoryIsAStorageError()
    {
        string path = _dir.File("trades.duckdb");
        await WriteAsync(path, Make(10));
        string output = Path.Combine(_dir.Path, "nope", "out.parquet");

        KisStorageException ex = await Assert.ThrowsAsync<KisStorageException>(
            () => ProgramTradeExporter.ExportAsync(path, ExportFormat.Parquet, output, cancellationToken: Ct));

        Assert.Equal(KisStorageError.Unwritable, ex.Error);
        Assert.Contains(output, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASecondRecorderOnTheSameFileIsRefused()
    {
        string path = _dir.File("trades.duckdb");
        await using ProgramTradeRecorder first = ProgramTradeRecorder.Open(path);

        KisStorageException ex = Assert.Throws<KisStorageException>(() => ProgramTradeRecorder.Open(path));

        Assert.Equal(KisStorageError.InUse, ex.Error);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }
}
