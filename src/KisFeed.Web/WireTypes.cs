namespace KisFeed.Web;

// What the page receives (JSON, camelCase). Times on the chart axis ("ts", "from", "to") are KST wall-clock seconds
// written as if they were UTC seconds since 1970, so the chart's axis reads Korean time on any browser.

/// <summary>A (code, venue) row of the ranking, as of its last update.</summary>
internal sealed record RowDto(
    string Code, string Name, string Venue, long Ts, string Time, long Buy, long Sell, long Net, long NetVol,
    long? D1, long? D5, long? Price, double? Chg, long Updates, long Recv, long Seq);

/// <summary>A gap: a period in which updates for these codes/venues may be missing (empty lists mean all).</summary>
internal sealed record GapDto(
    long Id, long From, long To, IReadOnlyList<string> Venues, IReadOnlyList<string> Codes, string Reason, string Healing,
    long? MissingFrom, long? MissingTo);

/// <summary>A page's status strip.</summary>
internal sealed record StatusDto(string Mode, string State, long Reconnects, long Gaps, long Drops, bool? Simulated, string Source, long ServerTime);

/// <summary>The first event of a page's stream (or after a resume that reached too far back): every row and gap.</summary>
internal sealed record SnapshotDto(long Seq, string Date, IReadOnlyList<RowDto> Rows, IReadOnlyList<GapDto> Gaps, StatusDto Status);

/// <summary>Updates since the previous event: the latest update per row and minute, and changed gaps.</summary>
internal sealed record BatchDto(long Seq, IReadOnlyList<RowDto> Rows, IReadOnlyList<GapDto> Gaps, long Sent);

/// <summary>One point of a venue's day: cumulative net buy value at the end of a bucket, flow within it.</summary>
internal sealed record PointDto(long Ts, long Net, long Buy, long Sell, long Flow);

/// <summary>One price of the day's price line (the price source's, e.g. inquire-price stck_prpr).</summary>
internal sealed record PricePointDto(long Ts, long Price);

/// <summary>One minute bar of net flow.</summary>
internal sealed record BarDto(long Ts, long Flow);

/// <summary>The day of one stock: per venue the curve and minute bars, the gaps, and the session bands.</summary>
internal sealed record DayDto(
    string Code, string Name, string Date, IReadOnlyDictionary<string, IReadOnlyList<PointDto>> Curve,
    IReadOnlyDictionary<string, IReadOnlyList<BarDto>> Bars, IReadOnlyList<GapDto> Gaps, IReadOnlyList<SessionDto> Sessions,
    IReadOnlyList<PricePointDto> Price);

/// <summary>A trading session band on the chart.</summary>
internal sealed record SessionDto(string Name, long From, long To);

/// <summary>What the page needs to start.</summary>
internal sealed record MetaDto(string Mode, string Date, IReadOnlyList<CodeDto> Codes, IReadOnlyList<string> Venues, string PriceSource);

/// <summary>A followed code and its name.</summary>
internal sealed record CodeDto(string Code, string Name);

internal static class ChartTime
{
    private static readonly int EpochDay = new DateOnly(1970, 1, 1).DayNumber;

    public static long Of(DateOnly date, TimeOnly time) => ((long)(date.DayNumber - EpochDay) * 86_400) + (time.Ticks / TimeSpan.TicksPerSecond);

    public static long Of(DateTimeOffset instant)
    {
        DateTimeOffset kst = KoreaTime.ToKst(instant);
        return Of(DateOnly.FromDateTime(kst.DateTime), TimeOnly.FromDateTime(kst.DateTime));
    }

    public static string VenueName(Venue venue) => venue switch
    {
        Venue.Krx => "krx",
        Venue.Nxt => "nxt",
        _ => "unified",
    };

    /// <summary>Pre-market, main and after-market bands (NXT pre 08:00–08:50, main 09:00–15:30, after 15:40–20:00 KST).</summary>
    public static IReadOnlyList<SessionDto> Sessions(DateOnly date) =>
    [
        new("pre", Of(date, new TimeOnly(8, 0)), Of(date, new TimeOnly(8, 50))),
        new("main", Of(date, new TimeOnly(9, 0)), Of(date, new TimeOnly(15, 30))),
        new("after", Of(date, new TimeOnly(15, 40)), Of(date, new TimeOnly(20, 0))),
    ];
}
