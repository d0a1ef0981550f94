using System.Diagnostics.CodeAnalysis;

namespace KisFeed;

/// <summary>
/// KIS index (업종) codes, the <c>tr_key</c> of <c>H0UPPGM0</c> and its <c>bstp_cls_code</c>: four digits, e.g.
/// <c>0001</c> (KOSPI), <c>1001</c> (KOSDAQ), <c>2001</c> (KOSPI200) [the usual codes of KIS's master files; the
/// official check subscribes <c>0001</c> and <c>0128</c>].
/// </summary>
public static class IndexCode
{
    /// <summary>KOSPI.</summary>
    public const string Kospi = "0001";

    /// <summary>KOSDAQ.</summary>
    public const string Kosdaq = "1001";

    /// <summary>KOSPI200.</summary>
    public const string Kospi200 = "2001";

    /// <summary>True when <paramref name="code"/> (trimmed) is four ASCII digits; <paramref name="normalized"/> is it trimmed.</summary>
    public static bool TryNormalize(string? code, [NotNullWhen(true)] out string? normalized)
    {
        ReadOnlySpan<char> text = code.AsSpan().Trim();
        normalized = null;
        if (text.Length != 4)
        {
            return false;
        }

        foreach (char c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        normalized = text.ToString();
        return true;
    }

    /// <summary>True when <paramref name="code"/> is a KIS index code (see <see cref="TryNormalize"/>).</summary>
    public static bool IsValid(string? code) => TryNormalize(code, out _);

    /// <summary>The code trimmed; throws <see cref="ArgumentException"/> saying what an index code looks like when it is not one.</summary>
    public static string Normalize(string? code) =>
        TryNormalize(code, out string? normalized)
            ? normalized
            : throw new ArgumentException($"'{code}' is not a KIS index code: use the 4-digit 업종 code, e.g. 0001 (KOSPI), 1001 (KOSDAQ) or 2001 (KOSPI200).", nameof(code));
}
