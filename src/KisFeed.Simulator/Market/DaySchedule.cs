namespace KisFeed.Simulator;

/// <summary>
/// What is open when on one KST day under one <see cref="MarketHours"/>: a bit per second per venue, and per block of
/// <see cref="PriceBlock"/> seconds the expected number of price moves and the open seconds. Shared by every stock.
/// </summary>
internal sealed class DaySchedule
{
    public const int PriceBlock = 256;
    public const int PriceBlocks = (DayProfile.DaySeconds + PriceBlock - 1) / PriceBlock;

    private readonly ulong[] _krx = new ulong[(DayProfile.DaySeconds / 64) + 1];
    private readonly ulong[] _nxt = new ulong[(DayProfile.DaySeconds / 64) + 1];
    private readonly int[] _firstOpen = [-1, -1];

    public DaySchedule(DateOnly date, MarketHours hours)
    {
        Date = date;
        Hours = hours;
        MoveRate = new double[PriceBlocks];
        OpenSeconds = new int[PriceBlocks];
        foreach ((Venue venue, ulong[] bits, int slot) in (ReadOnlySpan<(Venue, ulong[], int)>)[(Venue.Krx, _krx, 0), (Venue.Nxt, _nxt, 1)])
        {
            foreach ((int start, int end) in SessionHours.Intervals(hours, venue, date))
            {
                _firstOpen[slot] = _firstOpen[slot] < 0 ? start : Math.Min(_firstOpen[slot], start);
                for (int sec = start; sec < end; sec++)
                {
                    bits[sec >> 6] |= 1UL << (sec & 63);
                }
            }
        }

        FirstOpenSecond = _firstOpen[0] < 0 ? _firstOpen[1] : _firstOpen[1] < 0 ? _firstOpen[0] : Math.Min(_firstOpen[0], _firstOpen[1]);
        bool krxDay = hours == MarketHours.Real && KrxCalendar.IsTradingDay(date);
        const int MainStart = 9 * 3600, MainEnd = (15 * 3600) + (30 * 60);
        for (int sec = 0; sec < DayProfile.DaySeconds; sec++)
        {
            if (((_krx[sec >> 6] | _nxt[sec >> 6]) & (1UL << (sec & 63))) != 0)
            {
                int b = sec / PriceBlock;
                OpenSeconds[b]++;
                MoveRate[b] += krxDay && sec is >= MainStart and < MainEnd ? 1.0 / 128 : hours == MarketHours.AlwaysOpen ? 1.0 / 256 : 1.0 / 512;
            }
        }
    }

    public DateOnly Date { get; }

    public MarketHours Hours { get; }

    /// <summary>Expected price moves per price block.</summary>
    public double[] MoveRate { get; }

    /// <summary>Seconds in which some venue is open, per price block.</summary>
    public int[] OpenSeconds { get; }

    /// <summary>The first second any venue is open (-1 if none).</summary>
    public int FirstOpenSecond { get; }

    /// <summary>The first second <paramref name="venue"/> is open (-1 if it does not trade that day).</summary>
    public int FirstOpen(Venue venue) => venue switch
    {
        Venue.Krx => _firstOpen[0],
        Venue.Nxt => _firstOpen[1],
        _ => FirstOpenSecond,
    };

    public bool IsOpen(Venue venue, int second)
    {
        if ((uint)second >= DayProfile.DaySeconds)
        {
            return false;
        }

        return venue switch
        {
            Venue.Krx => Bit(_krx, second),
            Venue.Nxt => Bit(_nxt, second),
            _ => Bit(_krx, second) || Bit(_nxt, second),
        };
    }

    private static bool Bit(ulong[] bits, int s) => (bits[s >> 6] & (1UL << (s & 63))) != 0;
}
