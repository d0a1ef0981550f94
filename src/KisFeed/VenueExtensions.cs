using System.Runtime.InteropServices;

namespace KisFeed;

/// <summary>Maps <see cref="Venue"/> to and from KIS TR ids.</summary>
public static class VenueExtensions
{
    /// <summary>All venues, in enum order.</summary>
    public static IReadOnlyList<Venue> All { get; } = [Venue.Krx, Venue.Nxt, Venue.Unified];

    /// <summary>The program-trading TR id for the venue (<c>H0STPGM0</c>, <c>H0NXPGM0</c>, <c>H0UNPGM0</c>).</summary>
    public static string ProgramTradeTrId(this Venue venue) => venue switch
    {
        Venue.Krx => "H0STPGM0",
        Venue.Nxt => "H0NXPGM0",
        Venue.Unified => "H0UNPGM0",
        _ => throw new ArgumentOutOfRangeException(nameof(venue), venue, "Unknown venue."),
    };

    /// <summary>Reads a program-trading TR id (ASCII bytes) back into a venue.</summary>
    internal static bool TryFromProgramTradeTrId(ReadOnlySpan<byte> trId, out Venue venue)
    {
        if (trId.Length == 8)
        {
            // One 8-byte comparison per TR id (every frame's header goes through here).
            ulong word = MemoryMarshal.Read<ulong>(trId);
            if (word == NxtWord) { venue = Venue.Nxt; return true; }
            if (word == KrxWord) { venue = Venue.Krx; return true; }
            if (word == UnifiedWord) { venue = Venue.Unified; return true; }
        }

        venue = default;
        return false;
    }

    private static readonly ulong NxtWord = MemoryMarshal.Read<ulong>("H0NXPGM0"u8);
    private static readonly ulong KrxWord = MemoryMarshal.Read<ulong>("H0STPGM0"u8);
    private static readonly ulong UnifiedWord = MemoryMarshal.Read<ulong>("H0UNPGM0"u8);

    /// <summary>Reads a program-trading TR id back into a venue.</summary>
    public static bool TryFromProgramTradeTrId(string trId, out Venue venue) => trId switch
    {
        "H0NXPGM0" => Set(Venue.Nxt, out venue),
        "H0STPGM0" => Set(Venue.Krx, out venue),
        "H0UNPGM0" => Set(Venue.Unified, out venue),
        _ => Set(default, out venue) && false,
    };

    /// <summary>The venue's name as KisFeed writes it everywhere (CSV, JSON, the database, NATS subjects): <c>krx</c>, <c>nxt</c>, <c>unified</c>.</summary>
    public static string Name(this Venue venue) => venue switch
    {
        Venue.Krx => "krx",
        Venue.Nxt => "nxt",
        Venue.Unified => "unified",
        _ => throw new ArgumentOutOfRangeException(nameof(venue), venue, "Unknown venue."),
    };

    /// <summary>Reads a venue name (<c>krx</c>, <c>nxt</c>, <c>unified</c>, any case) or a program-trading TR id.</summary>
    public static bool TryParse(string? text, out Venue venue)
    {
        switch (text?.Trim().ToUpperInvariant())
        {
            case "KRX" or "H0STPGM0": venue = Venue.Krx; return true;
            case "NXT" or "H0NXPGM0": venue = Venue.Nxt; return true;
            case "UNIFIED" or "H0UNPGM0": venue = Venue.Unified; return true;
            default: venue = default; return false;
        }
    }

    private static bool Set(Venue value, out Venue venue)
    {
        venue = value;
        return true;
    }
}
