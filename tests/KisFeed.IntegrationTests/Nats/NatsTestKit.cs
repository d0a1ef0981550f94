using System.Text;

using KisFeed.Nats;
using KisFeed.TestKit;

using NATS.Client.Core;
using NATS.Client.JetStream;

namespace KisFeed.IntegrationTests.Nats;

internal static class NatsTestKit
{
    /// <summary>Short lease timings for tests: T = 5 s, D = 2 s (simulator pings every 0.5 s, drops after 1 s unanswered), R = 1 s.</summary>
    public static NatsFeedOptions Feed => NatsFeedOptions.Default with
    {
        LeaseTtl = TimeSpan.FromSeconds(5),
        KisSilentSessionLifetime = TimeSpan.FromSeconds(2),
        LeaseRenewInterval = TimeSpan.FromSeconds(1),
        LeaseCheckInterval = TimeSpan.FromMilliseconds(50),
    };

    public static NatsConnection Connect(NatsServer server) =>
        new(NatsOpts.Default with { Url = server.Url, Name = "kisfeed-tests" });

    public static NatsJSContext Js(NatsConnection c) => new(c);

    public static CancellationTokenSource Deadline(double seconds)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(seconds));
        return cts;
    }

    public static async Task WaitUntilAsync(Func<bool> condition, CancellationToken ct, string what)
    {
        while (!condition())
        {
            try
            {
                await Task.Delay(20, ct);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail("Timed out waiting until " + what);
            }
        }
    }

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, CancellationToken ct, string what)
    {
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }

                await Task.Delay(20, ct);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail("Timed out waiting until " + what);
            }
        }
    }

    /// <summary>
    /// The received-at of <see cref="Trade"/>'s records: an hour before the test process started (whole seconds), so the
    /// records are plausible to a consumer (received before the server stored them, on their trading day).
    /// </summary>
    public static readonly DateTimeOffset TradeBase = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeSeconds());

    /// <summary>A consistent record (net = buy − sell, net residual = bid − ask), its trading date the KST day of its received-at.</summary>
    public static ProgramTrade Trade(Venue venue, string code, int i, DateTimeOffset? receivedAt = null)
    {
        DateTimeOffset at = receivedAt ?? TradeBase.AddMilliseconds(i);
        return new(
            venue, code, KoreaTime.DateOf(at), new TimeOnly(9, 0).Add(TimeSpan.FromSeconds(i % 20000)),
            1000 + i, 10_000 * (long)i, 2000 + i, 20_000 * (long)i, 1000, 10_000 * (long)i, i % 7, i % 11, (i % 11) - (i % 7), at);
    }

    /// <summary>Reads the whole stream as it is now (an ordered consumer from the first message until it is idle).</summary>
    public static async Task<List<NatsFeedItem>> ReadAllAsync(NatsJSContext js, NatsFeedOptions feed, int expectedAtLeast, CancellationToken ct)
    {
        var consumer = new FeedConsumer(js, feed);
        List<NatsFeedItem> items = [];
        var info = await js.GetStreamAsync(feed.StreamName, cancellationToken: ct);
        ulong last = info.Info.State.LastSeq;
        if (last == 0)
        {
            return items;
        }

        await foreach (NatsFeedItem item in consumer.ReadAsync([], VenueExtensions.All, FeedStart.AfterSequence(0), ct))
        {
            items.Add(item);
            if (item.StreamSequence >= last && items.Count >= expectedAtLeast)
            {
                break;
            }
        }

        return items;
    }
}

/// <summary>A console writer a test can read while the command writes (in-process CLI runs).</summary>
internal sealed class LockedWriter : TextWriter
{
    private readonly StringBuilder _text = new();

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        lock (_text)
        {
            _text.Append(value);
        }
    }

    public override void Write(string? value)
    {
        lock (_text)
        {
            _text.Append(value);
        }
    }

    public override string ToString()
    {
        lock (_text)
        {
            return _text.ToString();
        }
    }
}
