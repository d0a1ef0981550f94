namespace KisFeed.TestKit;

/// <summary>
/// The KRX tick size (호가가격단위) of a price, for KOSPI and KOSDAQ alike since 2023-01-25, written from the exchange's
/// rule (not from the simulator's code), so tests can check a price is on the grid.
/// </summary>
public static class KrxTicks
{
    /// <summary>The tick size at <paramref name="price"/>, KRW.</summary>
    public static long SizeOf(long price) => price switch
    {
        < 2_000 => 1,
        < 5_000 => 5,
        < 20_000 => 10,
        < 50_000 => 50,
        < 200_000 => 100,
        < 500_000 => 500,
        _ => 1_000,
    };

    /// <summary>True when <paramref name="price"/> is a positive multiple of its tick size.</summary>
    public static bool IsOnGrid(long price) => price > 0 && price % SizeOf(price) == 0;
}
