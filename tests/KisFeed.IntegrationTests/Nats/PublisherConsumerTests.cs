using KisFeed.Nats;
using KisFeed.TestKit;

using NATS.Client.JetStream;

namespace KisFeed.IntegrationTests.Nats;

/// <summary>Publisher and consumer against a real nats-server with JetStream.</summary>
public sealed class PublisherConsumerTests
{
    [Fact]
    public async Task RepublishedRecordsAreStoredOnceAndReadBackExactly()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(30);
        await using NatsServer server = await NatsServer.StartAsync(deadline.Token);
        await using var nats = NatsTestKit.Connect(server);
        NatsJSContext js = NatsTestKit.Js(nats);
        NatsFeedOptions feed = NatsTestKit.Feed;
        await FeedPublisher.EnsureStreamAsync(js, feed, deadline.Token);

        List<ProgramTrade> trades = [.. Enumerable.Range(1, 300).Select(i => NatsTestKit.Trade(i % 2 == 0 ? Venue.Nxt : Venue.Krx, i % 3 == 0 ? "005930" : "000660", i))];
        var gap = new DataGap(7, DateTimeOffset.UtcNow.AddSeconds(-3), DateTimeOffset.UtcNow, [new Registration(Venue.Nxt, "005930"), new Registration(Venue.Krx, "005930")], "test drop");

        await using (var first = new FeedPublisher(js, feed))
        {
            await first.PublishAllAsync(trades.Select(t => FeedItem.FromTrade(t)).Append(FeedItem.FromGap(gap)).ToAsyncEnumerable(), deadline.Token);
            Assert.Equal(302, first.Statistics.Published);
            Assert.Equal(0, first.Statistics.Duplicates);
        }

        // A restarted gateway publishing the same records again, received at another time: stored once.
        await using (var second = new FeedPublisher(js, feed))
        {
            IEnumerable<FeedItem> again = trades.Select(t => FeedItem.FromTrade(t with { ReceivedAt = t.ReceivedAt.AddMinutes(1) })).Append(FeedItem.FromGap(gap with { Id = 99 }));
            await second.PublishAllAsync(again.ToAsyncEnumerable(), deadline.Token);
            Assert.Equal(0, second.Statistics.Published);
            Assert.Equal(302, second.Statistics.Duplicates);
        }

        var stream = await js.GetStreamAsync(feed.StreamName, cancellationToken: deadline.Token);
        Assert.Equal(302L, stream.Info.State.Messages);

        List<NatsFeedItem> all = await NatsTestKit.ReadAllAsync(js, feed, 302, deadline.Token);
        // Each registration's records in the order they were handed over (order across registrations is not promised:
        // each registration has one publish in flight, so a failed one is retried before anything newer of its own).
        List<ProgramTrade> stored = [.. all.Where(i => i.Item.Kind == FeedItemKind.Trade).Select(i => i.Item.Trade)];
        Assert.Equal(trades.Count, stored.Count);
        foreach (IGrouping<(Venue, string), ProgramTrade> registration in trades.GroupBy(t => (t.Venue, t.Code)))
        {
            Assert.Equal(registration, stored.Where(t => (t.Venue, t.Code) == registration.Key));
        }
        List<DataGap> gaps = [.. all.Where(i => i.Item.Kind == FeedItemKind.Gap).Select(i => i.Item.Gap!)];
        Assert.Equal(2, gaps.Count);
        Assert.All(gaps, g => Assert.Equal((gap.From.UtcTicks, gap.To.UtcTicks, "test drop"), (g.From.UtcTicks, g.To.UtcTicks, g.Reason)));
        Assert.Equal(all.Select(i => i.StreamSequence).Order(), all.Select(i => i.StreamSequence));

        // Filtering: one code, one venue (trades and its gap), as a local client would get them.
        var consumer = new FeedConsumer(js, feed);
        List<FeedItem> nxtSamsung = [];
        int expected = trades.Count(t => t.Venue == Venue.Nxt && t.Code == "005930") + 1;
        await foreach (FeedItem item in consumer.FeedAsync(["005930"], [Venue.Nxt], FeedStart.AfterSequence(0), deadline.Token))
        {
            nxtSamsung.Add(item);
            if (nxtSamsung.Count == expected)
            {
                break;
            }
        }

        Assert.All(nxtSamsung, i => Assert.True(i.Kind == FeedItemKind.Gap ? i.Gap!.Registrations[0] == new Registration(Venue.Nxt, "005930") : i.Trade is { Venue: Venue.Nxt, Code: "005930" }));
    }

    [Fact]
    public async Task ADurableConsumerResumesAfterTheLastItemItWasAskedPast()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(30);
        await using NatsServer server = await NatsServer.StartAsync(deadline.Token);
        await using var nats = NatsTestKit.Connect(server);
        NatsJSContext js = NatsTestKit.Js(nats);
        NatsFeedOptions feed = NatsTestKit.Feed;
        await FeedPublisher.EnsureStreamAsync(js, feed, deadline.Token);
        DateTimeOffset now = DateTimeOffset.UtcNow;
        List<ProgramTrade> trades = [.. Enumerable.Range(1, 20).Select(i => NatsTestKit.Trade(Venue.Nxt, "005930", i, now))];
        await using (var publisher = new FeedPublisher(js, feed))
        {
            await publisher.PublishAllAsync(trades.Select(t => FeedItem.FromTrade(t)).ToAsyncEnumerable(), deadline.Token);
        }

        var consumer = new FeedConsumer(js, feed);
        List<ProgramTrade> firstRun = [];
        await foreach (ProgramTrade t in consumer.ProgramTradesAsync(["005930"], [Venue.Nxt], FeedStart.Durable("board"), deadline.Token))
        {
            firstRun.Add(t);
            if (firstRun.Count == 8)
            {
                break;
            }
        }

        List<ProgramTrade> secondRun = [];
        await foreach (ProgramTrade t in consumer.ProgramTradesAsync(["005930"], [Venue.Nxt], FeedStart.Durable("board"), deadline.Token))
        {
            secondRun.Add(t);
            if (secondRun.Count == 12)
            {
                break;
            }
        }

        // Items 1..7 were consumed (the reader asked past them); item 8 was being handled when the reader left, so it comes again.
        Assert.Equal(trades[..8], firstRun);
        Assert.Equal(trades[7..19], secondRun);
    }

    [Fact]
    public async Task ARestartOfNatsServerMidStreamLosesNothingThatWasQueued()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(60);
        await using NatsServer server = await NatsServer.StartAsync(deadline.Token);
        await using var nats = NatsTestKit.Connect(server);
        NatsJSContext js = NatsTestKit.Js(nats);
        NatsFeedOptions feed = NatsTestKit.Feed;
        await FeedPublisher.EnsureStreamAsync(js, feed, deadline.Token);
        const int Total = 4000;
        await using var publisher = new FeedPublisher(js, feed);
        long storedBeforeRestart = -1;
        for (int i = 1; i <= Total; i++)
        {
            await publisher.EnqueueAsync(FeedItem.FromTrade(NatsTestKit.Trade(Venue.Krx, "035420", i)), deadline.Token);
            if (i == Total / 2)
            {
                await NatsTestKit.WaitUntilAsync(() => publisher.Statistics.Published >= Total / 4, deadline.Token, "a quarter is stored before the restart");
                storedBeforeRestart = publisher.Statistics.Published;
                await server.RestartAsync(deadline.Token);
            }
        }

        await publisher.DrainAsync(deadline.Token);
        FeedPublisherStatistics stats = publisher.Statistics;
        Assert.Equal(Total, stats.Published + stats.Duplicates);
        Assert.InRange(storedBeforeRestart, Total / 4, Total / 2);
        TestContext.Current.SendDiagnosticMessage($"restart after {storedBeforeRestart} stored; {stats}");

        List<NatsFeedItem> stored = await NatsTestKit.ReadAllAsync(js, feed, Total, deadline.Token);
        Assert.Equal(Total, stored.Count);
        Assert.Equal(Enumerable.Range(1, Total).Select(i => NatsTestKit.Trade(Venue.Krx, "035420", i)).ToHashSet(), stored.Select(s => s.Item.Trade).ToHashSet());
    }
}
