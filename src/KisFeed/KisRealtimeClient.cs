using System.Runtime.CompilerServices;

using Microsoft.Extensions.Logging;

namespace KisFeed;

/// <summary>
/// A KIS real-time session for program trading (KRX <c>H0STPGM0</c>, NXT <c>H0NXPGM0</c>, unified <c>H0UNPGM0</c>).
/// It connects on first use, answers PINGPONG, reconnects by itself with backoff, re-sends every registration after
/// a reconnect, and hands each consumer typed <see cref="ProgramTrade"/> updates through its own bounded buffer.
/// </summary>
/// <example>
/// <code>
/// await using var client = new KisRealtimeClient(KisOptions.FromEnvironment());
/// await foreach (ProgramTrade t in client.ProgramTradesAsync(["005930", "000660"], Venue.Nxt, ct))
///     Console.WriteLine($"{t.Code} {t.Time} net {t.NetBuyValue:N0} KRW");
/// </code>
/// </example>
public sealed partial class KisRealtimeClient : IAsyncDisposable
{
    private readonly KisOptions _options;
    private readonly ILogger _log;
    private readonly EventDispatcher _events;
    private readonly Lock _gate = new();
    private readonly Dictionary<Registration, List<ProgramTradeSubscription>> _routes = [];
    private Dictionary<Registration, ProgramTradeSubscription[]> _routeSnapshot = [];
    private int _disposed;

    /// <summary>Creates a client. Nothing connects until the first subscription or <see cref="ConnectAsync"/>.</summary>
    public KisRealtimeClient(KisOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _log = options.LoggerFactory.CreateLogger("KisFeed.KisRealtimeClient");
        _events = new EventDispatcher(_log);
        _approval = new ApprovalKeyClient(options.RestUri, options.HttpHandler);
        _approvalKey = options.ApprovalKey;
    }

    /// <summary>The options in use.</summary>
    public KisOptions Options => _options;

    internal TimeProvider Time => _options.TimeProvider;

    /// <summary>The connection state now.</summary>
    public ConnectionState State => _state;

    /// <summary>Raised (off the receive loop) whenever <see cref="State"/> changes.</summary>
    public event EventHandler<ConnectionStateChangedEventArgs>? StateChanged;

    /// <summary>Raised when KIS refuses a registration that was re-sent after a reconnect.</summary>
    public event EventHandler<SubscriptionFailedEventArgs>? SubscriptionFailed;

    /// <summary>Raised for every frame that could not be read in full (the stream goes on).</summary>
    public event EventHandler<FrameRejectedEventArgs>? FrameRejected;

    /// <summary>Raised after a reconnect: the period in which updates may have been missed.</summary>
    public event EventHandler<DataGapEventArgs>? DataGap;

    /// <summary>Raised (at most once a second per consumer) while a consumer is losing updates to a full buffer.</summary>
    public event EventHandler<RecordsDroppedEventArgs>? RecordsDropped;

    /// <summary>The registrations held now (each (venue, code) pair counts once, however many consumers share it).</summary>
    public IReadOnlyCollection<Registration> Registrations
    {
        get
        {
            lock (_gate)
            {
                return [.. _routes.Keys];
            }
        }
    }

    /// <summary>Counters since the client was created.</summary>
    public KisClientStatistics GetStatistics()
    {
        DateTimeOffset? lastAt = LastMessageAt();
        int registrations;
        long dropped = 0;
        lock (_gate)
        {
            registrations = _routes.Count;
            foreach (ProgramTradeSubscription s in _routes.Values.SelectMany(l => l).Distinct())
            {
                dropped += s.Dropped;
            }
        }

        return new KisClientStatistics(_state, Interlocked.Read(ref _frames), Interlocked.Read(ref _records), dropped + Interlocked.Read(ref _droppedByEnded),
            Interlocked.Read(ref _rejected), Interlocked.Read(ref _controls), Interlocked.Read(ref _pingPongs), Interlocked.Read(ref _reconnects),
            registrations, _connectedSince, lastAt);
    }

    /// <summary>Connects now (otherwise the first subscription connects). Throws <see cref="KisException"/> when it cannot.</summary>
    public Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return EnsureStartedAsync(cancellationToken);
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
        IReadOnlyList<Registration> registrations = BuildRegistrations(codes, venues);
        return Stream(registrations, cancellationToken);
    }

    private async IAsyncEnumerable<ProgramTrade> Stream(IReadOnlyList<Registration> registrations, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using ProgramTradeSubscription subscription = await SubscribeAsync(registrations, cancellationToken).ConfigureAwait(false);
        await foreach (ProgramTrade trade in subscription.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return trade;
        }
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
        var subscription = new ProgramTradeSubscription(this, registrations, _options.ConsumerBufferCapacity, _options.ConsumerFullMode);
        List<Registration> added = [];
        lock (_gate)
        {
            foreach (Registration r in registrations)
            {
                if (!_routes.ContainsKey(r))
                {
                    added.Add(r);
                }
            }

            if (_routes.Count + added.Count > _options.MaxRegistrations)
            {
                throw new KisSubscriptionLimitException(_routes.Count, added.Count, _options.MaxRegistrations);
            }

            foreach (Registration r in registrations)
            {
                if (!_routes.TryGetValue(r, out List<ProgramTradeSubscription>? list))
                {
                    _routes[r] = list = [];
                }

                list.Add(subscription);
            }

            RebuildRoutes();
        }

        try
        {
            await EnsureStartedAsync(cancellationToken).ConfigureAwait(false);
            foreach (Registration r in added)
            {
                await RegisterAsync(r, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            await RemoveSubscriptionAsync(subscription).ConfigureAwait(false);
            throw;
        }

        return subscription;
    }

    internal async Task RemoveSubscriptionAsync(ProgramTradeSubscription subscription)
    {
        List<Registration> released = [];
        lock (_gate)
        {
            foreach (Registration r in subscription.Registrations)
            {
                if (_routes.TryGetValue(r, out List<ProgramTradeSubscription>? list) && list.Remove(subscription) && list.Count == 0)
                {
                    _routes.Remove(r);
                    released.Add(r);
                }
            }

            RebuildRoutes();
        }

        Interlocked.Add(ref _droppedByEnded, subscription.Dropped);
        subscription.Complete();
        foreach (Registration r in released)
        {
            await UnregisterAsync(r).ConfigureAwait(false);
        }
    }

    internal void ReportDrops(ProgramTradeSubscription subscription, long dropped)
    {
        Log.ConsumerDropping(_log, string.Join(',', subscription.Registrations.Take(5)), dropped, _options.ConsumerFullMode);
        Raise(RecordsDropped, new RecordsDroppedEventArgs(subscription, dropped));
    }

    private void RebuildRoutes()
    {
        var snapshot = new Dictionary<Registration, ProgramTradeSubscription[]>(_routes.Count);
        foreach ((Registration r, List<ProgramTradeSubscription> list) in _routes)
        {
            snapshot[r] = [.. list];
        }

        Volatile.Write(ref _routeSnapshot, snapshot);
    }

    private static IReadOnlyList<Registration> BuildRegistrations(IEnumerable<string> codes, IEnumerable<Venue> venues)
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
            string code = NormalizeCode(raw);
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

    /// <summary>Checks a stock code: 1–12 ASCII letters or digits (KIS short codes are 6 digits, ETNs <c>Q</c> + 6).</summary>
    public static string NormalizeCode(string? code)
    {
        string trimmed = code?.Trim() ?? string.Empty;
        if (trimmed.Length is 0 or > 12 || !trimmed.All(char.IsAsciiLetterOrDigit))
        {
            throw new ArgumentException($"'{code}' is not a KIS stock code: expected a short code such as 005930 (ETNs: Q500001).", nameof(code));
        }

        return trimmed.ToUpperInvariant();
    }

    private void Raise<T>(EventHandler<T>? handler, T args)
    {
        if (handler is not null)
        {
            _events.Post(() => handler(this, args));
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
