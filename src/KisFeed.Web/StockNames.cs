namespace KisFeed.Web;

/// <summary>Stock names by code, from <c>data/large-caps.csv</c> (embedded); unknown codes show the code.</summary>
public static class StockNames
{
    private static readonly Lazy<IReadOnlyDictionary<string, string>> Names = new(Load);

    /// <summary>The Korean name of <paramref name="code"/>, or the code itself when unknown.</summary>
    public static string Of(string code) => Names.Value.TryGetValue(code, out string? name) ? name : code;

    private static Dictionary<string, string> Load()
    {
        Dictionary<string, string> names = new(StringComparer.Ordinal);
        using Stream? stream = typeof(StockNames).Assembly.GetManifestResourceStream("data/large-caps.csv");
        if (stream is null)
        {
            return names;
        }

        using StreamReader reader = new(stream);
        while (reader.ReadLine() is { } line)
        {
            if (line.StartsWith('#') || line.StartsWith("code,", StringComparison.Ordinal))
            {
                continue;
            }

            string[] parts = line.Split(',');
            if (parts.Length >= 2 && parts[0].Length > 0)
            {
                names[parts[0].Trim()] = parts[1].Trim();
            }
        }

        return names;
    }
}
