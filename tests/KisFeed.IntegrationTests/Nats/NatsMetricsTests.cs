using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

using KisFeed.Nats;
using KisFeed.TestKit;

using NATS.Client.JetStream;

namespace KisFeed.IntegrationTests.Nats;

/// <summary>The <c>KisFeed</c> meter's NATS instruments, read with a <see cref="MeterListener"/> as dotnet-counters or OpenTelemetry would.</summary>
public sealed class NatsMetricsTests
{
    [Fact]
    public async Task PublishesDedupHitsAndRejectionsAreCountedOnTheKisFeedMeter()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(60);
        CancellationToken ct = deadline.Token;
        await using NatsServer server = await NatsServer.StartAsync(ct);
        await using var nats = NatsTestKit.Connect(server);
        NatsJSContext js = NatsTestKit.Js(nats);
        // Its own stream name: the instruments are process-wide and other tests publish at the same time.
        NatsFeedOptions feed = NatsTestKit.Feed with { StreamName = "METRICS" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant() };
        await FeedPublisher.EnsureStreamAsync(js, feed, ct);

        var counts = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "KisFeed" && instrument.Name.StartsWith("kisfeed.nats.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? stream = null, detail = null;
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "stream")
                {
                    stream = tag.Value as string;
                }
                else if (tag.Key is "kind" or "reason")
                {
                    detail = tag.Value as string;
                }
            }

            if (stream == feed.StreamName)
            {
                counts.AddOrUpdate($"{instrument.Name}/{detail}", value, (_, v) => v + value);
            }
        });
        listener.Start();

        List<FeedItem> items = [.. Enumerable.Range(1, 40).Select(i => FeedItem.FromTrade(NatsTestKit.Trade(Venue.Krx, "005930", i)))];
        var gap = new DataGap(1, NatsTestKit.TradeBase, NatsTestKit.TradeBase.AddSeconds(2), [new Registration(Venue.Krx, "005930")], "drop");
        await js.PublishAsync("kisfeed.pgm.krx.005930", new byte[] { 1, 1, 0 }, cancellationToken: ct); // a truncated trade, read first
        await using (var first = new FeedPublisher(js, feed))
        {
            await first.PublishAllAsync(items.Append(FeedItem.FromGap(gap)).ToAsyncEnumerable(), ct);
        }

        await using (var again = new FeedPublisher(js, feed))
        {
            await again.PublishAllAsync(items.Take(15).ToAsyncEnumerable(), ct);
        }

        var consumer = new FeedConsumer(js, feed);
        int read = 0;
        await foreach (NatsFeedItem _ in consumer.ReadAsync([], VenueExtensions.All, FeedStart.AfterSequence(0), ct))
        {
            if (++read == 41)
            {
                break;
            }
        }

        Assert.Equal(1, counts.GetValueOrDefault("kisfeed.nats.rejected/Truncated"));
        Assert.Equal(40, counts.GetValueOrDefault("kisfeed.nats.published/trade"));
        Assert.Equal(1, counts.GetValueOrDefault("kisfeed.nats.published/gap"));
        Assert.Equal(15, counts.GetValueOrDefault("kisfeed.nats.duplicates/trade"));
        Assert.Equal(0, counts.GetValueOrDefault("kisfeed.nats.publish_retries/trade"));
    }
}
