using KisFeed.Storage;

namespace KisFeed.Web;

/// <summary>
/// The prices a recording holds for its day (<see cref="StorageSchema.PricesTable"/>): what a live board read from
/// KIS <c>inquire-price</c> while it recorded, or the simulator's price path in a generated day. The quote is the day's
/// last price; the samples draw the chart's price line. Loaded once: a replayed day does not change.
/// </summary>
public sealed class RecordedPriceSource : IPriceSource
{
    private readonly Dictionary<string, PriceQuote> _quotes;
    private readonly Dictionary<string, PriceSample[]> _samples;

    private RecordedPriceSource(string label, Dictionary<string, PriceQuote> quotes, Dictionary<string, PriceSample[]> samples)
    {
        Label = label;
        _quotes = quotes;
        _samples = samples;
    }

    /// <summary>
    /// Reads the prices of <paramref name="date"/>; a <see cref="NoPriceSource"/> when the recording holds none.
    /// <paramref name="simulated"/> (the recording's source) names where they came from.
    /// </summary>
    public static async Task<IPriceSource> LoadAsync(ProgramTradeQueries queries, DateOnly date, bool? simulated, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queries);
        IReadOnlyList<RecordedPrice> latest = await queries.LatestPricesAsync(date, cancellationToken).ConfigureAwait(false);
        if (latest.Count == 0)
        {
            return new NoPriceSource(NoPriceSource.Recorded);
        }

        string label = simulated == true
            ? "recorded: the simulator's price (inquire-price stck_prpr); change vs the previous close"
            : "recorded: KIS 현재가 inquire-price (stck_prpr) as the board read it; change vs the previous close";
        var quotes = new Dictionary<string, PriceQuote>(StringComparer.Ordinal);
        var samples = new Dictionary<string, PriceSample[]>(StringComparer.Ordinal);
        foreach (RecordedPrice last in latest)
        {
            quotes[last.Code] = new PriceQuote(last.Price, last.PreviousClose, label);
            IReadOnlyList<RecordedPrice> day = await queries.PricesAsync(date, last.Code, cancellationToken).ConfigureAwait(false);
            samples[last.Code] = [.. day.Select(p => new PriceSample(KoreaTime.At(date, p.Time), p.Price))];
        }

        return new RecordedPriceSource(label, quotes, samples);
    }

    /// <inheritdoc/>
    public string Label { get; }

    /// <inheritdoc/>
    public PriceQuote? Get(string code) => _quotes.TryGetValue(code, out PriceQuote quote) ? quote : null;

    /// <inheritdoc/>
    public IReadOnlyList<PriceSample> Samples(string code) => _samples.TryGetValue(code, out PriceSample[]? s) ? s : [];

    /// <inheritdoc/>
    public event Action<string>? Changed
    {
        add { }
        remove { }
    }
}
