namespace KisFeed.Benchmarks;

/// <summary>
/// The parser most KIS samples amount to: decode the frame to a string, Split on '|' and '^', long.Parse each field.
/// Lives here only, as the baseline the real parser is measured against.
/// </summary>
internal static class NaiveParser
{
    public static int Parse(byte[] frame, DateTimeOffset receivedAt, List<ProgramTrade> output)
    {
        string text = System.Text.Encoding.UTF8.GetString(frame);
        string[] parts = text.Split('|', 4);
        Venue venue = parts[1] switch { "H0NXPGM0" => Venue.Nxt, "H0STPGM0" => Venue.Krx, _ => Venue.Unified };
        int count = int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture);
        string[] f = parts[3].Split('^');
        int width = f.Length / count;
        var date = DateOnly.FromDateTime(receivedAt.ToOffset(TimeSpan.FromHours(9)).DateTime);
        for (int r = 0; r < count; r++)
        {
            int o = r * width;
            string hhmmss = f[o + 1];
            var time = new TimeOnly(int.Parse(hhmmss[..2], System.Globalization.CultureInfo.InvariantCulture), int.Parse(hhmmss[2..4], System.Globalization.CultureInfo.InvariantCulture), int.Parse(hhmmss[4..], System.Globalization.CultureInfo.InvariantCulture));
            output.Add(new ProgramTrade(venue, f[o], date, time, L(f[o + 2]), L(f[o + 3]), L(f[o + 4]), L(f[o + 5]), L(f[o + 6]), L(f[o + 7]), L(f[o + 8]), L(f[o + 9]), L(f[o + 10]), receivedAt));
        }

        return count;
    }

    private static long L(string s) => long.Parse(s, System.Globalization.CultureInfo.InvariantCulture);
}
