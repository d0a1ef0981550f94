namespace KisFeed;

/// <summary>
/// One registration at KIS: a real-time TR (its <see cref="Kind"/> on a <see cref="Venue"/>) for one key. KIS counts
/// registrations per session (41 at most), and each (TR id, key) pair counts once however many consumers share it.
/// </summary>
/// <param name="Venue">The venue; with <see cref="Kind"/> it gives the TR id (<see cref="TrId"/>).</param>
/// <param name="Key">The TR's key (<c>tr_key</c>): for <see cref="RecordKind.StockProgramTrade"/> a stock's short code, e.g. <c>005930</c>; for <see cref="RecordKind.IndexProgramTrade"/> an index code, e.g. <c>0001</c>.</param>
/// <example>
/// <code>
/// IReadOnlyList&lt;Registration&gt; both = Registration.Of(["005930", "000660"], Venue.Krx, Venue.Nxt); // 4 registrations
/// var one = new Registration(Venue.Unified, "005930");
/// Registration kospi = Registration.Index(IndexCode.Kospi); // H0UPPGM0/0001
/// </code>
/// </example>
public readonly record struct Registration(Venue Venue, string Key)
{
    /// <summary>What the registration brings (default <see cref="RecordKind.StockProgramTrade"/>).</summary>
    public RecordKind Kind { get; init; }

    /// <summary>The key read as a stock code: the same as <see cref="Key"/> (for <see cref="RecordKind.StockProgramTrade"/>, the stock's short code).</summary>
    public string Code => Key;

    /// <summary>The KIS TR id, e.g. <c>H0NXPGM0</c>.</summary>
    public string TrId => Kind switch
    {
        RecordKind.StockProgramTrade => Venue.ProgramTradeTrId(),
        RecordKind.IndexProgramTrade => IndexProgramTrade.TrId,
        _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "Unknown record kind."),
    };

    /// <summary>
    /// The registration of index program trading (<c>H0UPPGM0</c>) for one index code, e.g. <c>0001</c> (KOSPI). It
    /// takes one of the session's registrations like a stock's.
    /// </summary>
    /// <exception cref="ArgumentException">The code is not a 4-digit KIS index code.</exception>
    public static Registration Index(string indexCode) => new(Venue.Krx, KisFeed.IndexCode.Normalize(indexCode)) { Kind = RecordKind.IndexProgramTrade };

    /// <summary>The index registrations of <paramref name="indexCodes"/>, each once, in the order given.</summary>
    /// <exception cref="ArgumentException">No code, or one that is not a 4-digit KIS index code.</exception>
    public static IReadOnlyList<Registration> Indices(IEnumerable<string> indexCodes)
    {
        ArgumentNullException.ThrowIfNull(indexCodes);
        List<Registration> list = [.. indexCodes.Select(Index).Distinct()];
        return list.Count == 0 ? throw new ArgumentException("Give at least one index code, e.g. 0001 (KOSPI).", nameof(indexCodes)) : list;
    }

    /// <summary>
    /// Every (venue, code) pair of stock program trading for <paramref name="codes"/> × <paramref name="venues"/>, each
    /// once, in the order given (venue by venue). Codes are checked and upper-cased (<see cref="StockCode.Normalize"/>).
    /// </summary>
    /// <exception cref="ArgumentException">No code or no venue, a code that is not a KIS stock code, or an unknown venue.</exception>
    public static IReadOnlyList<Registration> Of(IEnumerable<string> codes, params IEnumerable<Venue> venues)
    {
        ArgumentNullException.ThrowIfNull(codes);
        ArgumentNullException.ThrowIfNull(venues);
        List<Venue> venueList = [.. venues.Distinct()];
        if (venueList.Count == 0)
        {
            throw new ArgumentException("Give at least one venue (Venue.Krx, Venue.Nxt or Venue.Unified).", nameof(venues));
        }

        foreach (Venue v in venueList)
        {
            if (!Enum.IsDefined(v))
            {
                throw new ArgumentOutOfRangeException(nameof(venues), v, "Unknown venue.");
            }
        }

        List<string> codeList = [];
        foreach (string? raw in codes)
        {
            string code = StockCode.Normalize(raw);
            if (!codeList.Contains(code))
            {
                codeList.Add(code);
            }
        }

        if (codeList.Count == 0)
        {
            throw new ArgumentException("Give at least one stock code, e.g. 005930.", nameof(codes));
        }

        return [.. venueList.SelectMany(v => codeList.Select(c => new Registration(v, c)))];
    }

    /// <summary>
    /// Checks a list of registrations a subscription was given and returns it without duplicates, each key in its
    /// canonical form (a stock code upper-cased). Throws <see cref="ArgumentException"/> naming the first bad one.
    /// </summary>
    public static IReadOnlyList<Registration> Check(IEnumerable<Registration> registrations)
    {
        ArgumentNullException.ThrowIfNull(registrations);
        var seen = new HashSet<Registration>();
        List<Registration> list = [];
        foreach (Registration r in registrations)
        {
            Registration checkedOne = r.Normalized();
            if (seen.Add(checkedOne))
            {
                list.Add(checkedOne);
            }
        }

        return list.Count == 0 ? throw new ArgumentException("Give at least one registration, e.g. Registration.Of([\"005930\"], Venue.Nxt).", nameof(registrations)) : list;
    }

    /// <summary>
    /// As <see cref="Check(IEnumerable{Registration})"/>, for a subscription that carries one kind of record: a
    /// registration of another kind is refused with an <see cref="ArgumentException"/> saying which subscribe to use.
    /// </summary>
    public static IReadOnlyList<Registration> Check(IEnumerable<Registration> registrations, RecordKind kind)
    {
        IReadOnlyList<Registration> list = Check(registrations);
        foreach (Registration r in list)
        {
            if (r.Kind != kind)
            {
                throw new ArgumentException(kind == RecordKind.IndexProgramTrade
                    ? $"{r} is not an index registration: an index subscription (SubscribeIndexAsync) takes Registration.Index(code) only; subscribe to stocks with SubscribeAsync."
                    : $"{r} is an index registration: subscribe to index program trading with SubscribeIndexAsync (its records are IndexProgramTrade, not ProgramTrade).", nameof(registrations));
            }
        }

        return list;
    }

    /// <summary>This registration checked, with its key in canonical form.</summary>
    private Registration Normalized()
    {
        if (!Enum.IsDefined(Venue))
        {
            throw new ArgumentOutOfRangeException(nameof(Venue), Venue, "Unknown venue.");
        }

        return Kind switch
        {
            RecordKind.StockProgramTrade => this with { Key = StockCode.Normalize(Key) },
            RecordKind.IndexProgramTrade when Venue != Venue.Krx => throw new ArgumentException($"H0UPPGM0/{Key} on {Venue}: index program trading is one TR, for KRX indices; use Registration.Index(code).", nameof(Venue)),
            RecordKind.IndexProgramTrade => this with { Key = KisFeed.IndexCode.Normalize(Key) },
            _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "Unknown record kind."),
        };
    }

    /// <inheritdoc/>
    public override string ToString() => $"{TrId}/{Key}";
}
