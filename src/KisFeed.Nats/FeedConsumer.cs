using System.Runtime.CompilerServices;

using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace KisFeed.Nats;

/// <summary>Where a <see cref="FeedConsumer"/> starts reading.</summary>
public abstract record FeedStart
{
    private FeedStart()
    {
    }

    /// <summary>From the first record of a trading day (KST midnight; default today), then live.</summary>
    public static FeedStart StartOfDay(DateOnly? day = null) => new StartOfDayStart(day);

    /// <summary>After stream sequence <paramref name="sequence"/> (0 = the whole stream), then live. Used by the recorder, whose database holds the last sequence it stored.</summary>
    public static FeedStart AfterSequence(ulong sequence) => new AfterSequenceStart(sequence);

    /// <summary>
    /// A durable consumer named <paramref name="name"/> on the server: it resumes where the last reader with that name
    /// stopped (a message counts as consumed when the reader asks for the next one). A new name starts at today's first record.
    /// </summary>
    public static FeedStart Durable(string name) => new DurableStart(name);

    /// <summary>Only records stored from now on.</summary>
    public static FeedStart Live { get; } = new LiveStart();

    internal sealed record StartOfDayStart(DateOnly? Day) : FeedStart;

    internal sealed record AfterSequenceStart(ulong Sequence) : FeedStart;

    internal sealed record DurableStart(string Name) : FeedStart;

    internal sealed record LiveStart : FeedStart;
}

/// <summary>One item read from the stream, with its stream sequence.</summary>
/// <param name="Item">The trade, gap or healing outcome (a gap or an outcome names one registration).</param>
/// <param name="StreamSequence">The message's sequence in the stream (unique, increasing in stream order).</param>
public readonly record struct NatsFeedItem(FeedItem Item, ulong StreamSequence)
{
    /// <summary>For a healing outcome, the gap it heals (its bounds as the gateway's client reported them); otherwise null.</summary>
    public DataGap? HealedGap { get; init; }
}

/// <summary>
/// Reads the stream for a set of codes and venues as trades and gaps in stream order, so a consumer on another machine
/// looks like a local client (<see cref="ProgramTradesAsync"/> is the same shape as <c>KisRealtimeClient.ProgramTradesAsync</c>).
/// </summary>
public sealed class FeedConsumer(INatsJSContext js, NatsFeedOptions? options = null)
{
    private readonly INatsJSContext _js = js ?? throw new ArgumentNullException(nameof(js));
    private readonly NatsFeedOptions _options = options ?? NatsFeedOptions.Default;

    /// <summary>The trading day in Korea time (KST, UTC+9) of an instant.</summary>
    [Obsolete("Use KoreaTime.DateOf, the core's one Korea-time helper.")]
    public static DateOnly KoreaDate(DateTimeOffset instant) => KoreaTime.DateOf(instant);

    /// <summary>Program-trading updates only (gaps and healing outcomes skipped), like a local client's stream.</summary>
    public async IAsyncEnumerable<ProgramTrade> ProgramTradesAsync(IEnumerable<string> codes, IEnumerable<Venue> venues, FeedStart start, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (NatsFeedItem item in ReadAsync(codes, venues, start, cancellationToken).ConfigureAwait(false))
        {
            if (item.Item.Kind == FeedItemKind.Trade)
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
            yield return item.Item;
        }
    }

    /// <summary>
    /// Trades and gaps for <paramref name="codes"/> (empty = every code) × <paramref name="venues"/>, with stream sequences.
    /// Arguments are checked at once; reading starts when enumeration starts and leaving the loop stops the consumer
    /// (a durable consumer stays on the server with its position).
    /// </summary>
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
        INatsJSConsumer consumer = await CreateConsumerAsync(filter, start, cancellationToken).ConfigureAwait(false);
        bool ack = start is FeedStart.DurableStart;
        await foreach (NatsJSMsg<byte[]> msg in consumer.ConsumeAsync<byte[]>(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            ulong seq = msg.Metadata?.Sequence.Stream ?? 0;
            FeedItem item;
            DataGap? healedGap;
            try
            {
                item = FeedCodec.Decode(msg.Data, out healedGap);
            }
            catch (FormatException)
            {
                // A payload this reader cannot read (a newer version): skip it, as a local client skips a bad frame.
                if (ack)
                {
                    await msg.AckAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                }

                continue;
            }

            if (Wanted(item, codes, venues))
            {
                yield return new NatsFeedItem(item, seq) { HealedGap = healedGap };
            }

            if (ack)
            {
                await msg.AckAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            }
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
            INatsJSConsumer existing = await _js.GetConsumerAsync(_options.StreamName, name, ct).ConfigureAwait(false);
            ulong floor = existing.Info.AckFloor.StreamSeq;
            if (floor > 0 || existing.Info.Delivered.StreamSeq > 0)
            {
                await _js.DeleteConsumerAsync(_options.StreamName, name, ct).ConfigureAwait(false);
                config.DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartSequence;
                config.OptStartTime = default;
                config.OptStartSeq = floor + 1;
            }
        }
        catch (NatsJSApiException ex) when (ex.Error.Code == 404)
        {
        }

        return await _js.CreateOrUpdateConsumerAsync(_options.StreamName, config, ct).ConfigureAwait(false);
    }

    private async Task<INatsJSConsumer> CreateConsumerAsync(string filter, FeedStart start, CancellationToken ct)
    {
        static DateTimeOffset DayStart(DateOnly? day)
        {
            return KoreaTime.StartOf(day ?? KoreaTime.Today());
        }

        switch (start)
        {
            case FeedStart.DurableStart durable:
                return await DurableAsync(durable.Name, filter, ct).ConfigureAwait(false);
            case FeedStart.AfterSequenceStart after:
                return await _js.CreateOrderedConsumerAsync(_options.StreamName, new NatsJSOrderedConsumerOpts
                {
                    FilterSubjects = [filter],
                    DeliverPolicy = after.Sequence == 0 ? ConsumerConfigDeliverPolicy.All : ConsumerConfigDeliverPolicy.ByStartSequence,
                    OptStartSeq = after.Sequence == 0 ? 0 : after.Sequence + 1,
                }, ct).ConfigureAwait(false);
            case FeedStart.StartOfDayStart sod:
                return await _js.CreateOrderedConsumerAsync(_options.StreamName, new NatsJSOrderedConsumerOpts
                {
                    FilterSubjects = [filter],
                    DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartTime,
                    OptStartTime = DayStart(sod.Day),
                }, ct).ConfigureAwait(false);
            default:
                return await _js.CreateOrderedConsumerAsync(_options.StreamName, new NatsJSOrderedConsumerOpts
                {
                    FilterSubjects = [filter],
                    DeliverPolicy = ConsumerConfigDeliverPolicy.New,
                }, ct).ConfigureAwait(false);
        }
    }
}
