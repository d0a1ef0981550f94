namespace KisFeed.Simulator;

/// <summary>The real-time TR ids the simulator knows (notes §7, §9, §15).</summary>
internal static class TrIds
{
    public const string Krx = "H0STPGM0";
    public const string Nxt = "H0NXPGM0";
    public const string Unified = "H0UNPGM0";

    /// <summary>국내지수 실시간프로그램매매: tr_key is an index (업종) code such as <c>0001</c>.</summary>
    public const string Index = "H0UPPGM0";

    /// <summary>
    /// Other documented real-time TR ids (notes §9). Accepted (subscribe succeeds, counts toward the cap) but no data is
    /// produced for them [inferred: the simulator models program trading only].
    /// </summary>
    public static readonly HashSet<string> OtherAccepted = new(StringComparer.Ordinal)
    {
        "H0STCNT0", "H0NXCNT0", "H0UNCNT0", "H0STASP0", "H0NXASP0", "H0UNASP0",
        "H0STANC0", "H0NXANC0", "H0UNANC0", "H0STMBC0", "H0NXMBC0", "H0UNMBC0",
        "H0STMKO0", "H0NXMKO0", "H0UNMKO0", "H0STOUP0", "H0STOAA0", "H0STOAC0",
        "H0STNAV0", "H0UPCNT0", "H0UPANC0",
    };

    public static bool TryGetVenue(string trId, out Venue venue)
    {
        switch (trId)
        {
            case Krx: venue = Venue.Krx; return true;
            case Nxt: venue = Venue.Nxt; return true;
            case Unified: venue = Venue.Unified; return true;
            default: venue = default; return false;
        }
    }

    public static string Of(Venue venue) => venue switch
    {
        Venue.Krx => Krx,
        Venue.Nxt => Nxt,
        _ => Unified,
    };
}
