using System.Runtime.InteropServices;

using DuckDB.NET.Data;

namespace KisFeed.Storage;

// The 10-second bins (program_trade_bins) of a batch, folded from the batch in memory: per (trading_date, venue, code,
// bin of kis_time) the last update by (kis_time seconds, seq) and the count, the same rule as StorageSchema.FoldIntoBinsSql
// applies in SQL, so the commit does not read the rows it has just appended again. A bin later than the last bin of its
// series in the table (most of them: time moves forward) cannot be there yet, so it is appended straight to the table;
// only the others (the bin the previous batch ended in, late and healed rows) go through the staging table's upsert.
public sealed partial class ProgramTradeRecorder
{
    private const long TicksPerBin = StorageSchema.BinSeconds * TimeSpan.TicksPerSecond;
    private const int SeqBits = 40; // as StorageSchema.OrderKey: seconds of the day above, seq (< 2^40) below

    // The bins of the batch being committed (owned by _lock), reused from commit to commit.
    private readonly Dictionary<BinKey, BinFold> _bins = [];

    // Per (date, venue, code) the last bin in the table (committed; owned by _lock): loaded when the recorder opens, kept
    // up after each commit (this recorder is the file's only writer). Bins past it are new.
    private readonly Dictionary<SeriesKey, int> _lastBins = [];
    private readonly Dictionary<SeriesKey, int> _pendingLastBins = []; // the batch's, applied once it commits

    /// <summary>A series of bins: one stock on one venue on one day.</summary>
    private readonly record struct SeriesKey(int DayNumber, Venue Venue, string Code);

    /// <summary>A bin of <see cref="StorageSchema.BinsTable"/>: its primary key.</summary>
    private readonly record struct BinKey(int DayNumber, Venue Venue, string Code, int Bin);

    /// <summary>The last update of a bin so far (by <see cref="LastKey"/>) and the number of updates.</summary>
    private struct BinFold
    {
        public long LastKey;
        public long NetBuyValue;
        public long BuyValue;
        public long SellValue;
        public long Volume;
        public long Records;
    }

    /// <summary>Loads the last bin of every series in the table (a new file has none).</summary>
    private void LoadLastBins()
    {
        using DuckDBCommand command = _connection.CreateCommand();
        command.CommandText = "SELECT trading_date - DATE '1970-01-01', CAST(enum_code(venue) AS INTEGER), code, max(bin) FROM program_trade_bins GROUP BY ALL";
        using DuckDBDataReader reader = command.ExecuteReader();
        while (reader.Read())
        {
            _lastBins[new SeriesKey(UnixEpochDayNumber + (int)reader.GetInt64(0), (Venue)reader.GetInt32(1), reader.GetString(2))] = reader.GetInt32(3);
        }
    }

    private const int UnixEpochDayNumber = 719_162;

    /// <summary>After a commit: the batch's bins are in the table.</summary>
    private void BinsCommittedLocked()
    {
        foreach ((SeriesKey series, int bin) in _pendingLastBins)
        {
            _lastBins[series] = bin;
        }

        _pendingLastBins.Clear();
    }

    /// <summary>Folds the buffered trades, numbered from <paramref name="firstSeq"/>, into <see cref="_bins"/>.</summary>
    private void FoldBinsLocked(long firstSeq)
    {
        _bins.Clear();
        long seq = firstSeq;
        for (int i = 0; i < _count; i++, seq++)
        {
            ref readonly ProgramTrade t = ref _buffer[i];
            // epoch_us(kis_time) of the stored TIME: the time truncated to microseconds, as the appender stores it.
            long micros = t.Time.Ticks / TimeSpan.TicksPerMicrosecond;
            long key = ((micros / 1_000_000) << SeqBits) + seq;
            ref BinFold bin = ref CollectionsMarshal.GetValueRefOrAddDefault(
                _bins, new BinKey(t.TradingDate.DayNumber, t.Venue, t.Code, (int)(micros * TimeSpan.TicksPerMicrosecond / TicksPerBin)), out bool exists);
            if (!exists || key > bin.LastKey)
            {
                bin.LastKey = key;
                bin.NetBuyValue = t.NetBuyValue;
                bin.BuyValue = t.BuyValue;
                bin.SellValue = t.SellValue;
                bin.Volume = t.BuyVolume + t.SellVolume;
            }

            bin.Records++;
        }
    }

    /// <summary>
    /// Upserts the batch's bins into <see cref="StorageSchema.BinsTable"/> in the current transaction: folded in memory;
    /// new bins appended to the table, the others to the connection's staging table, then one
    /// <c>INSERT … ON CONFLICT DO UPDATE</c>.
    /// </summary>
    private void UpsertBinsLocked(long firstSeq)
    {
        if (_options.FoldBinsInSql)
        {
            StorageFile.Execute(_connection, StorageSchema.FoldIntoBinsSql(
                string.Create(System.Globalization.CultureInfo.InvariantCulture, $"seq >= {firstSeq} AND seq < {firstSeq + _count}")));
            return;
        }

        FoldBinsLocked(firstSeq);
        _pendingLastBins.Clear();
        int staged = 0;
        using (DuckDBAppender table = _connection.CreateAppender(StorageSchema.BinsTable))
        {
            DuckDBAppender? stage = null;
            try
            {
                foreach ((BinKey k, BinFold f) in _bins)
                {
                    SeriesKey series = new(k.DayNumber, k.Venue, k.Code);
                    bool isNew = !_lastBins.TryGetValue(series, out int last) || k.Bin > last;
                    if (isNew)
                    {
                        ref int pending = ref CollectionsMarshal.GetValueRefOrAddDefault(_pendingLastBins, series, out bool seen);
                        pending = seen ? Math.Max(pending, k.Bin) : k.Bin;
                    }
                    else
                    {
                        staged++;
                    }

                    (isNew ? table : stage ??= _connection.CreateAppender(StorageSchema.BinsStageTable)).CreateRow()
                        .AppendValue(DateOnly.FromDayNumber(k.DayNumber))
                        .AppendValue(k.Venue)
                        .AppendValue(k.Code)
                        .AppendValue(k.Bin)
                        .AppendValue(f.LastKey)
                        .AppendValue(f.NetBuyValue)
                        .AppendValue(f.BuyValue)
                        .AppendValue(f.SellValue)
                        .AppendValue(f.Volume)
                        .AppendValue(f.Records)
                        .EndRow();
                }
            }
            finally
            {
                stage?.Dispose();
            }
        }

        if (staged > 0)
        {
            StorageFile.Execute(_connection, StorageSchema.UpsertStagedBinsSql);
        }

        int folded = _bins.Count;
        _bins.Clear();
        if (folded > 65_536)
        {
            _bins.TrimExcess(); // a batch of scattered times (a day's REST history) does not keep its table for good
        }
    }
}
