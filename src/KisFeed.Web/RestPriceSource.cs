using System.Collections.Concurrent;

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KisFeed.Web;

/// <summary>
/// Prices from KIS REST: each code's latest intraday program-trading row (<c>program-trade-by-stock</c>): the price
/// <c>stck_prpr</c>, and as the reference the previous close, price − <c>prdy_vrss</c>, so the change column reads "since
/// yesterday's close". Codes are asked one at a time, spread evenly over <see cref="Refresh"/> (each code once per
/// period, never a burst), through the app key's shared REST limiter. Until a code's first answer, and for a code whose
/// answer failed or was empty, the <see cref="Fallback"/> quote is used.
/// </summary>
public sealed class RestPriceSource : IPriceSource, IAsyncDisposable
{
    /// <summary>The <see cref="PriceQuote.Source"/> text of these quotes.</summary>
    public const string Description = "KIS REST price (stck_prpr of the latest program-trading row); change vs the previous close";

    /// <summary>How often each code is asked by default.</summary>
    public static readonly TimeSpan DefaultRefresh = TimeSpan.FromSeconds(30);

    private readonly KisRestClient _rest;
    private readonly IReadOnlyList<string> _codes;
    private readonly Venue _venue;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<string, PriceQuote> _quotes = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask; // set once by Start
    private long _answers; // Interlocked
    private long _failures; // Interlocked

    /// <summary>Creates the source; nothing is asked until <see cref="Start"/>.</summary>
    /// <param name="rest">The REST client (its limiter is shared by every client of the app key).</param>
    /// <param name="codes">The codes to quote.</param>
    /// <param name="venue">The market whose price is shown (KRX's is the reference price of a listed stock).</param>
    /// <param name="fallback">Quotes until REST answered; default a <see cref="ProgramTradePriceSource"/>.</param>
    /// <param name="refresh">How often each code is asked; default <see cref="DefaultRefresh"/>, at least 1 s.</param>
    /// <param name="time">The clock of the pacing; default the system clock.</param>
    /// <param name="logger">Where failed calls are logged (at debug; the fallback covers them).</param>
    public RestPriceSource(KisRestClient rest, IEnumerable<string> codes, Venue venue, IPriceSource? fallback = null, TimeSpan? refresh = null, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(rest);
        ArgumentNullException.ThrowIfNull(codes);
        _rest = rest;
        _codes = [.. codes.Distinct(StringComparer.Ordinal)];
        _venue = venue;
        Fallback = fallback ?? new ProgramTradePriceSource();
        Refresh = refresh ?? DefaultRefresh;
        ArgumentOutOfRangeException.ThrowIfLessThan(Refresh, TimeSpan.FromSeconds(1), nameof(refresh));
        _time = time ?? TimeProvider.System;
        _log = logger ?? NullLogger.Instance;
    }

    /// <summary>The quotes used until REST answered for a code.</summary>
    public IPriceSource Fallback { get; }

    /// <summary>How often each code is asked.</summary>
    public TimeSpan Refresh { get; }

    /// <summary>REST answers that gave a price.</summary>
    public long Answers => Interlocked.Read(ref _answers);

    /// <summary>REST calls that failed (the fallback or the previous quote stays).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Starts asking: the first code at once, then one code every <see cref="Refresh"/> ÷ codes.</summary>
    public void Start()
    {
        if (_loop.IsCompleted && !_stop.IsCancellationRequested && _codes.Count > 0)
        {
            _loop = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
        }
    }

    /// <inheritdoc/>
    public void Observe(in ProgramTrade trade) => Fallback.Observe(trade);

    /// <inheritdoc/>
    public PriceQuote? Get(string code) => _quotes.TryGetValue(code, out PriceQuote quote) ? quote : Fallback.Get(code);

    /// <summary>Stops asking and waits for the call in flight.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken ct)
    {
        TimeSpan step = Refresh / _codes.Count;
        try
        {
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

    private async Task RefreshAsync(string code, CancellationToken ct)
    {
        try
        {
            IReadOnlyList<ProgramTradeHistoryRow> rows = await _rest.HistoryAsync(code, _venue, ct).ConfigureAwait(false);
            ProgramTradeHistoryRow? latest = rows.Count == 0 ? null : rows.MaxBy(r => r.Timestamp);
            if (latest is { Price: > 0 })
            {
                long reference = latest.Price - latest.Change;
                _quotes[code] = new PriceQuote(latest.Price, reference > 0 ? reference : null, Description);
                Interlocked.Increment(ref _answers);
            }
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
