namespace KisFeed.Cli;

/// <summary>Stock names for the board, from the built-in table of large caps (data/large-caps.csv, embedded).</summary>
internal sealed class BoardNames
{
    private readonly Dictionary<string, string> _names;

    public BoardNames(IReadOnlyDictionary<string, string> names) => _names = new Dictionary<string, string>(names, StringComparer.Ordinal);

    public static BoardNames Default { get; } = Load();

    /// <summary>The name, or null for an unknown code.</summary>
    public string? Of(string code) => _names.TryGetValue(code, out string? n) ? n : null;

    public int Count => _names.Count;

    /// <summary>Reads <c>code,name,name_en,price</c> lines; <c>#</c> starts a comment; the header row is skipped.</summary>
    public static BoardNames Parse(TextReader reader)
    {
        Dictionary<string, string> names = new(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
        {
            string t = line.Trim();
            if (t.Length == 0 || t.StartsWith('#') || t.StartsWith("code,", StringComparison.Ordinal))
            {
                continue;
            }

            string[] f = t.Split(',');
            if (f.Length >= 2 && f[0].Trim().Length > 0 && f[1].Trim().Length > 0)
            {
                names[f[0].Trim()] = f[1].Trim();
            }
        }

        return new BoardNames(names);
    }

    private static BoardNames Load()
    {
        using Stream? stream = typeof(BoardNames).Assembly.GetManifestResourceStream("KisFeed.Cli.large-caps.csv");
        if (stream is null)
        {
            return new BoardNames(new Dictionary<string, string>());
        }

        using var reader = new StreamReader(stream);
        return Parse(reader);
    }
}
