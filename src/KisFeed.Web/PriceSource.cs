using System.Collections.Concurrent;

namespace KisFeed.Web;

/// <summary>A stock's price as the board shows it.</summary>
/// <param name="Price">The price, KRW.</param>
/// <param name="Reference">The price the change is measured from (e.g. the previous close), KRW; null when unknown.</param>
/// <param name="Source">What the price is, in a few words (shown as a tooltip), e.g. "program trades (avg of last trade)".</param>
public readonly record struct PriceQuote(long Price, long? Reference, string Source)
{
    /// <summary>Change from <see cref="Reference"/> in percent, or null.</summary>
    public double? ChangePercent => Reference is > 0 and long r ? (Price - r) * 100.0 / r : null;
}

/// <summary>
/// Prices for the ranking's price and change columns and the chart's price line. The board asks for a code's quote
/// when it sends that code's row. Plug in a REST quote source (current price, previous close) here; the default,
/// <see cref="ProgramTradePriceSource"/>, derives a price from the program-trading updates themselves.
/// </summary>
public interface IPriceSource
{
    /// <summary>Called for every live update (in feed order), so a source may derive prices from them.</summary>
    void Observe(in ProgramTrade trade);

    /// <summary>The quote for <paramref name="code"/>, or null when none is known yet.</summary>
    PriceQuote? Get(string code);
}

/// <summary>
/// Derives a price from cumulative program-trading values: the value traded between two updates divided by the
/// shares traded between them is the average price of those program trades. The reference is the first such price of
/// the day (so the change column reads "since the first program trade", not since the previous close: KIS's
/// program-trading TRs carry no close). A REST source that knows the previous close should replace this.
/// </summary>
public sealed class ProgramTradePriceSource : IPriceSource
{
    /// <summary>The <see cref="PriceQuote.Source"/> text of these quotes.</summary>
    public const string Description = "avg price of the latest program trades; change vs the day's first";

    private readonly ConcurrentDictionary<string, State> _byCode = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string, Venue), (long Value, long Volume, DateOnly Day)> _last = new();

    private sealed class State
    {
        public long Price;
        public long Reference;
        public DateOnly Day;
    }

    /// <inheritdoc/>
    public void Observe(in ProgramTrade trade)
    {
        long value = trade.BuyValue + trade.SellValue;
        long volume = trade.BuyVolume + trade.SellVolume;
        (string, Venue) key = (trade.Code, trade.Venue);
        bool hasPrevious = _last.TryGetValue(key, out (long Value, long Volume, DateOnly Day) previous) && previous.Day == trade.TradingDate;
        _last[key] = (value, volume, trade.TradingDate);
        long dValue = hasPrevious ? value - previous.Value : value;
        long dVolume = hasPrevious ? volume - previous.Volume : volume;
        if (dVolume <= 0 || dValue <= 0)
        {
            return;
        }

        long price = (long)Math.Round((double)dValue / dVolume);
        State state = _byCode.GetOrAdd(trade.Code, _ => new State());
        lock (state)
        {
            if (state.Day != trade.TradingDate)
            {
                state.Day = trade.TradingDate;
                state.Reference = price;
            }

            state.Price = price;
        }
    }

    /// <summary>Sets a code's price and reference directly (seeding from a recording).</summary>
    public void Seed(string code, DateOnly day, long price, long reference)
    {
        State state = _byCode.GetOrAdd(code, _ => new State());
        lock (state)
        {
            state.Day = day;
            state.Price = price;
            state.Reference = reference;
        }
    }

    /// <inheritdoc/>
    public PriceQuote? Get(string code)
    {
        if (!_byCode.TryGetValue(code, out State? state))
        {
            return null;
        }

        lock (state)
        {
            return state.Price > 0 ? new PriceQuote(state.Price, state.Reference, Description) : null;
        }
    }
}
