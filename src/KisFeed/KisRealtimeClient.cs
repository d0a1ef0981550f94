using KisFeed.Delivery;
using KisFeed.Rest;
using KisFeed.Session;

using Microsoft.Extensions.Logging;

namespace KisFeed;

/// <summary>
/// A KIS real-time session for program trading (KRX <c>H0STPGM0</c>, NXT <c>H0NXPGM0</c>, unified <c>H0UNPGM0</c>).
/// It connects on first use, answers PINGPONG, reconnects by itself with backoff, re-sends every registration after
/// a reconnect, reports each outage as a <see cref="DataGap"/> and heals it over REST, and hands each consumer typed
/// <see cref="ProgramTrade"/> updates through its own bounded buffer.
/// </summary>
/// <example>
/// <code>
/// await using var client = new KisRealtimeClient(KisOptions.FromEnvironment());
/// await foreach (ProgramTrade t in client.ProgramTradesAsync(Registration.Of(["005930", "000660"], Venue.Nxt)))
///     Console.WriteLine($"{t.Code} {t.Time} net {t.NetBuyValue:N0} KRW");
/// </code>
/// </example>
public sealed class KisRealtimeClient : IKisFeedSource, IAsyncDisposable
{
    private readonly KisSession _session;
    private readonly EventDispatcher _dispatcher;
    private readonly KisRestClient? _rest; // owned: created for healing when the options allow REST
    private int _disposed; // Interlocked

    /// <summary>Creates a client. Nothing connects until the first subscription or <see cref="ConnectAsync"/>.</summary>
    public KisRealtimeClient(KisOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ILogger log = options.LoggerFactory.CreateLogger("KisFeed.KisRealtimeClient");
        _dispatcher = new EventDispatcher(log, options.TimeProvider, KisMetrics.For(options.MeterFactory).EventDropped);
        IGapHealer? healer = options.GapHealer;
        if (healer is null && !string.IsNullOrEmpty(options.AppKey) && !string.IsNullOrEmpty(options.AppSecret))
        {
            // Healing and seeding need an access token, so the app key and secret: a bare approval key cannot call REST.
            // Nothing is called until a gap is healed (KisOptions.HealGaps) or a feed asks for the day so far.
            _rest = new KisRestClient(options, options.Rest);
            healer = new GapHealer(_rest, options.LoggerFactory.CreateLogger("KisFeed.GapHealer"));
        }

        _session = new KisSession(options, log, new Events(this), healer);
    }

    /// <summary>The options in use.</summary>
    public KisOptions Options => _session.Options;

    /// <summary>The connection state now.</summary>
    public ConnectionState State => _session.State;

    /// <summary>Raised (off the receive loop) whenever <see cref="State"/> changes.</summary>
    public event EventHandler<ConnectionStateChangedEventArgs>? StateChanged;

    /// <summary>
    /// Raised (off the receive loop) when a registration could not be held: KIS refused it when it was subscribed (the
    /// subscription's other registrations go on) or re-sent after a reconnect (it stays held and is tried again), or
    /// it was over <see cref="KisOptions.MaxRegistrations"/>.
    /// </summary>
    public event EventHandler<SubscriptionFailedEventArgs>? SubscriptionFailed;

    /// <summary>Raised for every frame that could not be read in full (the stream goes on).</summary>
    public event EventHandler<FrameRejectedEventArgs>? FrameRejected;

    /// <summary>Raised after a reconnect: the period in which updates may have been missed.</summary>
    public event EventHandler<DataGapEventArgs>? DataGap;

    /// <summary>Raised per registration when healing a gap over REST finished (healed, partly, or not).</summary>
    public event EventHandler<GapHealedEventArgs>? GapHealed;

    /// <summary>Raised (at most once a second per consumer) while a consumer is losing updates to a full buffer.</summary>
    public event EventHandler<RecordsDroppedEventArgs>? RecordsDropped;

    /// <summary>The registrations held now (each (venue, code) pair counts once, however many consumers share it).</summary>
    public IReadOnlyCollection<Registration> Registrations => _session.Table.Wanted;

    /// <summary>Counters since the client was created.</summary>
    public KisClientStatistics GetStatistics() => _session.GetStatistics() with { EventsDropped = _dispatcher.Dropped };

    /// <summary>Connects now (otherwise the first subscription connects). Throws <see cref="KisException"/> (or <see cref="KisApiException"/> when KIS refused the credentials) when it cannot.</summary>
    public Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return _session.EnsureStartedAsync(cancellationToken);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The connection is made with the first subscription. KIS refusals and registrations over
    /// <see cref="KisOptions.MaxRegistrations"/> are reported per registration (and raised as <see cref="SubscriptionFailed"/>).
    /// </remarks>
    public Task<IKisSubscription<ProgramTrade>> SubscribeAsync(IEnumerable<Registration> registrations, SubscribeOptions? options = null, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<Registration> wanted = Registration.Check(registrations, RecordKind.StockProgramTrade);
        options?.Validate();
        ThrowIfDisposed();
        TradeSubscriber subscriber = _session.NewTradeSubscriber(options);
        return Subscription<ProgramTrade>.OpenAsync(new SingleSession(_session), subscriber, owner => new OwnedReader<ProgramTrade>(subscriber.Reader, owner), wanted, cancellationToken);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Gaps and healing outcomes are never dropped, even when the consumer falls behind. With
    /// <see cref="FeedOptions.FromStartOfDay"/> the call returns once KIS accepted the registrations; the seed is fetched
    /// afterwards and read first.
    /// </remarks>
    public Task<IKisSubscription<FeedItem>> SubscribeFeedAsync(IEnumerable<Registration> registrations, FeedOptions? options = null, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<Registration> wanted = Registration.Check(registrations, RecordKind.StockProgramTrade);
        options?.Validate();
        ThrowIfDisposed();
        FeedSubscriber subscriber = _session.NewFeedSubscriber(options, seeding: options?.FromStartOfDay == true);
        return Subscription<FeedItem>.OpenAsync(new SingleSession(_session), subscriber, subscriber.ReaderFor, wanted, cancellationToken);
    }

    /// <summary>
    /// Subscribes to index program trading (<c>H0UPPGM0</c>) for <paramref name="indexCodes"/> (4-digit index codes, e.g.
    /// <see cref="IndexCode.Kospi"/>). Each index takes one of the session's <see cref="KisOptions.MaxRegistrations"/>,
    /// shared with the stock registrations, and is re-sent after a reconnect like them. The subscription's
    /// <see cref="IKisSubscription{T}.AddAsync"/> and <see cref="IKisSubscription{T}.RemoveAsync"/> take
    /// <see cref="Registration.Index(string)"/> registrations. Arguments are checked at once; refusals and registrations
    /// over the cap are reported per registration, as for stocks.
    /// </summary>
    /// <remarks>
    /// An outage is reported (<see cref="DataGap"/>) for index registrations too, but not healed: KisFeed does not yet
    /// fill an index gap from the REST market totals (<see cref="KisRestClient.MarketProgramTradeByTimeAsync"/>).
    /// </remarks>
    /// <exception cref="ArgumentException">No code, or one that is not a 4-digit index code.</exception>
    /// <exception cref="KisException">The session could not connect, or KIS did not answer in time.</exception>
    public Task<IKisSubscription<IndexProgramTrade>> SubscribeIndexAsync(IEnumerable<string> indexCodes, SubscribeOptions? options = null, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<Registration> wanted = Registration.Indices(indexCodes);
        options?.Validate();
        ThrowIfDisposed();
        IndexSubscriber subscriber = _session.NewIndexSubscriber(options);
        return Subscription<IndexProgramTrade>.OpenAsync(new SingleSession(_session), subscriber, owner => new OwnedReader<IndexProgramTrade>(subscriber.Reader, owner), wanted, cancellationToken);
    }

    /// <summary>The session behind this client (the pool places registrations on it).</summary>
    internal KisSession Session => _session;

    /// <summary>Closes the session cleanly (a clean close keeps KIS from holding the app key) and ends every consumer's stream.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _session.DisposeAsync().ConfigureAwait(false);
        await _dispatcher.DisposeAsync().ConfigureAwait(false);
        _rest?.Dispose();
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    /// <summary>Raises the public events on the dispatcher's task, never on the receive loop.</summary>
    private sealed class Events(KisRealtimeClient client) : ISessionEvents
    {
        public bool WantsRejectedFrames => client.FrameRejected is not null;

        public void StateChanged(ConnectionStateChangedEventArgs args) => Raise(client.StateChanged, args);

        public void SubscriptionFailed(SubscriptionFailedEventArgs args) => Raise(client.SubscriptionFailed, args);

        public void FrameRejected(FrameRejectedEventArgs args) => Raise(client.FrameRejected, args);

        public void DataGap(DataGapEventArgs args) => Raise(client.DataGap, args);

        public void GapHealed(GapHealingReport report) => Raise(client.GapHealed, new GapHealedEventArgs(report));

        public void RecordsDropped(RecordsDroppedEventArgs args) => Raise(client.RecordsDropped, args);

        private void Raise<T>(EventHandler<T>? handler, T args)
        {
            if (handler is not null)
            {
                client._dispatcher.Post(() => handler(client, args));
            }
        }
    }
}
