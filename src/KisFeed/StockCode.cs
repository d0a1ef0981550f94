using System.Diagnostics.CodeAnalysis;

namespace KisFeed;

/// <summary>
/// KIS short stock codes (<c>tr_key</c> of the stock TRs, <c>MKSC_SHRN_ISCD</c>): 6 characters, a digit then digits or
/// capital letters (<c>005930</c>, <c>0000J0</c>), or an ETN's <c>Q</c> and 6 digits (<c>Q500001</c>). The one rule
/// every part of KisFeed checks codes with.
/// </summary>
public static class StockCode
{
    /// <summary>True when <paramref name="code"/> (trimmed, any case) is a KIS short stock code; <paramref name="normalized"/> is it upper-cased.</summary>
    public static bool TryNormalize(string? code, [NotNullWhen(true)] out string? normalized)
    {
        ReadOnlySpan<char> text = code.AsSpan().Trim();
        normalized = null;
        if (text.Length == 7 && text[0] is 'Q' or 'q')
        {
            foreach (char c in text[1..])
            {
                if (!char.IsAsciiDigit(c))
                {
                    return false;
                }
            }
        }
        else if (text.Length == 6 && char.IsAsciiDigit(text[0]))
        {
            foreach (char c in text[1..])
            {
                if (!char.IsAsciiLetterOrDigit(c))
                {
                    return false;
                }
            }
        }
        else
        {
            return false;
        }

        normalized = text.ToString().ToUpperInvariant();
        return true;
    }

    /// <summary>True when <paramref name="code"/> is a KIS short stock code (see <see cref="TryNormalize"/>).</summary>
    public static bool IsValid(string? code) => TryNormalize(code, out _);

    /// <summary>The code upper-cased; throws <see cref="ArgumentException"/> saying what a stock code looks like when it is not one.</summary>
    public static string Normalize(string? code) =>
        TryNormalize(code, out string? normalized)
            ? normalized
            : throw new ArgumentException($"'{code}' is not a KIS stock code: use the 6-character short code, e.g. 005930 (an ETN is Q and 6 digits, e.g. Q500001).", nameof(code));
}
