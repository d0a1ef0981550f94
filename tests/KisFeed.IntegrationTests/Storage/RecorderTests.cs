using System.Threading.Channels;

using DuckDB.NET.Data;

using KisFeed.Storage;

using Microsoft.Extensions.Time.Testing;

using static KisFeed.IntegrationTests.Storage.StorageTestData;

namespace KisFeed.IntegrationTests.Storage;

public sealed class RecorderTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RecordedUpdatesReplayExactlyInOrder()
    {
        string path = _dir.File("trades.duckdb");
        List<ProgramTrade> trades = Make(25_003);

        await WriteAsync(path, trades, RecorderOptions.Default with { BatchSize = 1_000 });
        List<ProgramTrade> read = await ReadAllAsync(path);

        Assert.Equal(trades.Count, read.Count);
        Assert.Equal(trades.Select(Stored), read);
        Assert.Contains(read, t => t.Missing != ProgramTradeFields.None);
        Assert.Contains(read, t => t.NetBuyValue < 0);
        Assert.Equal(3, read.Select(t => t.Venue).Distinct().Count());
        Assert.Equal(2, read.Select(t => t.TradingDate).Distinct().Count());
        // Codes are shared strings (one per distinct code), not one allocation per row.
        Assert.Same(read.First(t => t.Code == "005930").Code, read.Last(t => t.Code == "005930").Code);
    }

    [Fact]
    public async Task ReopeningAppendsAndSeqContinues()
    {
        string path = _dir.File("trades.duckdb");
        List<ProgramTrade> trades = Make(30);

        await WriteAsync(path, trades.Take(10));
        await using (ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(path))
        {
            Assert.Equal(10, recorder.Statistics.LastSeq);
            foreach (ProgramTrade t in trades.Skip(10))
            {
                recorder.Append(t);
            }

            recorder.Flush();
            RecorderStatistics stats = recorder.Statistics;
            Assert.Equal(20, stats.RecordsWritten);
            Assert.Equal(0, stats.PendingRecords);
            Assert.Equal(1, stats.Batches);
            Assert.Equal(30, stats.LastSeq);
            Assert.Equal(20, stats.KrxRecords + stats.NxtRecords + stats.UnifiedRecords);
            Assert.Equal(stats.NxtRecords, stats.RecordsFor(Venue.Nxt));
            Assert.True(stats.FileSizeBytes > 0);
            Assert.NotNull(stats.LastFlushAt);
        }

        Assert.Equal(trades.Select(Stored), await ReadAllAsync(path));
        using DuckDBConnection connection = new($"Data Source={path}");
        connection.Open();
        using DuckDBCommand command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FILTER (WHERE seq = rn), count(*) FROM (SELECT seq, row_number() OVER (ORDER BY seq) AS rn FROM program_trades)";
        using DuckDBDataReader reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal(30, reader.GetInt64(0));
        Assert.Equal(30, reader.GetInt64(1));
    }

    [Fact]
    public async Task RecordAsyncConsumesTheStreamAndReturnsTheCount()
    {
        string path = _dir.File("trades.duckdb");
        List<ProgramTrade> trades = Make(2_500);

        long count;
        await using (ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(path, RecorderOptions.Default with { BatchSize = 1_000 }))
        {
            count = await recorder.RecordAsync(trades.ToAsyncEnumerable(), Ct);
            Assert.Equal(2_500, recorder.Statistics.RecordsWritten);
        }

        Assert.Equal(2_500, count);
        Assert.Equal(trades.Select(Stored), await ReadAllAsync(path));
    }

    [Fact]
    public async Task RecordAsyncFlushesOnTheIntervalWhileTheSourceIsIdleAndStopsOnCancellation()
    {
        string path = _dir.File("trades.duckdb");
        FakeTimeProvider time = new(new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero));
        Channel<ProgramTrade> channel = Channel.CreateUnbounded<ProgramTrade>();
        List<ProgramTrade> trades = Make(3);
        using CancellationTokenSource stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        await using ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(
            path, RecorderOptions.Default with { TimeProvider = time, FlushInterval = TimeSpan.FromSeconds(1) });
        foreach (ProgramTrade t in trades)
        {
            channel.Writer.TryWrite(t);
        }

        Task<long> recording = recorder.RecordAsync(channel.Reader.ReadAllAsync(stop.Token), stop.Token);
        await WaitUntilAsync(() => recorder.Statistics.PendingRecords == 3);
        Assert.Equal(0, recorder.Statistics.RecordsWritten);

        // The source is idle; once the interval passes the buffer is committed without a new record arriving.
        time.Advance(TimeSpan.FromSeconds(1));
        await WaitUntilAsync(() => recorder.Statistics.RecordsWritten == 3);

        channel.Writer.TryWrite(Make(4)[3]);
        await WaitUntilAsync(() => recorder.Statistics.PendingRecords == 1);
        await stop.CancelAsync();
        Assert.Equal(4, await recording);
        Assert.Equal(4, recorder.Statistics.RecordsWritten);
    }

    [Fact]
    public async Task GapsAndDatesAreListed()
    {
        string path = _dir.File("trades.duckdb");
        List<ProgramTrade> trades = Make(100);
        DateTimeOffset from = new(2026, 11, 24, 1, 0, 0, TimeSpan.Zero);
        await using (ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(path))
        {
            foreach (ProgramTrade t in trades)
            {
                recorder.Append(t);
            }

            recorder.RecordGap(new RecordingGap(from, from.AddSeconds(42), Venue.Nxt, ["005930", "000660"], "reconnect"));
            recorder.RecordGap(new RecordingGap(from.AddHours(1), from.AddHours(2), null, [], "server closed"));
            Assert.Equal(100, recorder.Statistics.RecordsWritten);
            Assert.Equal(2, recorder.Statistics.GapsWritten);
        }

        IReadOnlyList<RecordingGap> gaps = await ProgramTradeCatalog.ListGapsAsync(path, Ct);
        Assert.Equal(2, gaps.Count);
        Assert.Equal((from, from.AddSeconds(42), (Venue?)Venue.Nxt, "reconnect"), (gaps[0].From, gaps[0].To, gaps[0].Venue, gaps[0].Reason));
        Assert.Equal(["005930", "000660"], gaps[0].Codes);
        Assert.Null(gaps[1].Venue);
        Assert.Empty(gaps[1].Codes);

        IReadOnlyList<RecordedDate> dates = await ProgramTradeCatalog.ListDatesAsync(path, Ct);
        Assert.Equal([Day1, Day2], dates.Select(d => d.Date));
        Assert.Equal([50L, 50L], dates.Select(d => d.Records));
        Assert.Equal(Stored(trades[0]).ReceivedAt, dates[0].FirstReceivedAt);
        Assert.Equal(Stored(trades[^1]).ReceivedAt, dates[1].LastReceivedAt);
        Assert.Equal(Day2, await ProgramTradeCatalog.LatestDateAsync(path, Ct));
    }

    [Fact]
    public async Task LatestDateOfAnEmptyRecordingIsNull()
    {
        string path = _dir.File("empty.duckdb");
        await WriteAsync(path, []);
        Assert.Null(await ProgramTradeCatalog.LatestDateAsync(path, Ct));
        Assert.Empty(await ProgramTradeCatalog.ListDatesAsync(path, Ct));
    }

    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        // Waits for work running on other threads (not for time to pass); fails after 10 s.
        using CancellationTokenSource deadline = KisFeed.TestKit.Wait.Deadline(TestContext.Current.CancellationToken, 10);
        await KisFeed.TestKit.Wait.UntilAsync(condition, deadline.Token, "the recorder's work is done");
    }
}
