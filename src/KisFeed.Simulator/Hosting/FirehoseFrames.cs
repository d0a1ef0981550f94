using System.Globalization;

namespace KisFeed.Simulator;

/// <summary>Builds firehose frames: plausible cumulative program-trading values in KIS wire format.</summary>
internal sealed class FirehoseFrames((string TrId, string[] Codes)[] trs, int recordsPerFrame)
{
    private readonly (string TrId, string[] Codes)[] _trs = trs;
    private long _sequence;
    private int _tr;
    private int _offset;

    /// <summary>One frame per (TR, starting code), values fixed: a cycle that covers every registration.</summary>
    public Outgoing[] BuildFixedSet()
    {
        var frames = new List<Outgoing>();
        foreach ((string trId, string[] codes) in _trs)
        {
            for (int k = 0; k < codes.Length; k++)
            {
                var records = new List<string[]>(recordsPerFrame);
                for (int r = 0; r < recordsPerFrame; r++)
                {
                    records.Add(Record(codes[(k + r) % codes.Length], 1_000_000 + (k * 1000) + r));
                }

                frames.Add(new Outgoing(OutKind.Data, DataFrames.Format(trId, records), trId, records));
            }
        }

        return [.. frames];
    }

    /// <summary>The next frame with new values (sell volume = running record number, from 1).</summary>
    public Outgoing Next()
    {
        (string trId, string[] codes) = _trs[_tr];
        var records = new List<string[]>(recordsPerFrame);
        bool wrapped = false;
        for (int r = 0; r < recordsPerFrame; r++)
        {
            records.Add(Record(codes[_offset], ++_sequence));
            _offset = (_offset + 1) % codes.Length;
            wrapped |= _offset == 0;
        }

        if (wrapped)
        {
            // A frame stays on one TR; the next frame moves on to the next TR's codes.
            _tr = (_tr + 1) % _trs.Length;
            _offset = 0;
        }

        return new Outgoing(OutKind.Data, DataFrames.Format(trId, records), trId, records);
    }

    private static string[] Record(string code, long sellVolume)
    {
        long price = 50_000 + (sellVolume % 97 * 100);
        long buyVolume = sellVolume + (sellVolume % 1_000);
        long sellValue = sellVolume * price;
        long buyValue = buyVolume * price;
        long ask = sellVolume % 50_000;
        long bid = (sellVolume * 7) % 50_000;
        long[] values = [sellVolume, sellValue, buyVolume, buyValue, buyVolume - sellVolume, buyValue - sellValue, ask, bid, bid - ask];
        string[] fields = new string[11];
        fields[0] = code;
        fields[1] = "093015";
        for (int i = 0; i < values.Length; i++)
        {
            fields[i + 2] = values[i].ToString(CultureInfo.InvariantCulture);
        }

        return fields;
    }
}
