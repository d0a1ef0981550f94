using System.Collections.Concurrent;

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KisFeed.Web;

/// <summary>
/// Prices from KIS REST 주식현재가 시세 (<c>inquire-price</c>, FHKST01010100, <see cref="KisRestClient.PriceAsync"/>): the
/// price <c>stck_prpr</c>, the change against the previous close (<c>stck_sdpr</c>), for the shown codes only. Codes
/// are asked one at a time, spread evenly over <see cref="Refresh"/> but never closer than <see cref="MinSpacing"/>
/// (so a board takes at most a quarter of a key's default 20 calls/s), through the app key's shared REST limiter.
/// A code whose answer failed keeps its previous quote; before the first answer it has none (shown as –).
/// With <c>dayHistory</c>, the price line starts with the day so far: the <c>stck_prpr</c> of each row of the REST
/// program-trading history (<c>FHPPG04650101</c>, one call per code before the first quote, as far back as KIS reaches).
/// </summary>
public sealed class RestPriceSource : IPriceSource, IAsyncDisposable
{
    /// <summary>How often each code is asked by default.</summary>
    public static readonly TimeSpan DefaultRefresh = TimeSpan.FromSeconds(5);

    /// <summary>The least time between two calls of one source.</summary>
    public static readonly TimeSpan MinSpacing = TimeSpan.FromMilliseconds(200);

    private const int MaxSamples = 20_000; // a day at one price a second per code is 23,400: the oldest go first

    private readonly KisRestClient _rest;
    private readonly IReadOnlyList<string> _codes;
    private readonly Venue _venue;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<string, PriceQuote> _quotes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, List<PriceSample>> _samples = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask; // set once by Start
    private readonly bool _dayHistory;
    private long _answers; // Interlocked
    private long _failures; // Interlocked

    /// <summary>Creates the source; nothing is asked until <see cref="Start"/>.</summary>
    /// <param name="rest">The REST client (its limiter is shared by every client of the app key).</param>
    /// <param name="codes">The codes to quote (the shown ones).</param>
    /// <param name="venue">The market whose price is shown (KRX's is the reference price of a listed stock).</param>
    /// <param name="refresh">How often each code is asked; default <see cref="DefaultRefresh"/>, at least 1 s.</param>
    /// <param name="time">The clock of the pacing; default the system clock.</param>
    /// <param name="logger">Where failed calls are logged (at debug; the previous quote stays).</param>
    /// <param name="server">Who answers, as the label names it: "KIS" (default) or e.g. "the simulator".</param>
    /// <param name="dayHistory">Start each code's price line with the day so far from its REST program-trading rows
    /// (their <c>stck_prpr</c>): for a board seeded from the start of the day.</param>
    public RestPriceSource(KisRestClient rest, IEnumerable<string> codes, Venue venue, TimeSpan? refresh = null, TimeProvider? time = null, ILogger? logger = null, string server = "KIS", bool dayHistory = false)
    {
        _dayHistory = dayHistory;
        ArgumentNullException.ThrowIfNull(rest);
        ArgumentNullException.ThrowIfNull(codes);
        _rest = rest;
        _codes = [.. codes.Distinct(StringComparer.Ordinal)];
        _venue = venue;
        Refresh = refresh ?? DefaultRefresh;
        ArgumentOutOfRangeException.ThrowIfLessThan(Refresh, TimeSpan.FromSeconds(1), nameof(refresh));
        _time = time ?? TimeProvider.System;
        _log = logger ?? NullLogger.Instance;
        Label = $"{server} 현재가 inquire-price (stck_prpr, {venue.Name()}), each code every {Interval.TotalSeconds:0.#} s; change vs the previous close";
    }

    /// <inheritdoc/>
    public string Label { get; }

    /// <inheritdoc/>
    public event Action<string>? Changed;

    /// <summary>
    /// Raised for every price read (a quote, or a row of the day's history), with the code and the previous close when
    /// known: for keeping the prices with a recording. Off the caller's thread; handlers must be quick.
    /// </summary>
    public event Action<string, PriceSample, long?>? Sampled;

    /// <summary>How often each code is asked, at most.</summary>
    public TimeSpan Refresh { get; }

    /// <summary>How often each code is actually asked: <see cref="Refresh"/>, or longer when many codes meet <see cref="MinSpacing"/>.</summary>
    public TimeSpan Interval => _codes.Count == 0 ? Refresh : TimeSpan.FromTicks(Math.Max(Refresh.Ticks, MinSpacing.Ticks * _codes.Count));

    /// <summary>REST answers that gave a price.</summary>
    public long Answers => Interlocked.Read(ref _answers);

    /// <summary>REST calls that failed (the previous quote stays).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Starts asking: the first code at once, then one code every <see cref="Interval"/> ÷ codes.</summary>
    public void Start()
    {
        if (_loop.IsCompleted && !_stop.IsCancellationRequested && _codes.Count > 0)
        {
            _loop = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
        }
    }

    /// <inheritdoc/>
    public PriceQuote? Get(string code) => _quotes.TryGetValue(code, out PriceQuote quote) ? quote : null;

    /// <inheritdoc/>
    public IReadOnlyList<PriceSample> Samples(string code)
    {
        if (!_samples.TryGetValue(code, out List<PriceSample>? list))
        {
            return [];
        }

        lock (list)
        {
            return [.. list];
        }
    }

    /// <summary>Stops asking and waits for the call in flight.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken ct)
    {
        TimeSpan step = Interval / _codes.Count;
        try
        {
            if (_dayHistory)
            {
                foreach (string code in _codes)
                {
                    await BackfillAsync(code, ct).ConfigureAwait(false);
                }
            }

            while (true)
            {
                foreach (string code in _codes)
                {
                    await RefreshAsync(code, ct).ConfigureAwait(false);
                    await Task.Delay(step, _time, ct).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    // The day so far: each REST history row's stck_prpr, oldest first, ahead of the quotes read after it.
    private async Task BackfillAsync(string code, CancellationToken ct)
    {
        try
        {
            IReadOnlyList<ProgramTradeHistoryRow> rows = await _rest.HistoryAsync(code, _venue, ct).ConfigureAwait(false);
            DateOnly today = KoreaTime.Today(_time);
            var day = rows.Where(r => r.Price > 0 && r.TradingDate == today).Select(r => (Sample: new PriceSample(r.Timestamp, r.Price), Reference: r.Price - SignedChange(r))).ToList();
            if (day.Count == 0)
            {
                return;
            }

            List<PriceSample> list = _samples.GetOrAdd(code, _ => []);
            lock (list)
            {
                DateTimeOffset firstQuote = list.Count > 0 ? list[0].At : DateTimeOffset.MaxValue;
                list.InsertRange(0, day.Where(d => d.Sample.At < firstQuote).Select(d => d.Sample).TakeLast(MaxSamples / 2));
            }

            if (!_quotes.ContainsKey(code))
            {
                (PriceSample last, long reference) = day[^1];
                _quotes.TryAdd(code, new PriceQuote(last.Price, reference > 0 ? reference : null, Label));
            }

            foreach ((PriceSample sample, long reference) in day)
            {
                Sampled?.Invoke(code, sample, reference > 0 ? reference : null);
            }

            Changed?.Invoke(code);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            Interlocked.Increment(ref _failures);
            if (_log.IsEnabled(LogLevel.Debug))
            {
                _log.LogDebug("REST price history of {Code} failed: {Message}", code, ex.Message);
            }
        }
    }

    // prdy_vrss is sent signed; should a server send its magnitude only, prdy_vrss_sign (4 하한, 5 하락) gives the sign.
    private static long SignedChange(ProgramTradeHistoryRow r) =>
        r.ChangeSign is PriceChangeSign.LowerLimit or PriceChangeSign.Down ? -Math.Abs(r.Change) : r.Change;

    private async Task RefreshAsync(string code, CancellationToken ct)
    {
        try
        {
            StockQuote q = await _rest.PriceAsync(code, _venue, ct).ConfigureAwait(false);
            _quotes[code] = new PriceQuote(q.Price, q.ReferencePrice > 0 ? q.ReferencePrice : null, Label);
            List<PriceSample> list = _samples.GetOrAdd(code, _ => []);
            lock (list)
            {
                if (list.Count > 0 && KoreaTime.DateOf(list[^1].At) != KoreaTime.DateOf(q.ReceivedAt))
                {
                    list.Clear(); // a new day
                }

                if (list.Count >= MaxSamples)
                {
                    list.RemoveRange(0, MaxSamples / 10);
                }

                list.Add(new PriceSample(q.ReceivedAt, q.Price));
            }

            Interlocked.Increment(ref _answers);
            Sampled?.Invoke(code, new PriceSample(q.ReceivedAt, q.Price), q.ReferencePrice > 0 ? q.ReferencePrice : null);
            Changed?.Invoke(code);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            Interlocked.Increment(ref _failures);
            if (_log.IsEnabled(LogLevel.Debug))
            {
                _log.LogDebug("REST price of {Code} failed: {Message}", code, ex.Message);
            }
        }
    }
}
