namespace KisFeed.Nats;

/// <summary>
/// Subject names: <c>{prefix}.pgm.{venue}.{code}</c> for trades, <c>{prefix}.gap.{venue}.{code}</c> for gaps and
/// <c>{prefix}.heal.{venue}.{code}</c> for how healing a gap ended, with venue
/// <c>krx</c>, <c>nxt</c> or <c>unified</c>, so consumers filter with wildcards (<c>kisfeed.pgm.nxt.*</c>, <c>kisfeed.*.*.005930</c>).
/// </summary>
public static class FeedSubjects
{
    /// <summary>The subject token of a venue: <c>krx</c>, <c>nxt</c>, <c>unified</c>.</summary>
    public static string VenueToken(Venue venue) => venue switch
    {
        Venue.Krx => "krx",
        Venue.Nxt => "nxt",
        Venue.Unified => "unified",
        _ => throw new ArgumentOutOfRangeException(nameof(venue), venue, "Unknown venue."),
    };

    /// <summary>Reads a venue token back.</summary>
    public static bool TryParseVenueToken(ReadOnlySpan<char> token, out Venue venue)
    {
        switch (token)
        {
            case "krx": venue = Venue.Krx; return true;
            case "nxt": venue = Venue.Nxt; return true;
            case "unified": venue = Venue.Unified; return true;
            default: venue = default; return false;
        }
    }

    /// <summary>The subject of a trade.</summary>
    public static string Trade(string prefix, Venue venue, string code) => $"{prefix}.pgm.{VenueToken(venue)}.{code}";

    /// <summary>The subject of a gap of one registration.</summary>
    public static string Gap(string prefix, Venue venue, string code) => $"{prefix}.gap.{VenueToken(venue)}.{code}";

    /// <summary>The subject of a healing outcome of one registration's gap.</summary>
    public static string Healing(string prefix, Venue venue, string code) => $"{prefix}.heal.{VenueToken(venue)}.{code}";

    /// <summary>Every subject of the stream: <c>{prefix}.&gt;</c>.</summary>
    public static string All(string prefix) => $"{prefix}.>";

    /// <summary>
    /// The narrowest single filter subject covering trades and gaps of <paramref name="codes"/> × <paramref name="venues"/>
    /// (NATS 2.9 consumers take one filter; the consumer drops what else the filter lets through).
    /// </summary>
    public static string Filter(string prefix, IReadOnlyCollection<string> codes, IReadOnlyCollection<Venue> venues)
    {
        string venue = venues.Count == 1 ? VenueToken(venues.First()) : "*";
        string code = codes.Count == 1 ? codes.First() : "*";
        return venue == "*" && code == "*" ? All(prefix) : $"{prefix}.*.{venue}.{code}";
    }

    /// <summary>The desired-set KV key of a registration: <c>{venue}.{code}</c>.</summary>
    public static string RegistrationKey(Registration registration) => $"{VenueToken(registration.Venue)}.{registration.Code}";

    /// <summary>Reads a desired-set KV key back into a registration.</summary>
    public static bool TryParseRegistrationKey(string key, out Registration registration)
    {
        int dot = key.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0 && TryParseVenueToken(key.AsSpan(0, dot), out Venue venue) && dot + 1 < key.Length)
        {
            registration = new Registration(venue, key[(dot + 1)..]);
            return true;
        }

        registration = default;
        return false;
    }
}
