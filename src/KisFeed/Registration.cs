namespace KisFeed;

/// <summary>One (venue, stock code) registration at KIS.</summary>
/// <param name="Venue">The venue; its TR id is <see cref="VenueExtensions.ProgramTradeTrId"/>.</param>
/// <param name="Code">The stock code (<c>tr_key</c>).</param>
public readonly record struct Registration(Venue Venue, string Code)
{
    /// <summary>The KIS TR id.</summary>
    public string TrId => Venue.ProgramTradeTrId();

    /// <inheritdoc/>
    public override string ToString() => $"{TrId}/{Code}";
}
