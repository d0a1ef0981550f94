using System.Threading.Channels;

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

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
/// Order per (venue, code) is kept across retries and leader changes: each registration has at most one publish in
/// flight, and the next one is sent only after it was acknowledged (many registrations are in flight at once, so the
/// window still fills); a failed publish is retried before anything newer of its registration.
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
        _tags = [.. new[] { "trade", "gap", "heal" }.Select(kind => new KeyValuePair<string, object?>[] { new("kind", kind), new("stream", _options.StreamName) })];
        _input = Channel.CreateBounded<FeedItem>(new BoundedChannelOptions(64 * 1024) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>
    /// Marks every payload as data from a simulator (<see cref="FeedCodec.MarkSimulated"/>, version 3). Set it when the
    /// records come from a simulator, never for the market. Default false.
    /// </summary>
    public bool Simulated { get; init; }

    /// <summary>Counters so far.</summary>
    public FeedPublisherStatistics Statistics
    {
        get
        {
            long published = Interlocked.Read(ref _published), duplicates = Interlocked.Read(ref _duplicates);
            return new FeedPublisherStatistics(published, duplicates, Interlocked.Read(ref _retries), Interlocked.Read(ref _accepted) - published - duplicates);
        }
    }

    /// <summary>
    /// Creates the stream, or updates its settings: file storage, subjects <c>{prefix}.&gt;</c>, the duplicate window and
    /// max age. Any number of processes may call it at the same moment: while NATS is only slow (a fresh cluster without
    /// a meta leader yet, JetStream starting, no responders, API timeouts, a racing create) it retries with backoff
    /// until <see cref="NatsFeedOptions.StartTimeout"/>, and it returns once the stream has a leader.
    /// </summary>
    /// <exception cref="NatsFeedUnavailableException">NATS did not become usable within <see cref="NatsFeedOptions.StartTimeout"/>.</exception>
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
        ILogger log = js.Connection.Opts.LoggerFactory.CreateLogger<FeedPublisher>();
        string what = $"stream {options.StreamName}";
        await NatsStart.UntilReadyAsync(js.Connection, token => js.CreateOrUpdateStreamAsync(config, token).AsTask(), what, options, log, cancellationToken, notFoundIsTransient: true).ConfigureAwait(false);
        return await NatsStart.StreamReadyAsync(js, options.StreamName, what, options, log, cancellationToken).ConfigureAwait(false);
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
        Wake();
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
        ChannelReader<FeedItem> reader = _input.Reader;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                // A new wake-up first, then look at every source: a signal that comes while looking is not lost.
                Volatile.Write(ref _wakeup, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                while (_completed.TryDequeue(out Pending? done))
                {
                    Complete(done, stop);
                }

                while (_inFlight < _options.PublishWindow && _held < MaxHeld && reader.TryRead(out FeedItem item))
                {
                    foreach (Pending p in Messages(item))
                    {
                        Dispatch(p, stop);
                    }
                }

                if (_held == 0 && reader.Completion.IsCompleted)
                {
                    return;
                }

                if (_completed.IsEmpty && (_inFlight >= _options.PublishWindow || _held >= MaxHeld || !reader.TryPeek(out _)))
                {
                    await Volatile.Read(ref _wakeup).Task.WaitAsync(stop).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private void Wake() => Volatile.Read(ref _wakeup).TrySetResult();

    // Per (venue, code): at most one message in flight, the others wait here in order. A message is sent only once the
    // one before it on its registration is acknowledged, so a publish that failed (a leader change, a reconnect that
    // flushed later messages first) is retried and stored before anything newer of that registration.
    private void Dispatch(Pending p, CancellationToken stop)
    {
        _held++;
        if (_waiting.TryGetValue(p.Key, out Queue<Pending>? queue))
        {
            queue.Enqueue(p);
            return;
        }

        _waiting[p.Key] = new Queue<Pending>();
        Send(p, stop);
    }

    private void Send(Pending p, CancellationToken stop)
    {
        _inFlight++;
        p.Ack = _js.PublishAsync(p.Subject, p.Payload, opts: new NatsJSPubOpts { MsgId = p.MsgId }, cancellationToken: stop).AsTask();
        Watch(p);
    }

    private void Watch(Pending p) =>
        p.Ack!.ContinueWith(static (_, state) =>
        {
            var pending = (Pending)state!;
            pending.Owner._completed.Enqueue(pending);
            pending.Owner.Wake();
        }, p, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private void Complete(Pending p, CancellationToken stop)
    {
        _inFlight--;
        Task<PubAckResponse> ack = p.Ack!;
        if (ack.IsCompletedSuccessfully && ack.Result is { } response && (response.Duplicate || response.Error is null))
        {
            if (response.Duplicate)
            {
                // Stored before under the same id: the dedup doing its job.
                Interlocked.Increment(ref _duplicates);
                NatsMetrics.Duplicates.Add(1, p.KindTag);
            }
            else
            {
                Interlocked.Increment(ref _published);
                NatsMetrics.Published.Add(1, p.KindTag);
            }

            _held--;
            Queue<Pending> queue = _waiting[p.Key];
            if (queue.TryDequeue(out Pending? next))
            {
                Send(next, stop);
            }
            else
            {
                _waiting.Remove(p.Key);
            }

            return;
        }

        if (stop.IsCancellationRequested)
        {
            return;
        }

        // No ack, a timeout, a disconnect, or an error ack: send it again with the same id, its registration still held.
        p.Attempt++;
        Interlocked.Increment(ref _retries);
        NatsMetrics.PublishRetries.Add(1, p.KindTag);
        if (p.Attempt == 1 || p.Attempt % 20 == 0)
        {
            string error = ack.Exception?.GetBaseException().Message ?? (ack.IsCanceled ? "cancelled" : ack.Result.Error?.Description ?? "error ack");
            Log.PublishRetry(_log, p.Subject, p.Attempt, error);
        }

        _inFlight++;
        p.Ack = RetryAsync(p, TimeSpan.FromMilliseconds(Math.Min(1000, 50 * p.Attempt)), stop);
        Watch(p);
    }

    private async Task<PubAckResponse> RetryAsync(Pending p, TimeSpan delay, CancellationToken stop)
    {
        await Task.Delay(delay, stop).ConfigureAwait(false);
        return await _js.PublishAsync(p.Subject, p.Payload, opts: new NatsJSPubOpts { MsgId = p.MsgId }, cancellationToken: stop).ConfigureAwait(false);
    }

    // What the publish loop owns (only it touches these): messages in flight and waiting per registration.
    private const int MaxHeld = 64 * 1024;
    private readonly Dictionary<(Venue Venue, string Code), Queue<Pending>> _waiting = [];
    private readonly System.Collections.Concurrent.ConcurrentQueue<Pending> _completed = new();
    private TaskCompletionSource _wakeup = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _inFlight;
    private int _held;

    private IEnumerable<Pending> Messages(FeedItem item)
    {
        string prefix = _options.SubjectPrefix;
        if (item.Kind == FeedItemKind.Trade)
        {
            ProgramTrade t = item.Trade;
            byte[] payload = Marked(FeedCodec.EncodeTrade(t));
            yield return new Pending(this, (t.Venue, t.Code), TradeTag, FeedSubjects.Trade(prefix, t.Venue, t.Code), payload, FeedCodec.TradeMessageId(t, payload));
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
                yield return new Pending(this, (r.Venue, r.Code), GapTag, FeedSubjects.Gap(prefix, r.Venue, r.Code), Marked(FeedCodec.EncodeGap(gap, r)), FeedCodec.GapMessageId(gap, r));
            }
        }
        else if (item.Healing is { } report)
        {
            Registration r = report.Registration;
            (DateTimeOffset from, DateTimeOffset to) = _gaps.Remove((report.GapId, r), out var bounds)
                ? bounds
                : (report.StillMissingFrom ?? default, report.StillMissingTo ?? default);
            yield return new Pending(this, (r.Venue, r.Code), HealTag, FeedSubjects.Healing(prefix, r.Venue, r.Code), Marked(FeedCodec.EncodeHealing(report, from, to)), FeedCodec.HealingMessageId(r, from, to));
        }
    }

    private byte[] Marked(byte[] payload)
    {
        if (Simulated)
        {
            FeedCodec.MarkSimulated(payload);
        }

        return payload;
    }

    // The gaps queued so far, per registration, until their healing outcome is published (only the publish loop uses it).
    private const int MaxRememberedGaps = 100_000;
    private readonly Dictionary<(long GapId, Registration Registration), (DateTimeOffset From, DateTimeOffset To)> _gaps = [];

    // Instrument tags: the kind of message and the stream (so deployments with several streams are told apart).
    private KeyValuePair<string, object?>[] TradeTag => _tags[0];

    private KeyValuePair<string, object?>[] GapTag => _tags[1];

    private KeyValuePair<string, object?>[] HealTag => _tags[2];

    private readonly KeyValuePair<string, object?>[][] _tags;

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
        Wake();
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

    private sealed class Pending(FeedPublisher owner, (Venue, string) key, KeyValuePair<string, object?>[] kindTag, string subject, byte[] payload, string msgId)
    {
        public FeedPublisher Owner { get; } = owner;

        public (Venue Venue, string Code) Key { get; } = key;

        public KeyValuePair<string, object?>[] KindTag { get; } = kindTag;

        public int Attempt { get; set; }

        public string Subject { get; } = subject;

        public byte[] Payload { get; } = payload;

        public string MsgId { get; } = msgId;

        public Task<PubAckResponse>? Ack { get; set; }
    }
}
