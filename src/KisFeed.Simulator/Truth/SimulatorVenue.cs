namespace KisFeed.Simulator;

/// <summary>A program-trading venue, for <see cref="SimulatedMarket"/>: the TR each one is served on.</summary>
public enum SimulatorVenue
{
    /// <summary>KRX (<c>H0STPGM0</c>, REST <c>J</c>).</summary>
    Krx,

    /// <summary>NXT (<c>H0NXPGM0</c>, REST <c>NX</c>).</summary>
    Nxt,

    /// <summary>Unified = KRX + NXT (<c>H0UNPGM0</c>, REST <c>UN</c>).</summary>
    Unified,
}
