using System.Globalization;
using System.Text.RegularExpressions;

namespace KisFeed.Cli;

/// <summary>Durations as users write them: <c>90s</c>, <c>5m</c>, <c>1h30m</c>, <c>1h30m15s</c>, <c>500ms</c>, <c>1.5h</c>, <c>00:05:00</c>.</summary>
internal static partial class Durations
{
    public const string Examples = "90s, 5m, 1h30m or 00:05:00";

    public static bool TryParse(string? text, out TimeSpan value, out string error)
    {
        value = default;
        string t = (text ?? string.Empty).Trim();
        if (t.Length == 0)
        {
            error = $"a duration is empty: write it as {Examples}.";
            return false;
        }

        if (t.Contains(':', StringComparison.Ordinal))
        {
            if (!TimeSpan.TryParseExact(t, ["h\\:mm\\:ss", "hh\\:mm\\:ss", "h\\:mm\\:ss\\.FFFFFFF", "d\\.hh\\:mm\\:ss", "m\\:ss"], CultureInfo.InvariantCulture, out value))
            {
                error = $"'{t}' is not a duration: write it as {Examples}.";
                return false;
            }
        }
        else
        {
            Match m = Units().Match(t);
            if (!m.Success)
            {
                error = t.StartsWith('-')
                    ? $"'{t}' is negative: a duration must be more than zero ({Examples})."
                    : $"'{t}' is not a duration: write it as {Examples}.";
                return false;
            }

            double total = 0;
            foreach (Capture c in m.Groups["part"].Captures)
            {
                Match part = Part().Match(c.Value);
                double n = double.Parse(part.Groups["n"].Value, CultureInfo.InvariantCulture);
                total += part.Groups["u"].Value.ToLowerInvariant() switch
                {
                    "ms" => n / 1000,
                    "s" => n,
                    "m" => n * 60,
                    "h" => n * 3600,
                    _ => n * 86400, // d
                };
            }

            if (total > TimeSpan.MaxValue.TotalSeconds / 2)
            {
                error = $"'{t}' is too long a duration.";
                return false;
            }

            value = TimeSpan.FromSeconds(total);
        }

        if (value <= TimeSpan.Zero)
        {
            error = $"'{t}' is not more than zero: a duration must be positive ({Examples}).";
            return false;
        }

        error = string.Empty;
        return true;
    }

    [GeneratedRegex(@"^(?<part>\d+(?:\.\d+)?(?:ms|d|h|m|s))+$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Units();

    [GeneratedRegex(@"^(?<n>\d+(?:\.\d+)?)(?<u>ms|d|h|m|s)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Part();
}
