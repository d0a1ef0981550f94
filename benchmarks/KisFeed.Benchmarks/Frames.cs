using System.Text;

namespace KisFeed.Benchmarks;

/// <summary>Realistic H0NXPGM0 frames with 1 and 10 records (cumulative values of plausible size).</summary>
internal static class Frames
{
    public static byte[] Build(int records, int seed = 7)
    {
        var rng = new Random(seed);
        string[] codes = ["005930", "000660", "035420", "051910", "005380", "035720", "068270", "105560", "055550", "012330"];
        var sb = new StringBuilder("0|H0NXPGM0|").Append(records.ToString("D3", System.Globalization.CultureInfo.InvariantCulture)).Append('|');
        for (int r = 0; r < records; r++)
        {
            long sellVol = rng.NextInt64(100_000, 3_000_000);
            long buyVol = rng.NextInt64(100_000, 3_000_000);
            long price = rng.NextInt64(20_000, 300_000);
            long sellVal = sellVol * price;
            long buyVal = buyVol * price;
            long ask = rng.NextInt64(0, 200_000);
            long bid = rng.NextInt64(0, 200_000);
            if (r > 0)
            {
                sb.Append('^');
            }

            sb.AppendJoin('^', codes[r % codes.Length], "093015", sellVol, sellVal, buyVol, buyVal, buyVol - sellVol, buyVal - sellVal, ask, bid, bid - ask);
        }

        return Encoding.ASCII.GetBytes(sb.ToString());
    }
}
