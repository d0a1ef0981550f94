namespace KisFeed.Simulator;

/// <summary>
/// The stocks (and indices) the simulator lists. Only these have data: a WebSocket subscription to another code is
/// refused (<c>OPSP8992</c>, or silence with <see cref="UnknownCodeReply.Silent"/>), a REST call for one gets an error body.
/// <see cref="Default"/> holds the large caps of <c>data/large-caps.csv</c> with their real names and about 2,500
/// generated stocks (names starting with <see cref="GeneratedNamePrefix"/>, <see cref="SimulatedStock.Generated"/> true).
/// </summary>
public sealed class SimulatorUniverse
{
    /// <summary>The start of every generated stock's Korean name ("virtual"), so it cannot pass for a real listing.</summary>
    public const string GeneratedNamePrefix = "가상";

    private static readonly Lazy<SimulatorUniverse> DefaultUniverse = new(() =>
    {
        IReadOnlyDictionary<string, SimulatedStock> caps = LargeCaps.All;
        var taken = new HashSet<string>(caps.Keys, StringComparer.Ordinal);
        return new SimulatorUniverse([.. caps.Values, .. GeneratedStocks.Codes(taken).Select(GeneratedStocks.Make)]);
    });

    private readonly Dictionary<string, int> _ordinal;
    private readonly Dictionary<string, SimulatedIndex> _indices;

    private SimulatorUniverse(IEnumerable<SimulatedStock> stocks)
    {
        Stocks = [.. stocks.DistinctBy(s => s.Code, StringComparer.Ordinal).OrderBy(s => s.Code, StringComparer.Ordinal)];
        _ordinal = new Dictionary<string, int>(Stocks.Count, StringComparer.Ordinal);
        for (int i = 0; i < Stocks.Count; i++)
        {
            _ordinal[Stocks[i].Code] = i;
        }

        SimulatedStock[] kospi = [.. ByValue(StockMarket.Kospi)];
        SimulatedStock[] kosdaq = [.. ByValue(StockMarket.Kosdaq)];
        Indices =
        [
            new SimulatedIndex("0001", "종합 KOSPI", StockMarket.Kospi, [.. kospi.Select(s => s.Code)], 2_650, Inferred: false),
            new SimulatedIndex("1001", "코스닥 KOSDAQ", StockMarket.Kosdaq, [.. kosdaq.Select(s => s.Code)], 750, Inferred: false),
            new SimulatedIndex("2001", "코스피200 KOSPI 200", StockMarket.Kospi, [.. kospi.Take(200).Select(s => s.Code)], 355, Inferred: false),
            new SimulatedIndex("0128", "0128 (modelled as the 100 largest KOSPI stocks)", StockMarket.Kospi, [.. kospi.Take(100).Select(s => s.Code)], 1_000, Inferred: true),
        ];
        _indices = Indices.ToDictionary(i => i.Code, StringComparer.Ordinal);
        ArbitrageBasket = new Dictionary<StockMarket, IReadOnlyList<string>>
        {
            [StockMarket.Kospi] = [.. kospi.Take(200).Select(s => s.Code)],
            [StockMarket.Kosdaq] = [.. kosdaq.Take(150).Select(s => s.Code)],
        };

        IEnumerable<SimulatedStock> ByValue(StockMarket m) =>
            Stocks.Where(s => s.Market == m).OrderByDescending(s => s.TypicalTradedValue).ThenBy(s => s.Code, StringComparer.Ordinal);
    }

    /// <summary>The large caps with their real names and about 2,500 generated stocks (about 2,600 in all).</summary>
    public static SimulatorUniverse Default => DefaultUniverse.Value;

    /// <summary>Every stock, in code order.</summary>
    public IReadOnlyList<SimulatedStock> Stocks { get; }

    /// <summary>The indices offered for <c>H0UPPGM0</c>: 0001 KOSPI, 1001 KOSDAQ, 2001 KOSPI200 and 0128 (the official check's second code).</summary>
    public IReadOnlyList<SimulatedIndex> Indices { get; }

    /// <summary>The stocks arbitrage baskets are made of, per market (the 200 / 150 largest), in weight order.</summary>
    internal IReadOnlyDictionary<StockMarket, IReadOnlyList<string>> ArbitrageBasket { get; }

    /// <summary>A universe of exactly <paramref name="stocks"/> (for tests and special set-ups).</summary>
    public static SimulatorUniverse Create(IEnumerable<SimulatedStock> stocks)
    {
        ArgumentNullException.ThrowIfNull(stocks);
        return new SimulatorUniverse(stocks);
    }

    /// <summary>This universe plus generated stocks for <paramref name="codes"/> (codes already listed keep their entry).</summary>
    public SimulatorUniverse WithGenerated(IEnumerable<string> codes)
    {
        ArgumentNullException.ThrowIfNull(codes);
        return new SimulatorUniverse([.. Stocks, .. codes.Where(c => !Contains(c)).Select(GeneratedStocks.Make)]);
    }

    /// <summary>Whether <paramref name="code"/> is listed.</summary>
    public bool Contains(string code) => _ordinal.ContainsKey(code);

    /// <summary>The stock of <paramref name="code"/>, if listed.</summary>
    public bool TryGet(string code, out SimulatedStock stock)
    {
        if (_ordinal.TryGetValue(code, out int i))
        {
            stock = Stocks[i];
            return true;
        }

        stock = null!;
        return false;
    }

    /// <summary>The index of <paramref name="code"/>, if offered.</summary>
    public bool TryGetIndex(string code, out SimulatedIndex index) => _indices.TryGetValue(code, out index!);

    /// <summary>Position of a listed code in <see cref="Stocks"/>, or -1.</summary>
    internal int OrdinalOf(string code) => _ordinal.TryGetValue(code, out int i) ? i : -1;
}
