using System.Diagnostics;

using KisFeed.Session;

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KisFeed.Rest;

/// <summary>Where <see cref="GapHealer"/> gets intraday rows (the <see cref="KisRestClient"/>, or a fake in tests).</summary>
internal interface IProgramTradeHistory
{
    /// <summary>The rows, oldest first, paging back no further than needed to reach <paramref name="since"/>; and the pages (calls) it took.</summary>
    Task<(IReadOnlyList<ProgramTradeHistoryRow> Rows, int Pages)> HistoryAsync(string code, Venue venue, DateTimeOffset since, CancellationToken cancellationToken);
}

/// <summary>What healing one gap gave back.</summary>
/// <param name="Gap">The gap.</param>
/// <param name="Trades">
/// REST rows strictly inside the gap as <see cref="ProgramTrade"/> (<see cref="TradeSource.Rest"/>, residual fields
/// flagged missing), in time order (then venue, code). Deliver them in-band before the live records that follow the gap.
/// </param>
/// <param name="Reports">One report per registration of the gap, in the gap's order.</param>
/// <param name="RestCalls">History calls made: one per page, at least one per distinct (code, venue); EGW00201 retries not counted.</param>
/// <param name="Elapsed">Wall time the healing took.</param>
internal sealed record RestHealingResult(DataGap Gap, IReadOnlyList<ProgramTrade> Trades, IReadOnlyList<GapHealingReport> Reports, int RestCalls, TimeSpan Elapsed);

/// <summary>
/// Heals a <see cref="DataGap"/> from the REST history: one <c>program-trade-by-stock</c> call per affected
/// (code, venue) and page (the next pages only while they are needed to reach back to the gap's start), all started
/// together and paced by the app key's shared limiter.
/// </summary>
/// <remarks>
/// <para>
/// <b>No duplicates.</b> REST rows are stamped to the second (KST). A row is kept only when its second lies strictly
/// after the second of <see cref="DataGap.From"/> and strictly before the second of <see cref="DataGap.To"/>: the live
/// records before the gap are stamped at most From's second and those after it at least To's second, so a healed row
/// can never share a time with a live record. Nothing is lost by skipping the two boundary seconds: the values are
/// cumulative, so the next live record carries them.
/// </para>
/// <para>
/// <b>Outcome.</b> The REST window "reaches" back to its oldest row. When that row is at or before From's second, the
/// whole gap is covered: <see cref="GapHealing.Healed"/>, even with no row inside (nothing traded). When it is later,
/// <see cref="GapHealing.PartlyHealed"/> with From up to the oldest row still missing; when the call failed or gave no
/// row at all, <see cref="GapHealing.NotHealed"/>. A seed (<see cref="DataGap.IsSeed"/>, from the venue's opening, where
/// the cumulative values start at zero) whose oldest row lies within the opening minute is healed: a row summarising
/// the first minute carries the day from its start.
/// </para>
/// </remarks>
internal sealed class GapHealer(IProgramTradeHistory history, ILogger? logger = null) : IGapHealer
{
    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    public GapHealer(KisRestClient client, ILogger? logger = null)
        : this(new RestClientHistory(client), logger)
    {
    }

    /// <summary>The session's view (<see cref="IGapHealer"/>): the rows inside the gap and a report per registration.</summary>
    async Task<GapHealingResult> IGapHealer.HealAsync(DataGap gap, CancellationToken cancellationToken)
    {
        RestHealingResult r = await HealAsync(gap, cancellationToken).ConfigureAwait(false);
        return new GapHealingResult(r.Trades, r.Reports);
    }

    public async Task<RestHealingResult> HealAsync(DataGap gap, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(gap);
        long started = Stopwatch.GetTimestamp();
        Registration[] distinct = [.. gap.Registrations.Distinct()];
        // Paging back to From's second is enough: a row at or before it is all the outcome needs.
        var since = DateTimeOffset.FromUnixTimeSeconds(SecondOf(gap.From));
        Task<Fetch>[] fetches = [.. distinct.Select(r => FetchAsync(r, since, cancellationToken))];
        Fetch[] results = await Task.WhenAll(fetches).ConfigureAwait(false);
        var byRegistration = results.ToDictionary(f => f.Registration);

        long fromSecond = SecondOf(gap.From);
        long toSecond = SecondOf(gap.To);
        var trades = new List<ProgramTrade>();
        var reports = new List<GapHealingReport>(gap.Registrations.Count);
        var reported = new HashSet<Registration>();
        foreach (Registration reg in gap.Registrations)
        {
            if (!reported.Add(reg))
            {
                continue;
            }

            Fetch f = byRegistration[reg];
            GapHealingReport report;
            if (reg.Kind != RecordKind.StockProgramTrade)
            {
                report = new GapHealingReport(gap.Id, reg, GapHealing.NotHealed, 0, gap.From, gap.To, "index program trading (H0UPPGM0) is not healed over REST: the gap stays open");
            }
            else if (f.Error is not null)
            {
                report = new GapHealingReport(gap.Id, reg, GapHealing.NotHealed, 0, gap.From, gap.To, $"REST history failed: {f.Error.Message}");
            }
            else if (f.Rows.Count == 0)
            {
                report = new GapHealingReport(gap.Id, reg, GapHealing.NotHealed, 0, gap.From, gap.To, "REST history returned no rows");
            }
            else
            {
                var inside = f.Rows.Where(r => SecondOf(r.Timestamp) > fromSecond && SecondOf(r.Timestamp) < toSecond).ToList();
                trades.AddRange(inside.Select(r => r.ToProgramTrade()));
                DateTimeOffset reach = f.Rows[0].Timestamp;
                string window = $"REST window reached back to {reach:HH:mm:ss} KST ({f.Rows.Count} row(s))";
                report = SecondOf(reach) >= toSecond
                    ? new GapHealingReport(gap.Id, reg, GapHealing.NotHealed, 0, gap.From, gap.To, window + ", after the gap ended: the gap is older than the window")
                    : SecondOf(reach) <= fromSecond
                    ? new GapHealingReport(gap.Id, reg, GapHealing.Healed, inside.Count, null, null, window + ", before the gap")
                    : gap.IsSeed && SecondOf(reach) - fromSecond < OpeningMinute
                    ? new GapHealingReport(gap.Id, reg, GapHealing.Healed, inside.Count, null, null, window + ", in the opening minute: the day from its start")
                    : new GapHealingReport(gap.Id, reg, GapHealing.PartlyHealed, inside.Count, gap.From, reach,
                        window + $"; {KoreaTime.ToKst(gap.From):HH:mm:ss}–{reach:HH:mm:ss} KST is still missing");
            }

            RestLog.GapHealed(_logger, gap.Id, reg, report.Outcome, report.Rows, report.Detail);
            reports.Add(report);
        }

        trades.Sort(static (a, b) =>
        {
            int c = a.ReceivedAt.CompareTo(b.ReceivedAt);
            c = c != 0 ? c : a.Venue.CompareTo(b.Venue);
            return c != 0 ? c : string.CompareOrdinal(a.Code, b.Code);
        });
        return new RestHealingResult(gap, trades, reports, results.Sum(f => f.Pages), Stopwatch.GetElapsedTime(started));
    }

    private static long SecondOf(DateTimeOffset t) => t.ToUnixTimeSeconds();

    // A seed starts at the venue's opening, where every cumulative value is zero: REST rows summarised per minute are
    // stamped at the minute's end, so a first row within the opening minute carries the day from its start.
    private const long OpeningMinute = 60;

    private async Task<Fetch> FetchAsync(Registration reg, DateTimeOffset since, CancellationToken ct)
    {
        if (reg.Kind != RecordKind.StockProgramTrade)
        {
            return new Fetch(reg, [], null, 0); // no per-stock history for an index
        }

        try
        {
            (IReadOnlyList<ProgramTradeHistoryRow> rows, int pages) = await history.HistoryAsync(reg.Code, reg.Venue, since, ct).ConfigureAwait(false);
            return new Fetch(reg, [.. rows.OrderBy(r => r.Timestamp)], null, pages);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return new Fetch(reg, [], ex, 1); // never throws for a REST failure: the registration is reported NotHealed
        }
    }

    private sealed record Fetch(Registration Registration, IReadOnlyList<ProgramTradeHistoryRow> Rows, Exception? Error, int Pages);

    private sealed class RestClientHistory(KisRestClient client) : IProgramTradeHistory
    {
        public Task<(IReadOnlyList<ProgramTradeHistoryRow> Rows, int Pages)> HistoryAsync(string code, Venue venue, DateTimeOffset since, CancellationToken cancellationToken) =>
            client.HistoryPagesAsync(code, venue, since, cancellationToken);
    }
}
