using System.Threading.Channels;

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace KisFeed.Nats;

/// <summary>Counters of a <see cref="FeedPublisher"/>.</summary>
/// <param name="Published">Messages acknowledged by JetStream as stored.</param>
/// <param name="Duplicates">Messages JetStream acknowledged as duplicates (already stored under the same id).</param>
/// <param name="Retries">Publishes that failed (no ack, timeout, disconnected) and were sent again with the same id.</param>
/// <param name="Pending">Items accepted but not yet acknowledged.</param>
public sealed record FeedPublisherStatistics(long Published, long Duplicates, long Retries, long Pending);

/// <summary>
/// Publishes program-trading records and gaps to the JetStream stream (<see cref="NatsFeedOptions.StreamName"/>): trades to
/// <c>{prefix}.pgm.{venue}.{code}</c>, gaps to <c>{prefix}.gap.{venue}.{code}</c>, payload <see cref="FeedCodec"/> v1, and
/// <c>Nats-Msg-Id</c> from the record's content and day so that a record published twice is stored once.
/// </summary>
/// <remarks>
/// Up to <see cref="NatsFeedOptions.PublishWindow"/> publishes await their ack at once. A publish that fails (the server
/// is restarting, the connection is down, the ack timed out) is sent again with the same id until it is acknowledged:
/// nothing handed to the publisher is dropped while it runs, and nothing is stored twice within the duplicate window.
/// After a retry a record may be stored after later records of its subject (values are cumulative, so the later record
/// still holds the newer totals).
/// </remarks>
public sealed class FeedPublisher : IAsyncDisposable
{
    private readonly INatsJSContext _js;
    private readonly NatsFeedOptions _options;
    private readonly ILogger _log;
    private readonly Channel<FeedItem> _input;
    private readonly Task _loop;
    private readonly CancellationTokenSource _stop = new();
    private long _published;
    private long _duplicates;
    private long _retries;
    private long _accepted;

    /// <summary>Starts a publisher on <paramref name="js"/>. Call <see cref="EnsureStreamAsync"/> once per deployment first.</summary>
    public FeedPublisher(INatsJSContext js, NatsFeedOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(js);
        _js = js;
        _options = options ?? NatsFeedOptions.Default;
        _options.Validate();
        _log = loggerFactory?.CreateLogger<FeedPublisher>() ?? NullLogger<FeedPublisher>.Instance;
        _input = Channel.CreateBounded<FeedItem>(new BoundedChannelOptions(64 * 1024) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>Counters so far.</summary>
    public FeedPublisherStatistics Statistics
    {
        get
        {
            long published = Interlocked.Read(ref _published), duplicates = Interlocked.Read(ref _duplicates);
            return new FeedPublisherStatistics(published, duplicates, Interlocked.Read(ref _retries), Interlocked.Read(ref _accepted) - published - duplicates);
        }
    }

    /// <summary>Creates the stream, or updates its settings: file storage, subjects <c>{prefix}.&gt;</c>, the duplicate window and max age.</summary>
    public static async Task<INatsJSStream> EnsureStreamAsync(INatsJSContext js, NatsFeedOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(js);
        options ??= NatsFeedOptions.Default;
        options.Validate();
        var config = new StreamConfig(options.StreamName, [FeedSubjects.All(options.SubjectPrefix)])
        {
            Storage = StreamConfigStorage.File,
            Retention = StreamConfigRetention.Limits,
            Discard = StreamConfigDiscard.Old,
            DuplicateWindow = options.DuplicateWindow,
            MaxAge = options.StreamMaxAge,
            AllowDirect = true,
            NumReplicas = options.Replicas,
        };
        return await js.CreateOrUpdateStreamAsync(config, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Queues one item (waits while 64 k items are queued). A healing outcome is published with the bounds of its gap,
    /// which must have been queued before it (as a client's feed orders them); one whose gap this publisher never saw
    /// takes the still-missing period as its bounds, as the recorder does.
    /// </summary>
    public async ValueTask EnqueueAsync(FeedItem item, CancellationToken cancellationToken = default)
    {
        int count = item.Kind == FeedItemKind.Gap ? item.Gap!.Registrations.Count : 1;
        if (!_input.Writer.TryWrite(item))
        {
            await _input.Writer.WriteAsync(item, cancellationToken).ConfigureAwait(false);
        }

        // Counted once accepted (a cancelled wait is not pending work).
        Interlocked.Add(ref _accepted, count);
    }

    /// <summary>Publishes every item of <paramref name="source"/>; returns when the source ends and every item is acknowledged.</summary>
    public async Task PublishAllAsync(IAsyncEnumerable<FeedItem> source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        await foreach (FeedItem item in source.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            await EnqueueAsync(item, cancellationToken).ConfigureAwait(false);
        }

        await DrainAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits until every item queued so far is acknowledged.</summary>
    public async Task DrainAsync(CancellationToken cancellationToken = default)
    {
        long target = Interlocked.Read(ref _accepted);
        while (Interlocked.Read(ref _published) + Interlocked.Read(ref _duplicates) < target)
        {
            if (_loop.IsCompleted)
            {
                await _loop.ConfigureAwait(false);
                throw new InvalidOperationException("The publisher stopped.");
            }

            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task RunAsync(CancellationToken stop)
    {
        var inFlight = new Queue<Pending>(_options.PublishWindow);
        ChannelReader<FeedItem> reader = _input.Reader;
        try
        {
            while (true)
            {
                // Fill the window from what is queued; wait for input only when nothing is in flight.
                while (inFlight.Count < _options.PublishWindow && reader.TryRead(out FeedItem item))
                {
                    foreach (Pending p in Messages(item))
                    {
                        inFlight.Enqueue(Send(p, stop));
                    }
                }

                if (inFlight.Count == 0)
                {
                    if (!await reader.WaitToReadAsync(stop).ConfigureAwait(false))
                    {
                        return;
                    }

                    continue;
                }

                Pending oldest = inFlight.Dequeue();
                await CompleteAsync(oldest, stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private IEnumerable<Pending> Messages(FeedItem item)
    {
        string prefix = _options.SubjectPrefix;
        if (item.Kind == FeedItemKind.Trade)
        {
            ProgramTrade t = item.Trade;
            byte[] payload = FeedCodec.EncodeTrade(t);
            yield return new Pending(FeedSubjects.Trade(prefix, t.Venue, t.Code), payload, FeedCodec.TradeMessageId(t, payload));
        }
        else if (item.Gap is { } gap)
        {
            if (_gaps.Count >= MaxRememberedGaps)
            {
                _gaps.Clear(); // gaps whose healing never came (healing off): forget them rather than grow
            }

            foreach (Registration r in gap.Registrations)
            {
                _gaps[(gap.Id, r)] = (gap.From, gap.To);
                yield return new Pending(FeedSubjects.Gap(prefix, r.Venue, r.Code), FeedCodec.EncodeGap(gap, r), FeedCodec.GapMessageId(gap, r));
            }
        }
        else if (item.Healing is { } report)
        {
            Registration r = report.Registration;
            (DateTimeOffset from, DateTimeOffset to) = _gaps.Remove((report.GapId, r), out var bounds)
                ? bounds
                : (report.StillMissingFrom ?? default, report.StillMissingTo ?? default);
            yield return new Pending(FeedSubjects.Healing(prefix, r.Venue, r.Code), FeedCodec.EncodeHealing(report, from, to), FeedCodec.HealingMessageId(r, from, to));
        }
    }

    // The gaps queued so far, per registration, until their healing outcome is published (only the publish loop uses it).
    private const int MaxRememberedGaps = 100_000;
    private readonly Dictionary<(long GapId, Registration Registration), (DateTimeOffset From, DateTimeOffset To)> _gaps = [];

    private Pending Send(Pending p, CancellationToken stop)
    {
        p.Ack = _js.PublishAsync(p.Subject, p.Payload, opts: new NatsJSPubOpts { MsgId = p.MsgId }, cancellationToken: stop).AsTask();
        return p;
    }

    private async Task CompleteAsync(Pending p, CancellationToken stop)
    {
        int attempt = 0;
        while (true)
        {
            try
            {
                PubAckResponse ack = await p.Ack!.ConfigureAwait(false);
                if (ack.Duplicate)
                {
                    // Stored before under the same id (EnsureSuccess would throw for this): the dedup doing its job.
                    Interlocked.Increment(ref _duplicates);
                    return;
                }

                ack.EnsureSuccess();
                Interlocked.Increment(ref _published);
                return;
            }
            catch (Exception ex) when (ex is NatsException or TimeoutException or NatsJSApiException || (ex is OperationCanceledException && !stop.IsCancellationRequested))
            {
                attempt++;
                Interlocked.Increment(ref _retries);
                if (attempt == 1 || attempt % 20 == 0)
                {
                    Log.PublishRetry(_log, p.Subject, attempt, ex.Message);
                }

                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, 50 * attempt)), stop).ConfigureAwait(false);
                Send(p, stop);
            }
        }
    }

    /// <summary>
    /// Stops at once, giving up what is not acknowledged yet (<see cref="FeedPublisherStatistics.Pending"/> says how
    /// much): the gateway's bounded stop, after <see cref="DrainAsync"/> ran out of time. Dispose afterwards.
    /// </summary>
    internal async Task AbortAsync()
    {
        _input.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Publishes what is queued, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _input.Writer.TryComplete();
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _loop.WaitAsync(grace.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        _stop.Dispose();
    }

    private sealed class Pending(string subject, byte[] payload, string msgId)
    {
        public string Subject { get; } = subject;

        public byte[] Payload { get; } = payload;

        public string MsgId { get; } = msgId;

        public Task<PubAckResponse>? Ack { get; set; }
    }
}
