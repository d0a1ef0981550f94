using DuckDB.NET.Data;

using KisFeed.Cli;
using KisFeed.IntegrationTests.Client;
using KisFeed.Nats;
using KisFeed.Simulator;
using KisFeed.Storage;
using KisFeed.TestKit;

using NATS.Client.JetStream;

using Spectre.Console.Testing;

namespace KisFeed.IntegrationTests.Nats;

/// <summary>Healing outcomes travel through the stream (kisfeed.heal.*, payload version 2) and are recorded by `record --from nats://`.</summary>
public sealed class HealingOverNatsTests
{
    // Written by the version-1 encoder (layout in docs/scale-out.md): an NXT trade of 005930 and a KRX gap of 005930.
    private const string V1Trade = "010101000000063030353933306e4a0b0000a8e76f4b000000e803000000000000d007000000000000b80b000000000000a00f000000000000d007000000000000d0070000000000000500000000000000060000000000000001000000000000008016890b3e4fdf081c02";
    private const string V1Gap = "010200000000063030353933300080f00a3e4fdf088070eb0d3e4fdf0807000000000000000900746573742064726f70";

    [Fact]
    public void VersionOnePayloadsStillDecodeAndHealingOutcomesRoundTripAsVersionTwo()
    {
        FeedItem trade = FeedCodec.Decode(Convert.FromHexString(V1Trade));
        Assert.Equal(FeedItemKind.Trade, trade.Kind);
        var at = new DateTimeOffset(2026, 12, 1, 9, 0, 1, TimeSpan.FromHours(9));
        Assert.Equal(new ProgramTrade(Venue.Nxt, "005930", new DateOnly(2026, 12, 1), new TimeOnly(9, 0), 1000, 2000, 3000, 4000, 2000, 2000, 5, 6, 1, at), trade.Trade);
        Assert.Equal(V1Trade, Convert.ToHexStringLower(FeedCodec.EncodeTrade(trade.Trade))); // trades are still written as version 1

        FeedItem gap = FeedCodec.Decode(Convert.FromHexString(V1Gap));
        Assert.Equal((7L, new Registration(Venue.Krx, "005930"), "test drop"), (gap.Gap!.Id, gap.Gap.Registrations[0], gap.Gap.Reason));
        Assert.Equal(V1Gap, Convert.ToHexStringLower(FeedCodec.EncodeGap(gap.Gap, gap.Gap.Registrations[0])));
        Assert.False(gap.Gap.IsSeed);
        DataGap seed = gap.Gap with { IsSeed = true };
        byte[] seedBytes = FeedCodec.EncodeGap(seed, seed.Registrations[0]);
        Assert.Equal(1, seedBytes[0]); // still version 1: only the gap's spare header byte is used
        Assert.True(FeedCodec.Decode(seedBytes).Gap!.IsSeed);

        var from = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
        var report = new GapHealingReport(7, new Registration(Venue.Krx, "005930"), GapHealing.PartlyHealed, 12, from.AddSeconds(3), from.AddSeconds(4), "REST: 12 rows; 1 s still missing");
        byte[] healing = FeedCodec.EncodeHealing(report, from, from.AddSeconds(5));
        Assert.Equal(FeedCodec.HealingVersion, healing[0]);
        FeedItem back = FeedCodec.Decode(healing, out DataGap? healed);
        Assert.Equal(report, back.Healing);
        Assert.Equal((from, from.AddSeconds(5)), (healed!.From, healed.To));
        FeedItem none = FeedCodec.Decode(FeedCodec.EncodeHealing(report with { StillMissingFrom = null, StillMissingTo = null, Outcome = GapHealing.Healed }, from, from));
        Assert.Equal((GapHealing.Healed, (DateTimeOffset?)null, (DateTimeOffset?)null), (none.Healing!.Outcome, none.Healing.StillMissingFrom, none.Healing.StillMissingTo));

        // A healing kind under version 1 and an unknown version are refused (the consumer skips such messages).
        byte[] asV1 = [.. healing];
        asV1[0] = 1;
        Assert.Throws<FormatException>(() => FeedCodec.Decode(asV1));
        healing[0] = 9;
        Assert.Throws<FormatException>(() => FeedCodec.Decode(healing));
    }

    [Fact]
    public async Task AGatewaysHealingOutcomesReachTheStreamAndTheNatsRecorderStoresThemWithTheirGaps()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(120);
        CancellationToken ct = deadline.Token;
        using var dir = new TempDirectory();
        await using NatsServer server = await NatsServer.StartAsync(ct);
        await using var nats = NatsTestKit.Connect(server);
        NatsJSContext js = NatsTestKit.Js(nats);
        NatsFeedOptions feed = NatsTestKit.Feed; // the CLI recorder reads the default stream
        IReadOnlyList<SimulatorCredential> keys = CliApp.DemoCredentials(1);
        await using KisSimulator sim = await KisSimulator.StartAsync(ClientTestKit.Sim with { Credentials = keys, UpdatesPerSecond = 10 }, ct);
        await FeedPublisher.EnsureStreamAsync(js, feed, ct);
        DesiredRegistrations desired = await DesiredRegistrations.OpenAsync(js, feed, ct);
        Registration[] regs = [new(Venue.Nxt, "005930"), new(Venue.Krx, "000660")];
        await desired.AddAsync(regs, ct);
        await using var gateway = new NatsGateway(nats, [new AppKeyCredential(keys[0].AppKey, keys[0].AppSecret)], GatewayOptions.Default with
        {
            GatewayId = "healing",
            Feed = feed,
            Session = KisOptions.Default with { WebSocketUri = new Uri(sim.WebSocketUri, "/tryitout"), RestUri = sim.RestBaseUri, Reconnect = ClientTestKit.FastReconnect },
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task running = gateway.RunAsync(stop.Token);

        async Task<List<NatsFeedItem>> AllAsync() => await NatsTestKit.ReadAllAsync(js, feed, 1, ct);
        await NatsTestKit.WaitUntilAsync(async () => { List<NatsFeedItem> all = await AllAsync(); return regs.All(r => all.Any(i => i.Item.Kind == FeedItemKind.Trade && i.Item.Trade.Venue == r.Venue && i.Item.Trade.Code == r.Code)); }, ct, "data for every registration");
        await sim.DropAllSessionsAsync(DropMode.Abort);
        await NatsTestKit.WaitUntilAsync(async () => { List<NatsFeedItem> all = await AllAsync(); return regs.All(r => all.Any(i => i.Item.Healing?.Registration == r)); }, ct, "a healing outcome in the stream for every registration");
        sim.Stall(true);
        await stop.CancelAsync();
        await running;

        List<NatsFeedItem> stream = await AllAsync();
        List<NatsFeedItem> outcomes = [.. stream.Where(i => i.Item.Kind == FeedItemKind.GapHealed)];
        foreach (NatsFeedItem o in outcomes)
        {
            // Each outcome follows its registration's gap message and carries that gap's bounds.
            Registration r = o.Item.Healing!.Registration;
            NatsFeedItem gap = stream.Last(i => i.StreamSequence < o.StreamSequence && i.Item.Gap?.Registrations[0] == r);
            Assert.Equal((gap.Item.Gap!.From, gap.Item.Gap.To), (o.HealedGap!.From, o.HealedGap.To));
            Assert.Equal(gap.Item.Gap.Id, o.Item.Healing.GapId);
        }

        // `record --from nats://`: every outcome stored once in gap_healing, with its gap's bounds and its stream sequence.
        string db = dir.File("rec.duckdb");
        ulong last = stream[^1].StreamSequence;
        var output = new LockedWriter();
        var console = new CliConsole(new TestConsole(), output, new StringWriter(), IsTerminal: false, _ => null);
        using (var stopRecord = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            Task<int> record = CliApp.RunAsync(["record", "all", "--venue", "all", "--from", server.Url, "--db", db], console, stopRecord.Token);
            await NatsTestKit.WaitUntilAsync(() => record.IsCompleted || Committed(output) >= last, ct, $"the recorder committed up to stream sequence {last}");
            await stopRecord.CancelAsync();
            Assert.Equal(0, await record);
        }

        using var connection = new DuckDBConnection($"Data Source={db};ACCESS_MODE=READ_ONLY");
        connection.Open();
        using DuckDBCommand c = connection.CreateCommand();
        c.CommandText = "SELECT from_time, to_time, venue, code, outcome, rest_rows FROM gap_healing ORDER BY rowid";
        List<(DateTimeOffset, DateTimeOffset, string, string, string, int)> recorded = [];
        using (DuckDBDataReader reader = c.ExecuteReader())
        {
            while (reader.Read())
            {
                recorded.Add((Utc(reader.GetDateTime(0)), Utc(reader.GetDateTime(1)), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetInt32(5)));
            }
        }

        Assert.Equal(
            outcomes.Select(o => (Micros(o.HealedGap!.From), Micros(o.HealedGap.To), o.Item.Healing!.Registration.Venue.Name(), o.Item.Healing.Registration.Code, o.Item.Healing.Outcome.ToString(), o.Item.Healing.Rows)),
            recorded);
        c.CommandText = "SELECT count(*) FROM stream_positions WHERE row_seq IS NULL";
        int gapMessages = stream.Count(i => i.Item.Kind != FeedItemKind.Trade);
        Assert.Equal(gapMessages, Convert.ToInt32(c.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture)); // gaps and outcomes, each with its position

        // The stream does not say whether its gateways ran on KIS or a simulator: the file says "unknown", never live.
        Assert.Equal(RecordingSource.Unknown($"{server.Url} stream KISFEED"), await ProgramTradeCatalog.GetSourceAsync(db, ct));
        (int infoExit, string info, string infoErr) = await KisFeed.IntegrationTests.Cli.CliHarness.RunAsync("info", "--db", db);
        Assert.True(infoExit == 0, infoErr);
        Assert.Contains($"Source  unknown: read from {server.Url} stream KISFEED", info, StringComparison.Ordinal);
        Assert.DoesNotContain("written before KisFeed stored the source", info, StringComparison.Ordinal);
    }

    private static DateTimeOffset Utc(DateTime t) => new(DateTime.SpecifyKind(t, DateTimeKind.Utc));

    /// <summary>DuckDB keeps microseconds.</summary>
    private static DateTimeOffset Micros(DateTimeOffset t) => new(t.UtcTicks - (t.UtcTicks % 10), TimeSpan.Zero);

    private static ulong Committed(LockedWriter output)
    {
        const string Marker = "committed stream seq ";
        string text = output.ToString();

        int at = text.LastIndexOf(Marker, StringComparison.Ordinal);
        if (at < 0)
        {
            return 0;
        }

        ReadOnlySpan<char> rest = text.AsSpan(at + Marker.Length);
        int end = 0;
        while (end < rest.Length && char.IsAsciiDigit(rest[end]))
        {
            end++;
        }

        return ulong.TryParse(rest[..end], out ulong seq) ? seq : 0;
    }
}
