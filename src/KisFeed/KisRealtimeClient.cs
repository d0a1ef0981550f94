using System.Runtime.CompilerServices;

using KisFeed.Delivery;
using KisFeed.Protocol;
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
/// await foreach (ProgramTrade t in client.ProgramTradesAsync(["005930", "000660"], Venue.Nxt, ct))
///     Console.WriteLine($"{t.Code} {t.Time} net {t.NetBuyValue:N0} KRW");
/// </code>
/// </example>
public sealed class KisRealtimeClient : IAsyncDisposable
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
        _dispatcher = new EventDispatcher(log);
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

    /// <summary>Raised when KIS refuses a registration that was re-sent after a reconnect.</summary>
    public event EventHandler<SubscriptionFailedEventArgs>? SubscriptionFailed;

    /// <summary>Raised for every frame that could not be read in full (the stream goes on).</summary>
    public event EventHandler<FrameRejectedEventArgs>? FrameRejected;

    /// <summary>Raised after a reconnect: the period in which updates may have been missed.</summary>
    public event EventHandler<DataGapEventArgs>? DataGap;

    /// <summary>Raised per registration when healing a gap over REST finished (healed, partly, or not).</summary>
    public event EventHandler<GapHealingReport>? GapHealed;

    /// <summary>Raised (at most once a second per consumer) while a consumer is losing updates to a full buffer.</summary>
    public event EventHandler<RecordsDroppedEventArgs>? RecordsDropped;

    /// <summary>The registrations held now (each (venue, code) pair counts once, however many consumers share it).</summary>
    public IReadOnlyCollection<Registration> Registrations => _session.Table.Wanted;

    /// <summary>Counters since the client was created.</summary>
    public KisClientStatistics GetStatistics() => _session.GetStatistics();

    /// <summary>Connects now (otherwise the first subscription connects). Throws <see cref="KisException"/> when it cannot.</summary>
    public Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return _session.EnsureStartedAsync(cancellationToken);
    }

    /// <summary>
    /// Streams program-trading updates for <paramref name="codes"/> on one venue. Arguments are checked at once; the
    /// connection and registrations are made when enumeration starts; leaving the loop unsubscribes.
    /// </summary>
    public IAsyncEnumerable<ProgramTrade> ProgramTradesAsync(IEnumerable<string> codes, Venue venue, CancellationToken cancellationToken = default)
        => ProgramTradesAsync(codes, [venue], cancellationToken);

    /// <summary>Streams updates for <paramref name="codes"/> on every venue in <paramref name="venues"/>.</summary>
    public IAsyncEnumerable<ProgramTrade> ProgramTradesAsync(IEnumerable<string> codes, IEnumerable<Venue> venues, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return Trades(BuildRegistrations(codes, venues), cancellationToken);
    }

    /// <summary>
    /// Streams trades and gaps in order: each outage shows up as a <see cref="FeedItemKind.Gap"/> item for the
    /// registrations it touched, followed (when REST credentials allow) by the REST rows inside it
    /// (<see cref="TradeSource.Rest"/>) and a <see cref="FeedItemKind.GapHealed"/> item per registration. Gaps and
    /// healing outcomes are never dropped, even when the consumer falls behind. Arguments are checked at once.
    /// </summary>
    public IAsyncEnumerable<FeedItem> FeedAsync(IEnumerable<string> codes, IEnumerable<Venue> venues, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return Feed(BuildRegistrations(codes, venues), cancellationToken);
    }

    /// <summary>
    /// As <see cref="FeedAsync(IEnumerable{string}, IEnumerable{Venue}, CancellationToken)"/>, started as <paramref name="options"/>
    /// says: with <see cref="FeedOptions.FromStartOfDay"/>, the REST rows of the day so far come first (a seed gap, the
    /// rows, a report per registration saying how far back REST reached), then the live records, with no hole and no duplicate.
    /// </summary>
    public IAsyncEnumerable<FeedItem> FeedAsync(IEnumerable<string> codes, IEnumerable<Venue> venues, FeedOptions options, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(options);
        return Feed(BuildRegistrations(codes, venues), options, cancellationToken);
    }

    /// <summary>
    /// Registers <paramref name="codes"/> × <paramref name="venues"/> and returns the consumer's subscription once KIS has
    /// accepted every new registration. All or nothing: if KIS refuses one, the others of this call are released and a
    /// <see cref="KisControlException"/> says which and why.
    /// </summary>
    public Task<ProgramTradeSubscription> SubscribeAsync(IEnumerable<string> codes, IEnumerable<Venue> venues, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return SubscribeAsync(BuildRegistrations(codes, venues), cancellationToken);
    }

    internal async Task<ProgramTradeSubscription> SubscribeAsync(IReadOnlyList<Registration> registrations, CancellationToken cancellationToken)
    {
        TradeSubscriber subscriber = _session.NewTradeSubscriber(registrations);
        var subscription = new ProgramTradeSubscription(_session, subscriber);
        await _session.AddAsync(subscriber, cancellationToken).ConfigureAwait(false);
        return subscription;
    }

    /// <summary>
    /// Registers <paramref name="codes"/> × <paramref name="venues"/> and returns the consumer's feed once KIS has accepted
    /// every new registration (all or nothing, as <see cref="SubscribeAsync(IEnumerable{string}, IEnumerable{Venue}, CancellationToken)"/>).
    /// The feed carries trades, gaps and healing outcomes in order; see <see cref="FeedAsync(IEnumerable{string}, IEnumerable{Venue}, CancellationToken)"/>.
    /// </summary>
    public Task<FeedSubscription> SubscribeFeedAsync(IEnumerable<string> codes, IEnumerable<Venue> venues, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return SubscribeFeedAsync(BuildRegistrations(codes, venues), FeedOptions.Default, cancellationToken);
    }

    /// <summary>
    /// As <see cref="SubscribeFeedAsync(IEnumerable{string}, IEnumerable{Venue}, CancellationToken)"/>, started as
    /// <paramref name="options"/> says (see <see cref="FeedOptions.FromStartOfDay"/>). The call returns once KIS accepted
    /// the registrations; the seed is fetched afterwards and read first.
    /// </summary>
    public Task<FeedSubscription> SubscribeFeedAsync(IEnumerable<string> codes, IEnumerable<Venue> venues, FeedOptions options, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(options);
        return SubscribeFeedAsync(BuildRegistrations(codes, venues), options, cancellationToken);
    }

    internal async Task<FeedSubscription> SubscribeFeedAsync(IReadOnlyList<Registration> registrations, FeedOptions options, CancellationToken cancellationToken)
    {
        FeedSubscriber subscriber = _session.NewFeedSubscriber(registrations, seeding: options.FromStartOfDay);
        var feed = new FeedSubscription(_session, subscriber);
        if (options.FromStartOfDay)
        {
            await _session.AddSeededAsync(subscriber, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await _session.AddAsync(subscriber, cancellationToken).ConfigureAwait(false);
        }

        return feed;
    }

    internal IAsyncEnumerable<FeedItem> Feed(IReadOnlyList<Registration> registrations, CancellationToken cancellationToken) =>
        Feed(registrations, FeedOptions.Default, cancellationToken);

    internal async IAsyncEnumerable<FeedItem> Feed(IReadOnlyList<Registration> registrations, FeedOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        FeedSubscription feed = await SubscribeFeedAsync(registrations, options, cancellationToken).ConfigureAwait(false);
        await using (feed.ConfigureAwait(false))
        {
            await foreach (FeedItem item in feed.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return item;
            }
        }
    }

    private async IAsyncEnumerable<ProgramTrade> Trades(IReadOnlyList<Registration> registrations, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ProgramTradeSubscription subscription = await SubscribeAsync(registrations, cancellationToken).ConfigureAwait(false);
        await using (subscription.ConfigureAwait(false))
        {
            await foreach (ProgramTrade trade in subscription.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return trade;
            }
        }
    }

    /// <summary>Checks codes and venues and returns every (venue, code) pair, without duplicates.</summary>
    internal static IReadOnlyList<Registration> BuildRegistrations(IEnumerable<string> codes, IEnumerable<Venue> venues)
    {
        ArgumentNullException.ThrowIfNull(codes);
        ArgumentNullException.ThrowIfNull(venues);
        List<Venue> venueList = [.. venues.Distinct()];
        if (venueList.Count == 0)
        {
            throw new ArgumentException("Give at least one venue (Venue.Krx, Venue.Nxt or Venue.Unified).", nameof(venues));
        }

        foreach (Venue v in venueList)
        {
            if (!Enum.IsDefined(v))
            {
                throw new ArgumentOutOfRangeException(nameof(venues), v, "Unknown venue.");
            }
        }

        List<string> codeList = [];
        foreach (string? raw in codes)
        {
            string code = StockCode.Normalize(raw);
            if (!codeList.Contains(code))
            {
                codeList.Add(code);
            }
        }

        if (codeList.Count == 0)
        {
            throw new ArgumentException("Give at least one stock code, e.g. 005930.", nameof(codes));
        }

        return [.. venueList.SelectMany(v => codeList.Select(c => new Registration(v, c)))];
    }

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

        public void GapHealed(GapHealingReport report) => Raise(client.GapHealed, report);

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
