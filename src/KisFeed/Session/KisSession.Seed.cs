namespace KisFeed.Session;

/// <summary>
/// Seeding a feed with the day so far (<see cref="FeedOptions.FromStartOfDay"/>): the period from each venue's opening
/// to the moment the registrations are live is healed like a gap, through the same <see cref="IGapHealer"/>, and
/// delivered ahead of the live records the subscriber held back meanwhile.
/// </summary>
internal sealed partial class KisSession
{
    /// <summary>KRX opens at 09:00 KST; NXT's pre-market (and so the unified feed) at 08:00.</summary>
    internal static TimeOnly OpeningOf(Venue venue) => venue == Venue.Krx ? new TimeOnly(9, 0) : new TimeOnly(8, 0);

    /// <summary>
    /// The seed of <paramref name="registrations"/> live since <paramref name="live"/>: a seed gap per opening time (from
    /// the venue's opening, or midnight KST before it, to <paramref name="live"/>), its REST rows and a report per
    /// registration; empty when the session is closing. Never throws for a REST failure (reported NotHealed).
    /// </summary>
    internal async Task<IReadOnlyList<(DataGap Gap, IReadOnlyList<ProgramTrade> Rows, IReadOnlyList<GapHealingReport> Reports)>> FetchSeedAsync(
        IReadOnlyList<Registration> registrations, DateTimeOffset live)
    {
        DateOnly today = KoreaTime.DateOf(live);
        var gaps = new List<DataGap>();
        foreach (IGrouping<TimeOnly, Registration> group in registrations.GroupBy(r => OpeningOf(r.Venue)))
        {
            // Before the venue opens, "the day so far" is the calendar day (KST): REST gives what it has and the report says so.
            DateTimeOffset open = KoreaTime.At(today, group.Key);
            DateTimeOffset from = open < live ? open : KoreaTime.StartOf(today);
            if (from < live)
            {
                gaps.Add(new DataGap(Interlocked.Increment(ref _nextGapId), from, live, [.. group], DataGap.SeedReason) { IsSeed = true });
            }
        }

        var seeds = new List<(DataGap, IReadOnlyList<ProgramTrade>, IReadOnlyList<GapHealingReport>)>(gaps.Count);
        try
        {
            GapHealingResult[] results = await Task.WhenAll(gaps.Select(SeedOneAsync)).ConfigureAwait(false);
            for (int i = 0; i < gaps.Count; i++)
            {
                seeds.Add((gaps[i], results[i].Rows, results[i].Reports));
                _metrics.RestRecords(results[i].Rows);
                foreach (GapHealingReport report in results[i].Reports)
                {
                    Log.GapHealed(_log, report.GapId, report.Registration, report.Outcome, report.Rows, report.Detail);
                    _metrics.Healing(report.Outcome, seed: true);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            seeds.Clear(); // the session is closing: hand over what was held, nothing more
        }

        return seeds;
    }

    private async Task<GapHealingResult> SeedOneAsync(DataGap gap)
    {
        if (_healer is not { } healer)
        {
            return NotHealed(gap, "no REST access: seeding the day needs the app key and secret (KIS_APPKEY, KIS_APPSECRET), not only an approval key");
        }

        try
        {
            return await healer.HealAsync(gap, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or ObjectDisposedException))
        {
            return NotHealed(gap, $"seeding failed: {_keys.Scrub(ex.Message)}");
        }
    }

    private static GapHealingResult NotHealed(DataGap gap, string detail) =>
        new([], [.. gap.Registrations.Select(r => new GapHealingReport(gap.Id, r, GapHealing.NotHealed, 0, gap.From, gap.To, detail))]);
}
