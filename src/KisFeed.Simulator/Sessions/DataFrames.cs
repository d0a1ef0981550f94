using System.Text;

namespace KisFeed.Simulator;

/// <summary>Data frames as the server writes them (notes §6).</summary>
internal static class DataFrames
{
    public static byte[] Format(string trId, List<string[]> records)
    {
        // Notes §6: "0|<TR>|<NNN>|" then count × 11 values joined by '^' — no record separator.
        var sb = new StringBuilder(32 + (records.Count * 120));
        sb.Append("0|").Append(trId).Append('|').Append(records.Count.ToString("D3", System.Globalization.CultureInfo.InvariantCulture)).Append('|');
        for (int r = 0; r < records.Count; r++)
        {
            string[] f = records[r];
            for (int i = 0; i < f.Length; i++)
            {
                if (r > 0 || i > 0)
                {
                    sb.Append('^');
                }

                sb.Append(f[i]);
            }
        }

        return Encoding.UTF8.GetBytes(sb.ToString());
    }
}
