namespace KisFeed.Protocol;

/// <summary>KIS short stock codes (<c>tr_key</c>, <c>MKSC_SHRN_ISCD</c>).</summary>
internal static class StockCode
{
    /// <summary>Checks a stock code: 1–12 ASCII letters or digits (KIS short codes are 6 digits, ETNs <c>Q</c> + 6), upper-cased.</summary>
    public static string Normalize(string? code)
    {
        string trimmed = code?.Trim() ?? string.Empty;
        if (trimmed.Length is 0 or > 12 || !trimmed.All(char.IsAsciiLetterOrDigit))
        {
            throw new ArgumentException($"'{code}' is not a KIS stock code: expected a short code such as 005930 (ETNs: Q500001).", nameof(code));
        }

        return trimmed.ToUpperInvariant();
    }
}
