namespace KisFeed.Simulator;

/// <summary>The three program-trading venues (notes §7).</summary>
internal enum Venue
{
    Krx,
    Nxt,
    Unified,
}
