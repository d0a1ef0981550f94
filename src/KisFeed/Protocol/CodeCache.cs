namespace KisFeed.Protocol;

/// <summary>
/// Turns the ASCII bytes of a stock code into a shared <see cref="string"/> so that parsing a record allocates nothing
/// once a code has been seen. Not thread-safe: one cache per reader.
/// </summary>
internal sealed class CodeCache
{
    // MKSC_SHRN_ISCD is at most 9 characters (KIS portal); a longer field means a lost separator, not a code.
    private const int MaxCodeLength = 9;
    private const int RecentSize = 256;
    private readonly Dictionary<string, string> _codes = new(StringComparer.Ordinal);
    private readonly Dictionary<ulong, string> _short = [];
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly int _capacity;
    private readonly ulong[] _recentKeys = new ulong[RecentSize];
    private readonly string?[] _recentCodes = new string?[RecentSize];

    public CodeCache(int capacity = 8192)
    {
        _capacity = capacity;
        _lookup = _codes.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int Count => _codes.Count;

    /// <summary>Returns the code as a string, or null when the bytes are not a plausible code (1–9 ASCII letters or digits).</summary>
    public string? Get(ReadOnlySpan<byte> ascii)
    {
        if (ascii.IsEmpty || ascii.Length > MaxCodeLength)
        {
            return null;
        }

        if (ascii.Length <= 8)
        {
            // Fast path for KIS short codes (6–7 bytes): the bytes packed into one 64-bit key.
            ulong packed = 0;
            for (int i = 0; i < ascii.Length; i++)
            {
                packed |= (ulong)ascii[i] << (8 * i);
            }

            // The key does not hold the length: "005930" and "005930\0" pack alike, so the length must match too.
            if (_short.TryGetValue(packed, out string? known) && known.Length == ascii.Length)
            {
                return known;
            }

            string? code = Slow(ascii);
            if (code is not null && _short.Count < _capacity)
            {
                _short[packed] = code;
            }

            return code;
        }

        return Slow(ascii);
    }

    /// <summary>
    /// <see cref="Get"/> for a code of 1–8 bytes already packed little-endian into <paramref name="packed"/>: a
    /// direct-mapped array in front of the dictionary makes the usual hit a multiply, a shift and a compare.
    /// </summary>
    public string? GetPacked(ulong packed, ReadOnlySpan<byte> ascii)
    {
        int slot = (int)((packed * 0x9E3779B97F4A7C15UL) >> 56);
        string? code = _recentCodes[slot];
        if (code is not null && _recentKeys[slot] == packed && code.Length == ascii.Length)
        {
            return code;
        }

        code = Get(ascii);
        if (code is not null)
        {
            _recentKeys[slot] = packed;
            _recentCodes[slot] = code;
        }

        return code;
    }

    private string? Slow(ReadOnlySpan<byte> ascii)
    {
        Span<char> chars = stackalloc char[MaxCodeLength];
        for (int i = 0; i < ascii.Length; i++)
        {
            byte b = ascii[i];
            if (!char.IsAsciiLetterOrDigit((char)b))
            {
                return null;
            }

            chars[i] = (char)b;
        }

        ReadOnlySpan<char> key = chars[..ascii.Length];
        if (_lookup.TryGetValue(key, out string? code))
        {
            return code;
        }

        code = new string(key);
        if (_codes.Count < _capacity)
        {
            _codes[code] = code;
        }

        return code;
    }
}
