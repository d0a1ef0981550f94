using System.Globalization;

using DuckDB.NET.Data;

using KisFeed.Simulator;
using KisFeed.Storage;
using KisFeed.TestKit;

using static KisFeed.IntegrationTests.Client.ClientTestKit;

namespace KisFeed.IntegrationTests.Client;

/// <summary>
/// Healing through the client itself: a dropped connection shows up in the feed as a gap, then the REST rows inside it
/// (marked Rest), then the outcome; the recorder keeps the rows' source and the outcome.
/// </summary>
public sealed class ClientHealingTests : IDisposable
{
    private readonly TempDirectory _dir = new("kisfeed-heal-");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task ADroppedConnectionIsHealedInBandAndRecordedWithItsSource()
    {
        using CancellationTokenSource deadline = Deadline(60);
        CancellationToken ct = deadline.Token;
        await using KisSimulator sim = await KisSimulator.StartAsync(Sim, ct);
        // A 3 s wait before reconnecting, so that whole seconds of market fall inside the gap.
        KisOptions options = Options(sim) with
        {
            Reconnect = FastReconnect with { InitialDelay = TimeSpan.FromSeconds(3), MinimumGap = TimeSpan.FromSeconds(3), MaxDelay = TimeSpan.FromSeconds(3) },
            Rest = KisRestOptions.Default with { TokenCacheDirectory = _dir.File("tokens") },
        };
        await using var client = new KisRealtimeClient(options);
        string db = _dir.File("healed.duckdb");
        var items = new List<FeedItem>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task<long> recording;
        ProgramTradeRecorder recorder = ProgramTradeRecorder.Open(db);
        await using (recorder)
        {
            recording = recorder.RecordAsync(Tee(client.FeedAsync(Registration.Of(["005930"], [Venue.Nxt]), cancellationToken: stop.Token)), stop.Token);
            await WaitUntilAsync(() => Count(FeedItemKind.Trade) >= 3, ct, "live trades");
            await sim.DropAllSessionsAsync(DropMode.Abort);
            await WaitUntilAsync(() => Count(FeedItemKind.GapHealed) == 1, ct, "the gap healed");
            int healedAt = Index(FeedItemKind.GapHealed);
            await WaitUntilAsync(() => items.Skip(healedAt + 1).Any(i => i.Kind == FeedItemKind.Trade && i.Trade.Source == TradeSource.WebSocket), ct, "live trades after healing");
            await stop.CancelAsync();
            await recording;
        }

        FeedItem[] seen;
        lock (items)
        {
            seen = [.. items];
        }

        int gapAt = Array.FindIndex(seen, i => i.Kind == FeedItemKind.Gap);
        int outcomeAt = Array.FindIndex(seen, i => i.Kind == FeedItemKind.GapHealed);
        DataGap gap = seen[gapAt].Gap!;
        GapHealingReport report = seen[outcomeAt].Healing!;
        ProgramTrade[] healed = [.. seen.Where(i => i.Kind == FeedItemKind.Trade && i.Trade.Source == TradeSource.Rest).Select(i => i.Trade)];

        // In order: the gap, then its REST rows, then the outcome.
        Assert.True(gapAt < outcomeAt);
        Assert.All(seen.Select((item, index) => (item, index)).Where(x => x.item.Kind == FeedItemKind.Trade && x.item.Trade.Source == TradeSource.Rest), x => Assert.InRange(x.index, gapAt + 1, outcomeAt - 1));
        Assert.Equal(GapHealing.Healed, report.Outcome);
        Assert.Equal(gap.Id, report.GapId);
        Assert.Equal(healed.Length, report.Rows);
        Assert.True(healed.Length >= 1, $"a {gap.Duration.TotalSeconds:0.0} s gap holds whole seconds of market");

        // Strictly inside the gap, to the second, so no healed row can duplicate a live one; flagged as REST rows.
        TimeOnly from = TimeOnly.FromDateTime(gap.From.ToOffset(TimeSpan.FromHours(9)).DateTime);
        TimeOnly to = TimeOnly.FromDateTime(gap.To.ToOffset(TimeSpan.FromHours(9)).DateTime);
        Assert.All(healed, t => Assert.True(t.Time > new TimeOnly(from.Hour, from.Minute, from.Second) && t.Time < new TimeOnly(to.Hour, to.Minute, to.Second), $"{t.Time} inside {from}..{to}"));
        Assert.All(healed, t => Assert.Equal(ProgramTrade.ResidualFields, t.Missing));
        HashSet<TimeOnly> liveTimes = [.. seen.Where(i => i.Kind == FeedItemKind.Trade && i.Trade.Source == TradeSource.WebSocket).Select(i => i.Trade.Time)];
        Assert.All(healed, t => Assert.DoesNotContain(t.Time, liveTimes));

        // The recording holds the REST rows as REST rows, and the outcome.
        List<ProgramTrade> stored = [];
        await foreach (ProgramTrade t in ProgramTradeReplay.ReadAsync(db, cancellationToken: ct))
        {
            stored.Add(t);
        }

        Assert.Equal(healed.Length, stored.Count(t => t.Source == TradeSource.Rest));
        using var connection = new DuckDBConnection($"Data Source={db}");
        connection.Open();
        using DuckDBCommand command = connection.CreateCommand();
        command.CommandText = "SELECT outcome || ' ' || rest_rows FROM gap_healing";
        Assert.Equal($"Healed {healed.Length.ToString(CultureInfo.InvariantCulture)}", command.ExecuteScalar());

        int Count(FeedItemKind kind)
        {
            lock (items)
            {
                return items.Count(i => i.Kind == kind);
            }
        }

        int Index(FeedItemKind kind)
        {
            lock (items)
            {
                return items.FindIndex(i => i.Kind == kind);
            }
        }

        async IAsyncEnumerable<FeedItem> Tee(IAsyncEnumerable<FeedItem> source)
        {
            await foreach (FeedItem item in source)
            {
                lock (items)
                {
                    items.Add(item);
                }

                yield return item;
            }
        }
    }
}
