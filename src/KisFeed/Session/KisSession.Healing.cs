using KisFeed.Delivery;

namespace KisFeed.Session;

// Gaps: each outage reported in-band to the feeds it touched, then healed over REST (tracked, so disposal waits for it).
internal sealed partial class KisSession
{
    private readonly Lock _healingGate = new();
    private readonly List<Task> _healing = []; // owned by _healingGate

    /// <summary>Raises the gap, hands it in-band to every feed consumer it touches, and starts healing it.</summary>
    private void ReportGap(DataGap gap)
    {
        Interlocked.Increment(ref _counters.Gaps);
        _metrics.Gap();
        Log.DataGap(_log, gap.From, gap.To, gap.Registrations.Count, gap.Reason, string.Join(' ', gap.Registrations));
        _events.DataGap(new DataGapEventArgs(gap));
        var affected = new HashSet<Registration>(gap.Registrations);
        foreach (Subscriber s in _table.Subscribers)
        {
            if (s.WantsFeed)
            {
                List<Registration> mine = [.. _table.RegistrationsOf(s).Where(affected.Contains)];
                if (mine.Count > 0)
                {
                    s.WriteGap(gap with { Registrations = mine });
                }
            }
        }

        if (_options.HealGaps && _healer is { } healer)
        {
            lock (_healingGate)
            {
                _healing.RemoveAll(t => t.IsCompleted);
                _healing.Add(HealAsync(healer, gap));
            }
        }
    }

    private async Task HealAsync(IGapHealer healer, DataGap gap)
    {
        GapHealingResult result;
        try
        {
            result = await healer.HealAsync(gap, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            return;
        }
        catch (Exception ex)
        {
            result = new GapHealingResult([], [.. gap.Registrations.Select(r => new GapHealingReport(gap.Id, r, GapHealing.NotHealed, 0, gap.From, gap.To, $"healing failed: {_keys.Scrub(ex.Message)}"))]);
        }

        _metrics.RestRecords(result.Rows);

        // The consumers of each registration on this session now (a pool's consumer holds others on other sessions).
        Dictionary<Registration, Subscriber[]> routes = _table.Routes;
        foreach (ProgramTrade row in result.Rows)
        {
            if (routes.TryGetValue(new Registration(row.Venue, row.Code), out Subscriber[]? subscribers))
            {
                foreach (Subscriber s in subscribers)
                {
                    if (s.WantsFeed)
                    {
                        s.Write(row);
                    }
                }
            }
        }

        foreach (GapHealingReport report in result.Reports)
        {
            Log.GapHealed(_log, report.GapId, report.Registration, report.Outcome, report.Rows, report.Detail);
            _metrics.Healing(report.Outcome, seed: false);
            _events.GapHealed(report);
            if (routes.TryGetValue(report.Registration, out Subscriber[]? subscribers))
            {
                foreach (Subscriber s in subscribers)
                {
                    if (s.WantsFeed)
                    {
                        s.WriteHealing(report);
                    }
                }
            }
        }
    }

    private Task WaitForHealingAsync()
    {
        lock (_healingGate)
        {
            return Task.WhenAll(_healing);
        }
    }
}
