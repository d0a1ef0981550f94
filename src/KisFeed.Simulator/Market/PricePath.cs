namespace KisFeed.Simulator;

/// <summary>
/// One stock's price over one KST day: a walk on the KRX tick grid, one tick per move. The day opens near the stock's
/// level (an offset that is a moving sum of 20 daily draws, so consecutive days stay close); moves come at random
/// seconds (about one every 2 minutes in KRX's main session, one every 8½ minutes in the other open hours, one every
/// 4 minutes in an always-open market, none while every venue is closed), up or down; a bid/ask bounce flips the price by
/// one tick every 2½ minutes or so without adding to the walk. No two changes share a second, so consecutive seconds differ
/// by at most one tick. The intraday range comes out around 1–3 % (σ about 14 ticks over a day).
/// <para>
/// Everything is a hash of (seed, stock, day): the walk and bounce count at each block start are kept (2.7 KB a day);
/// the changes inside a block are drawn again when asked for, so any second costs a lookup and a few hashes.
/// </para>
/// </summary>
internal sealed class PricePath
{
    private const int Block = DaySchedule.PriceBlock;
    private const int BlocksPerDay = DaySchedule.PriceBlocks;
    private const int MaxChanges = 64;

    /// <summary>Open seconds per bid/ask bounce on average.</summary>
    private const double BounceSeconds = 150;

    private readonly ulong _key;
    private readonly DaySchedule _schedule;
    private readonly long _openIndex;
    private readonly int[] _walkAt = new int[BlocksPerDay + 1];
    private readonly int[] _flipsAt = new int[BlocksPerDay + 1];

    public PricePath(int seed, SimulatedStock stock, DaySchedule schedule)
    {
        _schedule = schedule;
        DateOnly date = schedule.Date;
        _key = Mix.Hash((ulong)seed, 0x50524943UL, Mix.Key(stock.Code), (ulong)date.DayNumber, (ulong)schedule.Hours);
        ulong stockKey = Mix.Hash((ulong)seed, 0x4F50454EUL, Mix.Key(stock.Code));
        double drift = 0;
        for (int j = 0; j < 20; j++)
        {
            drift += Mix.FastNormal(Mix.Hash(stockKey, (ulong)(date.DayNumber - j)));
        }

        _openIndex = Math.Max(1, TickGrid.IndexOf(stock.PriceLevel) + (long)Math.Round(15 * drift / Math.Sqrt(20)));
        Span<int> seconds = stackalloc int[MaxChanges];
        Span<int> deltas = stackalloc int[MaxChanges];
        int walk = 0, flips = 0;
        for (int b = 0; b < BlocksPerDay; b++)
        {
            _walkAt[b] = walk;
            _flipsAt[b] = flips;
            int n = Changes(b, seconds, deltas);
            for (int i = 0; i < n; i++)
            {
                if (deltas[i] == 0)
                {
                    flips++;
                }
                else
                {
                    walk += deltas[i];
                }
            }
        }

        _walkAt[BlocksPerDay] = walk;
        _flipsAt[BlocksPerDay] = flips;
    }

    /// <summary>The price at the end of the day (the close).</summary>
    public long Close => TickGrid.PriceAt(Math.Max(0, _openIndex + _walkAt[BlocksPerDay] + (_flipsAt[BlocksPerDay] & 1)));

    /// <summary>The price as price block <paramref name="block"/> (of <see cref="DaySchedule.PriceBlock"/> s) starts: a lookup.</summary>
    public long PriceAtBlockStart(int block)
    {
        block = Math.Clamp(block, 0, BlocksPerDay);
        return TickGrid.PriceAt(Math.Max(0, _openIndex + _walkAt[block] + (_flipsAt[block] & 1)));
    }

    /// <summary>The price after second <paramref name="second"/> (0–86,399) of the day; the opening level before it.</summary>
    public long PriceAfter(int second) => TickGrid.PriceAt(IndexAfter(second));

    /// <summary>The grid position after second <paramref name="second"/>.</summary>
    public long IndexAfter(int second)
    {
        if (second < 0)
        {
            return _openIndex;
        }

        if (second >= DayProfile.DaySeconds - 1)
        {
            return Math.Max(0, _openIndex + _walkAt[BlocksPerDay] + (_flipsAt[BlocksPerDay] & 1));
        }

        int b = second / Block;
        int walk = _walkAt[b], flips = _flipsAt[b];
        Span<int> seconds = stackalloc int[MaxChanges];
        Span<int> deltas = stackalloc int[MaxChanges];
        int n = Changes(b, seconds, deltas);
        for (int i = 0; i < n && seconds[i] <= second; i++)
        {
            if (deltas[i] == 0)
            {
                flips++;
            }
            else
            {
                walk += deltas[i];
            }
        }

        return Math.Max(0, _openIndex + walk + (flips & 1));
    }

    /// <summary>The first, highest and lowest price from second <paramref name="from"/> up to <paramref name="to"/>.</summary>
    public (long First, long High, long Low) Range(int from, int to)
    {
        long first = PriceAfter(from);
        long hi = first, lo = first;
        Span<int> seconds = stackalloc int[MaxChanges];
        Span<int> deltas = stackalloc int[MaxChanges];
        for (int b = Math.Max(0, from / Block); b < BlocksPerDay && b * Block <= to; b++)
        {
            int walk = _walkAt[b], flips = _flipsAt[b];
            int n = Changes(b, seconds, deltas);
            for (int i = 0; i < n && seconds[i] <= to; i++)
            {
                if (deltas[i] == 0)
                {
                    flips++;
                }
                else
                {
                    walk += deltas[i];
                }

                if (seconds[i] > from)
                {
                    long p = TickGrid.PriceAt(Math.Max(0, _openIndex + walk + (flips & 1)));
                    hi = Math.Max(hi, p);
                    lo = Math.Min(lo, p);
                }
            }
        }

        return (first, hi, lo);
    }

    /// <summary>
    /// The price changes of block <paramref name="b"/> in time order: (second, +1/-1 for a move, 0 for a bounce). The
    /// block is cut into as many equal slots as it has changes, one change in each (so no two share a second and they
    /// come out sorted); a change whose second finds every venue closed is dropped.
    /// </summary>
    private int Changes(int b, Span<int> seconds, Span<int> deltas)
    {
        int open = _schedule.OpenSeconds[b];
        if (open == 0)
        {
            return 0;
        }

        int start = b * Block, end = Math.Min(DayProfile.DaySeconds, start + Block);
        double moveRate = _schedule.MoveRate[b], rate = moveRate + (open / BounceSeconds);
        ulong bk = Mix.Hash(_key, (ulong)b);
        int count = Math.Min(MaxChanges, Mix.Poisson(rate, bk));
        if (count == 0)
        {
            return 0;
        }

        bool allOpen = open == end - start;
        double width = (end - start) / (double)count, moveShare = moveRate / rate;
        int n = 0;
        for (int i = 0; i < count; i++)
        {
            ulong h = Mix.Hash(bk, (ulong)i + 1);
            int s = start + (int)((i + Mix.Unit(h)) * width);
            if (!allOpen && !_schedule.IsOpen(Venue.Unified, s))
            {
                continue; // nothing moves while every venue is closed
            }

            seconds[n] = s;
            deltas[n] = (h & 0xFFFF) / 65536.0 < moveShare ? ((h & 0x10000) == 0 ? 1 : -1) : 0;
            n++;
        }

        return n;
    }
}
