using System.Globalization;

namespace KisFeed.Simulator;

/// <summary>
/// The large-cap table (<c>data/large-caps.csv</c>, embedded): code, Korean name, English name, market, typical daily
/// traded value and price level. Lines starting with <c>#</c> are comments; the first other line is the header.
/// </summary>
internal static class LargeCaps
{
    private static readonly Lazy<IReadOnlyDictionary<string, SimulatedStock>> Table = new(Load);

    /// <summary>The large caps by code.</summary>
    public static IReadOnlyDictionary<string, SimulatedStock> All => Table.Value;

    public static bool TryGet(string code, out SimulatedStock stock) => Table.Value.TryGetValue(code, out stock!);

    /// <summary>Parses the table; a line that does not read as code, name, name_en, market, traded_value, price is skipped.</summary>
    internal static Dictionary<string, SimulatedStock> Parse(TextReader reader)
    {
        var result = new Dictionary<string, SimulatedStock>(StringComparer.Ordinal);
        bool header = true;
        while (reader.ReadLine() is { } line)
        {
            line = line.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            if (header)
            {
                header = false;
                continue;
            }

            string[] f = line.Split(',');
            if (f.Length < 6
                || !long.TryParse(f[4], NumberStyles.None, CultureInfo.InvariantCulture, out long value) || value <= 0
                || !long.TryParse(f[5], NumberStyles.None, CultureInfo.InvariantCulture, out long price) || price <= 0)
            {
                continue;
            }

            StockMarket market = f[3].Trim().Equals("KOSDAQ", StringComparison.OrdinalIgnoreCase) ? StockMarket.Kosdaq : StockMarket.Kospi;
            string code = f[0].Trim();
            result[code] = new SimulatedStock(code, f[1].Trim(), f[2].Trim(), market, TickGrid.Round(price), value, Generated: false);
        }

        return result;
    }

    private static Dictionary<string, SimulatedStock> Load()
    {
        using Stream? s = typeof(LargeCaps).Assembly.GetManifestResourceStream("KisFeed.Simulator.large-caps.csv");
        if (s is null)
        {
            return new Dictionary<string, SimulatedStock>(StringComparer.Ordinal);
        }

        using var reader = new StreamReader(s);
        return Parse(reader);
    }
}
