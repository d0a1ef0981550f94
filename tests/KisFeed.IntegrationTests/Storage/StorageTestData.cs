using KisFeed.Storage;

namespace KisFeed.IntegrationTests.Storage;

/// <summary>A fresh temporary directory per test, deleted afterwards (the shared helper in KisFeed.TestKit).</summary>
internal sealed class TempDir : IDisposable
{
    private readonly KisFeed.TestKit.TempDirectory _dir = new("kisfeed-storage-");

    public string Path => _dir.Path;

    public string File(string name) => _dir.File(name);

    public void Dispose() => _dir.Dispose();
}

internal static class StorageTestData
{
    public static readonly DateOnly Day1 = new(2026, 11, 23);
    public static readonly DateOnly Day2 = new(2026, 11, 24);
    public static readonly string[] Codes = ["005930", "000660", "0088M0", "035420", "O'QUOTE"];

    /// <summary>
    /// Synthetic updates over several venues, codes and two days, with negative values, Missing flags and
    /// sub-microsecond ReceivedAt ticks (to exercise truncation).
    /// </summary>
    public static List<ProgramTrade> Make(int count, int seed = 1)
    {
        Random random = new(seed);
        List<ProgramTrade> trades = new(count);
        DateTimeOffset start = new(2026, 11, 23, 0, 0, 0, TimeSpan.Zero);
        for (int i = 0; i < count; i++)
        {
            DateOnly day = i < count / 2 ? Day1 : Day2;
            Venue venue = VenueExtensions.All[i % 3];
            string code = Codes[random.Next(Codes.Length)];
            long sell = random.NextInt64(0, 10_000_000);
            long buy = random.NextInt64(0, 10_000_000);
            ProgramTradeFields missing = i % 97 == 0 ? ProgramTradeFields.SellVolume | ProgramTradeFields.NetBidResidual : ProgramTradeFields.None;
            trades.Add(new ProgramTrade(
                venue,
                code,
                day,
                new TimeOnly(9, 0).Add(TimeSpan.FromSeconds(i % 20_000)),
                sell,
                sell * 70_000,
                buy,
                buy * 70_000,
                buy - sell,
                (buy - sell) * 70_000,
                random.NextInt64(0, 100_000),
                random.NextInt64(0, 100_000),
                random.NextInt64(-100_000, 100_000),
                start.AddTicks((i * 1_234_567L) + 7).ToOffset(TimeSpan.FromHours(9)),
                missing));
        }

        return trades;
    }

    /// <summary>What a record reads back as: ReceivedAt truncated to microseconds, offset +00:00.</summary>
    public static ProgramTrade Stored(ProgramTrade t) =>
        t with { ReceivedAt = new DateTimeOffset(t.ReceivedAt.UtcTicks - (t.ReceivedAt.UtcTicks % TimeSpan.TicksPerMicrosecond), TimeSpan.Zero) };

    public static async Task<List<ProgramTrade>> ReadAllAsync(string path, ReplayQuery? query = null)
    {
        List<ProgramTrade> result = [];
        await foreach (ProgramTrade t in ProgramTradeReplay.ReadAsync(path, query, TestContext.Current.CancellationToken))
        {
            result.Add(t);
        }

        return result;
    }

    public static async Task WriteAsync(string path, IEnumerable<ProgramTrade> trades, RecorderOptions? options = null)
    {
        await using ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(path, options);
        foreach (ProgramTrade t in trades)
        {
            recorder.Append(t);
        }
    }
}
