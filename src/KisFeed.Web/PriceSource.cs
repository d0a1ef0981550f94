namespace KisFeed.Web;

/// <summary>A stock's price as the board shows it.</summary>
/// <param name="Price">The price, KRW.</param>
/// <param name="Reference">The price the change is measured from (the previous close), KRW; null when unknown.</param>
/// <param name="Source">What the price is and where it comes from, in words a person reads (never a type name).</param>
public readonly record struct PriceQuote(long Price, long? Reference, string Source)
{
    /// <summary>Change from <see cref="Reference"/> in percent, or null.</summary>
    public double? ChangePercent => Reference is > 0 and long r ? (Price - r) * 100.0 / r : null;
}

/// <summary>One price of the day, for the chart's price line.</summary>
/// <param name="At">When the price was read.</param>
/// <param name="Price">The price, KRW.</param>
public readonly record struct PriceSample(DateTimeOffset At, long Price);

/// <summary>
/// Prices for the ranking's price and change columns and the chart's price line: a real price (KIS
/// <c>inquire-price</c>, <see cref="RestPriceSource"/>; as recorded, <see cref="RecordedPriceSource"/>), or none
/// (<see cref="NoPriceSource"/>). Program-trading records
/// carry no price, so none is derived from them.
/// </summary>
public interface IPriceSource
{
    /// <summary>What the prices are and where they come from, as the page shows it (e.g. "KIS inquire-price (stck_prpr)").</summary>
    string Label { get; }

    /// <summary>The quote for <paramref name="code"/>, or null when none is known (yet).</summary>
    PriceQuote? Get(string code);

    /// <summary>The prices read for <paramref name="code"/> today, oldest first (empty when none).</summary>
    IReadOnlyList<PriceSample> Samples(string code);

    /// <summary>Raised with a code whose quote changed (off the caller's thread; handlers must be quick).</summary>
    event Action<string>? Changed;
}

/// <summary>No price: a recording that holds none (see <see cref="RecordedPriceSource"/>) or a board without REST credentials.</summary>
public sealed class NoPriceSource(string why) : IPriceSource
{
    /// <summary>The label of a recorded day.</summary>
    public const string Recorded = "none: this recording holds no prices (recorded before KisFeed kept them, or without REST credentials)";

    /// <inheritdoc/>
    public string Label { get; } = why;

    /// <inheritdoc/>
    public PriceQuote? Get(string code) => null;

    /// <inheritdoc/>
    public IReadOnlyList<PriceSample> Samples(string code) => [];

    /// <inheritdoc/>
    public event Action<string>? Changed
    {
        add { }
        remove { }
    }
}
