namespace KisFeed.Simulator;

/// <summary>
/// The simulator's truth, for tests: what it shows for any stock or index at any instant, and the ranking by traded
/// value, computed from the same function its WebSocket frames, REST replies and <see cref="SimulatedDay"/> read.
/// <see cref="KisSimulator.Market"/> includes the updates that simulator was forced to send
/// (<see cref="KisSimulator.PublishNow(int)"/>); <see cref="Create"/> gives the pure function of the options.
/// </summary>
public sealed class SimulatedMarket
{
    internal SimulatedMarket(MarketFeed feed) => Feed = feed;

    /// <summary>The listed stocks and indices.</summary>
    public SimulatorUniverse Universe => Feed.Universe;

    internal MarketFeed Feed { get; }

    /// <summary>The market of <paramref name="options"/> (seed, hours, update rate, universe), as every simulator started with them serves it.</summary>
    public static SimulatedMarket Create(SimulatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new SimulatedMarket(new MarketFeed(new MarketModel(options.Seed, options.Hours, options.Universe), new StepPlan(options.Seed, options.UpdatesPerSecond)));
    }

    /// <summary>What the simulator shows for <paramref name="code"/> on <paramref name="venue"/> at <paramref name="at"/>.</summary>
    /// <exception cref="KeyNotFoundException">The code is not listed.</exception>
    public StockState StateAt(string code, SimulatorVenue venue, DateTimeOffset at)
    {
        SimulatedStock stock = Feed.Model.Stock(code);
        ProgramFields f = Feed.VisibleAt(stock, (Venue)venue, at);
        (DateOnly date, _, _) = MarketFeed.Split(at);
        return new StockState(stock.Code, stock.Name, stock.Market, venue, at, f.Price, Feed.Model.PreviousClose(stock, date),
            f.SellQty, f.SellValue, f.BuyQty, f.BuyValue, f.AskResidual, f.BidResidual, f.MarketVolume, f.MarketValue, f.ArbSellQty, f.ArbBuyQty);
    }

    /// <summary>
    /// The <paramref name="count"/> most traded stocks (accumulated value at <paramref name="at"/>, largest first; ties by
    /// code) on <paramref name="venue"/>, of one market or all: the order <c>volume-rank</c> with <c>FID_BLNG_CLS_CODE=3</c> uses.
    /// </summary>
    public IReadOnlyList<StockState> RankByTradedValue(DateTimeOffset at, SimulatorVenue venue = SimulatorVenue.Unified, StockMarket? market = null, int count = 30)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 0);
        return [.. Universe.Stocks.Where(s => market is null || s.Market == market)
            .Select(s => StateAt(s.Code, venue, at))
            .OrderByDescending(s => s.AccumulatedValue).ThenBy(s => s.Code, StringComparer.Ordinal)
            .Take(count)];
    }

    /// <summary>The index's program trading on <paramref name="venue"/> at the end of the second holding <paramref name="at"/>.</summary>
    /// <exception cref="KeyNotFoundException">The index is not offered.</exception>
    public IndexState IndexAt(string indexCode, DateTimeOffset at, SimulatorVenue venue = SimulatorVenue.Krx)
    {
        if (!Universe.TryGetIndex(indexCode, out SimulatedIndex? index))
        {
            throw new KeyNotFoundException($"{indexCode} is not an index the simulator offers.");
        }

        (DateOnly date, int second, _) = MarketFeed.Split(at);
        IndexTotals t = Feed.IndexAt(index, (Venue)venue, date, second);
        string[] fields = Feed.IndexRecord(index, date, second);
        return new IndexState(index.Code, venue, MarketFeed.SecondStart(date, second), t.ArbSellQty, t.ArbSellValue, t.ArbBuyQty, t.ArbBuyValue,
            t.NabtSellQty, t.NabtSellValue, t.NabtBuyQty, t.NabtBuyValue, t.MarketVolume, t.MarketValue, fields);
    }
}
