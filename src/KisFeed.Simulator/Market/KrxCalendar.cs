using System.Globalization;

namespace KisFeed.Simulator;

/// <summary>
/// The KRX trading calendar: weekdays that are not in <c>data/krx-holidays.csv</c> (embedded; 2024–2027 with their
/// source). NXT follows the same calendar and opened on <see cref="NxtOpening"/>; there is no NXT data before it.
/// Outside the years the file covers only weekends are closed.
/// </summary>
internal static class KrxCalendar
{
    /// <summary>NXT (Nextrade)'s first trading day.</summary>
    public static readonly DateOnly NxtOpening = new(2025, 3, 4);

    private static readonly Lazy<IReadOnlyDictionary<DateOnly, string>> Table = new(Load);

    /// <summary>The holidays, with their names.</summary>
    public static IReadOnlyDictionary<DateOnly, string> Holidays => Table.Value;

    /// <summary>Whether KRX trades on <paramref name="day"/>.</summary>
    public static bool IsTradingDay(DateOnly day) =>
        day.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday) && !Table.Value.ContainsKey(day);

    /// <summary>Whether NXT trades on <paramref name="day"/>.</summary>
    public static bool IsNxtTradingDay(DateOnly day) => day >= NxtOpening && IsTradingDay(day);

    /// <summary>The last trading day strictly before <paramref name="day"/>.</summary>
    public static DateOnly PreviousTradingDay(DateOnly day)
    {
        DateOnly d = day.AddDays(-1);
        while (!IsTradingDay(d))
        {
            d = d.AddDays(-1);
        }

        return d;
    }

    /// <summary>The last trading day at or before <paramref name="day"/>.</summary>
    public static DateOnly LatestTradingDay(DateOnly day) => IsTradingDay(day) ? day : PreviousTradingDay(day);

    internal static Dictionary<DateOnly, string> Parse(TextReader reader)
    {
        var result = new Dictionary<DateOnly, string>();
        while (reader.ReadLine() is { } line)
        {
            line = line.Trim();
            if (line.Length == 0 || line[0] == '#' || line.StartsWith("date,", StringComparison.Ordinal))
            {
                continue;
            }

            string[] f = line.Split(',');
            if (DateOnly.TryParseExact(f[0], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out DateOnly d))
            {
                result[d] = f.Length > 1 ? f[1].Trim() : string.Empty;
            }
        }

        return result;
    }

    private static Dictionary<DateOnly, string> Load()
    {
        using Stream? s = typeof(KrxCalendar).Assembly.GetManifestResourceStream("KisFeed.Simulator.krx-holidays.csv");
        if (s is null)
        {
            return [];
        }

        using var reader = new StreamReader(s);
        return Parse(reader);
    }
}
