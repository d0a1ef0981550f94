using System.Globalization;

using KisFeed.Simulator;

namespace KisFeed.IntegrationTests.Reliability;

/// <summary>Compares what the simulator wrote (its ledger) with what a consumer or a database holds.</summary>
internal static class LedgerCheck
{
    /// <summary>Send→receive latency allowed at the start of a gap (the gap starts when the client last heard the server).</summary>
    public static readonly TimeSpan Slack = TimeSpan.FromMilliseconds(250);

    public static string Key(ProgramTrade t) => string.Create(CultureInfo.InvariantCulture,
        $"{t.TrId}|{t.Code}|{t.Time:HHmmss}|{t.SellVolume}|{t.SellValue}|{t.BuyVolume}|{t.BuyValue}|{t.NetBuyVolume}|{t.NetBuyValue}|{t.AskResidual}|{t.BidResidual}|{t.NetBidResidual}");

    /// <summary>
    /// The ledger as a JetStream stream keeps it: one entry per record content. Two sessions carrying one registration
    /// while a key moves send the same record of the same second (the market is a function of the second), and the
    /// stream stores it once, its Nats-Msg-Id being the record's content.
    /// </summary>
    public static IReadOnlyList<SimulatorLedgerEntry> Distinct(IReadOnlyList<SimulatorLedgerEntry> ledger) => [.. ledger.DistinctBy(Key)];

    public static string Key(SimulatorLedgerEntry e)
    {
        // Normalise numbers the way a reader would (e.g. "-0" or leading zeros), keep code/time as text.
        IEnumerable<string> nums = e.Fields.Skip(2).Select(f => long.Parse(f, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture));
        return $"{e.TrId}|{e.Fields[0]}|{e.Fields[1]}|{string.Join('|', nums)}";
    }

    /// <summary>The outcome of one comparison.</summary>
    public sealed record Result(int Sent, int Received, List<string> Duplicated, List<string> Unknown, List<SimulatorLedgerEntry> MissingOutsideGaps, int MissingInsideGaps)
    {
        public bool Holds => Duplicated.Count == 0 && Unknown.Count == 0 && MissingOutsideGaps.Count == 0;

        public override string ToString() =>
            $"sent {Sent}, received {Received}, duplicated {Duplicated.Count} [{string.Join(", ", Duplicated.Take(3))}], " +
            $"not in ledger {Unknown.Count} [{string.Join(", ", Unknown.Take(3))}], missing outside reported gaps {MissingOutsideGaps.Count} " +
            $"[{string.Join(", ", MissingOutsideGaps.Take(3).Select(m => $"s{m.SessionId}#{m.FrameSequence} {Key(m)} at {m.SentAt:HH:mm:ss.fff}"))}], missing inside gaps {MissingInsideGaps}";
    }

    /// <summary>
    /// Every received record must be in the ledger at most as often as it was sent (nothing invented or duplicated), and
    /// every ledger record that was not received must have been sent inside a reported gap (From − <see cref="Slack"/> .. To)
    /// for its registration.
    /// </summary>
    public static Result Compare(IReadOnlyList<SimulatorLedgerEntry> ledger, IEnumerable<ProgramTrade> received, IReadOnlyList<DataGapEventArgs> gaps)
    {
        var sentCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (SimulatorLedgerEntry e in ledger)
        {
            string k = Key(e);
            sentCounts[k] = sentCounts.GetValueOrDefault(k) + 1;
        }

        var got = new Dictionary<string, int>(StringComparer.Ordinal);
        int receivedCount = 0;
        var outsideGaps = new List<string>();
        foreach (ProgramTrade t in received)
        {
            if (t.Source == TradeSource.Rest)
            {
                // A REST row healed a gap: it is not in the WebSocket ledger, and it must lie inside a reported gap of
                // its registration (the healing tests check its values against the simulator's market).
                var at = new DateTimeOffset(t.TradingDate.ToDateTime(t.Time), TimeSpan.FromHours(9));
                if (!gaps.Any(g => at > g.From - TimeSpan.FromSeconds(1) && at < g.To + TimeSpan.FromSeconds(1) && g.Registrations.Contains(new Registration(t.Venue, t.Code))))
                {
                    outsideGaps.Add("REST row outside every gap: " + Key(t));
                }

                continue;
            }

            receivedCount++;
            string k = Key(t);
            got[k] = got.GetValueOrDefault(k) + 1;
        }

        List<string> dup = [.. got.Where(kv => sentCounts.TryGetValue(kv.Key, out int s) && kv.Value > s).Select(kv => kv.Key)];
        List<string> unknown = [.. got.Keys.Where(k => !sentCounts.ContainsKey(k)), .. outsideGaps];
        var missingOutside = new List<SimulatorLedgerEntry>();
        int missingInside = 0;
        var left = new Dictionary<string, int>(got, StringComparer.Ordinal);
        foreach (SimulatorLedgerEntry e in ledger)
        {
            string k = Key(e);
            if (left.TryGetValue(k, out int n) && n > 0)
            {
                left[k] = n - 1;
                continue;
            }

            if (gaps.Any(g => e.SentAt >= g.From - Slack && e.SentAt <= g.To && g.Registrations.Any(r => r.TrId == e.TrId && r.Code == e.Code)))
            {
                missingInside++;
            }
            else
            {
                missingOutside.Add(e);
            }
        }

        return new Result(ledger.Count, receivedCount, dup, unknown, missingOutside, missingInside);
    }
}
