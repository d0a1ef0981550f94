namespace KisFeed.Session;

/// <summary>What healing one gap gave back: the REST rows inside it, in time order, and an outcome per registration.</summary>
internal sealed record GapHealingResult(IReadOnlyList<ProgramTrade> Rows, IReadOnlyList<GapHealingReport> Reports);

/// <summary>Fills a data gap from the KIS REST history (one call per affected registration, paced per app key).</summary>
internal interface IGapHealer
{
    /// <summary>
    /// Fetches what REST has for every registration of <paramref name="gap"/> and returns the rows that fall inside
    /// it (so they can never duplicate live records) with a report per registration. Never throws for a REST
    /// failure: that registration is reported <see cref="GapHealing.NotHealed"/>.
    /// </summary>
    Task<GapHealingResult> HealAsync(DataGap gap, CancellationToken cancellationToken);
}
