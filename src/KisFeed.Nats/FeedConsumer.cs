using System.Runtime.CompilerServices;

using Microsoft.Extensions.Logging;

using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace KisFeed.Nats;

/// <summary>
/// Reads the stream for a set of codes and venues as trades and gaps in stream order, so a consumer on another machine
/// looks like a local client (<see cref="ProgramTradesAsync"/> is the same shape as <c>KisRealtimeClient.ProgramTradesAsync</c>).
/// </summary>
/// <remarks>
/// <para>Every message is checked (<see cref="FeedCodec.TryDecode"/>) before it is handed on: a bad, damaged or forged
/// message is skipped, counted by reason (<see cref="Statistics"/>, the <c>kisfeed.nats.rejected</c> instrument) and
/// reported in a rate-limited log line; it never ends the read. A recorder that sets <see cref="YieldRejected"/> gets a
/// raw copy of each, in stream order, so its position moves past it.</para>
/// <para>A read survives what the stream survives: when its server-side consumer stops answering (its node died, the
/// connection moved, a request to a dead node's share went unanswered) it is re-created after the last message read,
/// so nothing is skipped or read twice. Starting waits up to <see cref="NatsFeedOptions.StartTimeout"/> for the stream.</para>
/// </remarks>
public sealed class FeedConsumer
{
    private static readonly NatsJSConsumeOpts ConsumeOpts = new() { MaxMsgs = 1000, Expires = TimeSpan.FromSeconds(10), IdleHeartbeat = TimeSpan.FromSeconds(2) };

    private readonly INatsJSContext _js;
    private readonly INatsJSContext _api;
    private readonly NatsFeedOptions _options;
    private readonly ILogger _log;
    private readonly RejectionReporter _reporter;
    private readonly long[] _byReason = new long[Enum.GetValues<FeedRejectReason>().Length];
    private long _read;
    private long _simulatedRead;
    private long _liveRead;
    private long _restarts;

    /// <summary>A consumer of the stream named in <paramref name="options"/> (default <see cref="NatsFeedOptions.Default"/>).</summary>
    /// <param name="js">The JetStream context (its connection's logger factory is used when <paramref name="loggerFactory"/> is null).</param>
    /// <param name="options">Stream name, subject prefix, timeouts.</param>
    /// <param name="loggerFactory">Where rejected messages and consumer restarts are reported.</param>
    public FeedConsumer(INatsJSContext js, NatsFeedOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        _js = js ?? throw new ArgumentNullException(nameof(js));
        _options = options ?? NatsFeedOptions.Default;
        _log = (loggerFactory ?? js.Connection.Opts.LoggerFactory).CreateLogger<FeedConsumer>();
        _reporter = new RejectionReporter(_log, TimeProvider.System);

        // Consumer create/delete requests with a short timeout: one that lands on a dead node's share is sent again.
        _api = NatsStart.ShortTimeoutContext(js, _options.ApiTimeout);
    }

    /// <summary>
    /// When true, <see cref="ReadAsync"/> also yields every rejected message (with <see cref="NatsFeedItem.Rejected"/>
    /// set and a default <see cref="NatsFeedItem.Item"/>), so a recorder can keep its raw copy and its stream position.
    /// Default false: only good items.
    /// </summary>
    public bool YieldRejected { get; init; }

    /// <summary>
    /// Whether what this consumer read so far is simulated, as the gateways marked it (<see cref="NatsFeedItem.Simulated"/>):
    /// true once any message from a simulator was read, false when every message read was live, null before the first.
    /// </summary>
    public bool? Simulated => Interlocked.Read(ref _simulatedRead) > 0 ? true : Interlocked.Read(ref _liveRead) > 0 ? false : null;

    /// <summary>Counters of every read of this consumer so far.</summary>
    public FeedConsumerStatistics Statistics
    {
        get
        {
            Dictionary<FeedRejectReason, long> byReason = [];
            long total = 0;
            for (int i = 1; i < _byReason.Length; i++)
            {
                long n = Interlocked.Read(ref _byReason[i]);
                if (n > 0)
                {
                    byReason[(FeedRejectReason)i] = n;
                    total += n;
                }
            }

            return new FeedConsumerStatistics(Interlocked.Read(ref _read), total, byReason, Interlocked.Read(ref _restarts));
        }
    }

    /// <summary>Program-trading updates only (gaps and healing outcomes skipped), like a local client's stream.</summary>
    public async IAsyncEnumerable<ProgramTrade> ProgramTradesAsync(IEnumerable<string> codes, IEnumerable<Venue> venues, FeedStart start, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (NatsFeedItem item in ReadAsync(codes, venues, start, cancellationToken).ConfigureAwait(false))
        {
            if (item.Rejected is null && item.Item.Kind == FeedItemKind.Trade)
            {
                yield return item.Item.Trade;
            }
        }
    }

    /// <summary>Trades, gaps and healing outcomes in stream order (the shape of <c>FeedAsync</c> on a local client).</summary>
    public async IAsyncEnumerable<FeedItem> FeedAsync(IEnumerable<string> codes, IEnumerable<Venue> venues, FeedStart start, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (NatsFeedItem item in ReadAsync(codes, venues, start, cancellationToken).ConfigureAwait(false))
        {
            if (item.Rejected is null)
            {
                yield return item.Item;
            }
        }
    }

    /// <summary>
    /// Trades and gaps for <paramref name="codes"/> (empty = every code) × <paramref name="venues"/>, with stream sequences.
    /// Arguments are checked at once; reading starts when enumeration starts and leaving the loop stops the consumer
    /// (a durable consumer stays on the server with its position).
    /// </summary>
    /// <exception cref="NatsFeedUnavailableException">The stream could not be opened within <see cref="NatsFeedOptions.StartTimeout"/>.</exception>
    public IAsyncEnumerable<NatsFeedItem> ReadAsync(IEnumerable<string> codes, IEnumerable<Venue> venues, FeedStart start, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(codes);
        ArgumentNullException.ThrowIfNull(venues);
        ArgumentNullException.ThrowIfNull(start);
        HashSet<string> codeSet = [.. codes.Select(c => c.Trim())];
        HashSet<Venue> venueSet = [.. venues];
        if (venueSet.Count == 0)
        {
            throw new ArgumentException("At least one venue is needed.", nameof(venues));
        }

        if (start is FeedStart.DurableStart d && (string.IsNullOrWhiteSpace(d.Name) || d.Name.AsSpan().IndexOfAny(". *>") >= 0))
        {
            throw new ArgumentException("A durable name must be non-empty without '.', '*', '>' or spaces.", nameof(start));
        }

        return ReadCoreAsync(codeSet, venueSet, start, cancellationToken);
    }

    private async IAsyncEnumerable<NatsFeedItem> ReadCoreAsync(HashSet<string> codes, HashSet<Venue> venues, FeedStart start, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string filter = FeedSubjects.Filter(_options.SubjectPrefix, codes, venues);
        string stream = _options.StreamName;
        await NatsStart.UntilReadyAsync(_api.Connection, token => _api.GetStreamAsync(stream, cancellationToken: token).AsTask(), $"stream {stream}", _options, _log, cancellationToken, notFoundIsTransient: true).ConfigureAwait(false);
        bool ack = start is FeedStart.DurableStart;
        ulong last = 0;
        int attempt = 0;
        FeedStart from = start;
        NatsRefusals.Tracker refusals = NatsRefusals.Watch(_api.Connection);
        while (true)
        {
            long attemptStarted = TimeProvider.System.GetTimestamp();
            INatsJSConsumer? consumer = null;
            Exception? failure = null;
            try
            {
                consumer = await CreateConsumerAsync(filter, from, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (NatsStart.IsTransient(ex, notFoundIsTransient: true, cancellationToken))
            {
                failure = ex;
            }

            if (consumer is not null)
            {
                // No message and no heartbeat for twice the heartbeat interval: the consumer's node is gone; start over.
                using var stalled = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                NatsJSConsumeOpts opts = ConsumeOpts with
                {
                    NotificationHandler = (notification, _) =>
                    {
                        if (notification is NatsJSTimeoutNotification)
                        {
                            stalled.Cancel();
                        }

                        return Task.CompletedTask;
                    },
                };
                IAsyncEnumerator<INatsJSMsg<byte[]>> messages = consumer.ConsumeAsync<byte[]>(opts: opts, cancellationToken: stalled.Token).GetAsyncEnumerator(stalled.Token);
                ulong consumerSeq = 0;
                try
                {
                    while (true)
                    {
                        (bool more, failure) = await MoveAsync(messages, cancellationToken).ConfigureAwait(false);
                        if (!more)
                        {
                            failure ??= stalled.IsCancellationRequested ? new TimeoutException("no message or heartbeat from the stream consumer") : null;
                            break;
                        }

                        INatsJSMsg<byte[]> msg = messages.Current;
                        ulong seq = msg.Metadata?.Sequence.Stream ?? 0;
                        if (!ack && msg.Metadata is { } meta && meta.Sequence.Consumer != ++consumerSeq)
                        {
                            failure = new NatsJSException($"consumer sequence {meta.Sequence.Consumer}, expected {consumerSeq}: a message was missed");
                            break;
                        }

                        if (seq != 0 && seq <= last)
                        {
                            // Read before the consumer was re-created: already handed on.
                            await AckAsync(msg, ack, cancellationToken).ConfigureAwait(false);
                            continue;
                        }

                        last = seq;
                        attempt = 0;
                        if (Handle(msg, seq, codes, venues) is { } item)
                        {
                            yield return item;
                        }

                        await AckAsync(msg, ack, cancellationToken).ConfigureAwait(false);
                    }
                }
                finally
                {
                    await DisposeQuietlyAsync(messages).ConfigureAwait(false);
                    if (!ack)
                    {
                        _ = DeleteQuietlyAsync(consumer.Info.Name);
                    }
                }
            }

            cancellationToken.ThrowIfCancellationRequested();
            NatsStart.ThrowIfRefused(refusals, attemptStarted, $"a consumer of stream {stream} ({filter})");
            attempt++;
            Interlocked.Increment(ref _restarts);
            NatsMetrics.ConsumerRestarts.Add(1, new KeyValuePair<string, object?>("stream", stream));
            Log.ConsumerRestart(_log, stream, filter, last, attempt, failure?.Message ?? "the consumer ended");
            await Task.Delay(NatsStart.Backoff(attempt), cancellationToken).ConfigureAwait(false);

            // A durable resumes from its ack floor; any other read right after the last message it saw.
            from = ack || last == 0 ? start : FeedStart.AfterSequence(last);
        }
    }

    private NatsFeedItem? Handle(INatsJSMsg<byte[]> msg, ulong seq, HashSet<string> codes, HashSet<Venue> venues)
    {
        byte[] data = msg.Data ?? [];
        DateTimeOffset? storedAt = msg.Metadata?.Timestamp;
        if (FeedCodec.TryDecode(data, msg.Subject, storedAt, out FeedItem item, out DataGap? healedGap, out FeedRejectReason reason, out string detail))
        {
            if (!Wanted(item, codes, venues))
            {
                return null;
            }

            Interlocked.Increment(ref _read);
            bool simulated = FeedCodec.IsSimulated(data);
            Interlocked.Increment(ref simulated ? ref _simulatedRead : ref _liveRead);
            return new NatsFeedItem(item, seq) { HealedGap = healedGap, Simulated = simulated };
        }

        if (!WantedSubject(msg.Subject, codes, venues))
        {
            return null;
        }

        var rejected = new RejectedMessage(seq, msg.Subject, reason, detail, data, storedAt);
        long total = Interlocked.Increment(ref _byReason[(int)reason]);
        NatsMetrics.Rejected.Add(1, new KeyValuePair<string, object?>("reason", reason.ToString()), new KeyValuePair<string, object?>("stream", _options.StreamName));
        _reporter.Report(rejected, total);
        return YieldRejected ? new NatsFeedItem(default, seq) { Rejected = rejected } : null;
    }

    private static async ValueTask<(bool More, Exception? Error)> MoveAsync(IAsyncEnumerator<INatsJSMsg<byte[]>> messages, CancellationToken ct)
    {
        try
        {
            return (await messages.MoveNextAsync().ConfigureAwait(false), null);
        }
        catch (Exception ex) when (NatsStart.IsTransient(ex, notFoundIsTransient: true, ct))
        {
            return (false, ex);
        }
    }

    private static async ValueTask AckAsync(INatsJSMsg<byte[]> msg, bool ack, CancellationToken ct)
    {
        if (!ack)
        {
            return;
        }

        try
        {
            await msg.AckAsync(cancellationToken: ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (NatsStart.IsTransient(ex, notFoundIsTransient: true, ct))
        {
            // Not acknowledged: a durable re-created later resumes from its ack floor, and what was handed on is skipped.
        }
    }

    // An ephemeral consumer no longer read: delete it now (it also expires by itself after its inactive threshold, which
    // is what happens to one on a dead node, whose delete is never answered).
    private async Task DeleteQuietlyAsync(string name)
    {
        try
        {
            using var timeout = new CancellationTokenSource(_options.ApiTimeout * 2);
            await _api.DeleteConsumerAsync(_options.StreamName, name, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NATS.Client.Core.NatsException or TimeoutException or OperationCanceledException)
        {
        }
    }

    private static async ValueTask DisposeQuietlyAsync(IAsyncEnumerator<INatsJSMsg<byte[]>> messages)
    {
        try
        {
            await messages.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NATS.Client.Core.NatsException or TimeoutException or OperationCanceledException)
        {
            // The server-side consumer of a dead node cannot be deleted; it expires by itself.
        }
    }

    private static bool Wanted(in FeedItem item, HashSet<string> codes, HashSet<Venue> venues)
    {
        (Venue venue, string code) = item.Kind switch
        {
            FeedItemKind.Trade => (item.Trade.Venue, item.Trade.Code),
            FeedItemKind.Gap => (item.Gap!.Registrations[0].Venue, item.Gap.Registrations[0].Code),
            _ => (item.Healing!.Registration.Venue, item.Healing.Registration.Code),
        };
        return venues.Contains(venue) && (codes.Count == 0 || codes.Contains(code));
    }

    // A rejected message belongs to this read when its subject names a wanted registration, or names none it can read.
    private static bool WantedSubject(string subject, HashSet<string> codes, HashSet<Venue> venues)
    {
        string[] tokens = subject.Split('.');
        if (tokens.Length != 4 || !FeedSubjects.TryParseVenueToken(tokens[2], out Venue venue))
        {
            return codes.Count == 0 && venues.Count == VenueExtensions.All.Count;
        }

        return venues.Contains(venue) && (codes.Count == 0 || codes.Contains(tokens[3]));
    }

    /// <summary>
    /// A durable consumer that resumes exactly after the last message acknowledged, in order. A pull consumer would
    /// redeliver what a stopped reader had fetched but not acknowledged only after its ack wait, out of order with new
    /// messages; so when the durable exists, it is recreated from its ack floor + 1 (one reader per durable name).
    /// </summary>
    private async Task<INatsJSConsumer> DurableAsync(string name, string filter, CancellationToken ct)
    {
        var config = new ConsumerConfig(name)
        {
            FilterSubject = filter,
            AckPolicy = ConsumerConfigAckPolicy.Explicit,
            DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartTime,
            OptStartTime = KoreaTime.StartOf(KoreaTime.Today()),
            MaxAckPending = 10_000,
            AckWait = TimeSpan.FromSeconds(30),
        };
        try
        {
            INatsJSConsumer existing = await _api.GetConsumerAsync(_options.StreamName, name, ct).ConfigureAwait(false);
            ulong floor = existing.Info.AckFloor.StreamSeq;
            if (floor > 0 || existing.Info.Delivered.StreamSeq > 0)
            {
                await _api.DeleteConsumerAsync(_options.StreamName, name, ct).ConfigureAwait(false);
                config.DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartSequence;
                config.OptStartTime = default;
                config.OptStartSeq = floor + 1;
            }
        }
        catch (NatsJSApiException ex) when (ex.Error.Code == 404)
        {
        }

        return await _api.CreateOrUpdateConsumerAsync(_options.StreamName, config, ct).ConfigureAwait(false);
    }

    private async Task<INatsJSConsumer> CreateConsumerAsync(string filter, FeedStart start, CancellationToken ct)
    {
        static DateTimeOffset DayStart(DateOnly? day)
        {
            return KoreaTime.StartOf(day ?? KoreaTime.Today());
        }

        // An ephemeral pull consumer created here, not NATS.Net's ordered consumer: a create that lands on a dead node's
        // share is not answered, and this fails it after ApiTimeout so the loop above tries again at once (the ordered
        // consumer waits its connection's reconnect backoff, 2 s and more, between attempts, and retries deleting a
        // consumer on a dead node for ever). Memory storage, one replica, no acks, gone 30 s after its reader.
        var config = new ConsumerConfig
        {
            Name = "kisfeed-" + Guid.NewGuid().ToString("N")[..16],
            FilterSubject = filter,
            AckPolicy = ConsumerConfigAckPolicy.None,
            MemStorage = true,
            NumReplicas = 1,
            InactiveThreshold = TimeSpan.FromSeconds(30),
        };
        switch (start)
        {
            case FeedStart.DurableStart durable:
                return await DurableAsync(durable.Name, filter, ct).ConfigureAwait(false);
            case FeedStart.AfterSequenceStart { Sequence: 0 }:
                config.DeliverPolicy = ConsumerConfigDeliverPolicy.All;
                break;
            case FeedStart.AfterSequenceStart after:
                config.DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartSequence;
                config.OptStartSeq = after.Sequence + 1;
                break;
            case FeedStart.StartOfDayStart sod:
                config.DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartTime;
                config.OptStartTime = DayStart(sod.Day);
                break;
            default:
                config.DeliverPolicy = ConsumerConfigDeliverPolicy.New;
                break;
        }

        return await _api.CreateOrUpdateConsumerAsync(_options.StreamName, config, ct).ConfigureAwait(false);
    }
}
