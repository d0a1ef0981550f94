using System.Globalization;

namespace KisFeed.Simulator;

/// <summary>
/// The large-cap table (<c>data/large-caps.csv</c>, embedded): code, Korean name, English name, approximate price level.
/// Lines starting with <c>#</c> are comments; the first other line is the header.
/// </summary>
internal static class LargeCaps
{
    private static readonly Lazy<IReadOnlyDictionary<string, Entry>> Table = new(Load);

    public static IReadOnlyDictionary<string, Entry> All => Table.Value;

    public static bool TryGet(string code, out Entry entry) => Table.Value.TryGetValue(code, out entry!);

    internal static Dictionary<string, Entry> Parse(TextReader reader)
    {
        var result = new Dictionary<string, Entry>(StringComparer.Ordinal);
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
            if (f.Length >= 4 && long.TryParse(f[3], NumberStyles.None, CultureInfo.InvariantCulture, out long price) && price > 0)
            {
                result[f[0].Trim()] = new Entry(f[0].Trim(), f[1].Trim(), f[2].Trim(), price);
            }
        }

        return result;
    }

    private static Dictionary<string, Entry> Load()
    {
        using Stream? s = typeof(LargeCaps).Assembly.GetManifestResourceStream("KisFeed.Simulator.large-caps.csv");
        if (s is null)
        {
            return new Dictionary<string, Entry>(StringComparer.Ordinal);
        }

        using var reader = new StreamReader(s);
        return Parse(reader);
    }

    internal readonly record struct Entry(string Code, string Name, string NameEn, long Price);
}
