using System.Globalization;

namespace KisFeed.Nats;

/// <summary>
/// When a starting gateway may take its first keys, and the words that say why (a pure function of what the buckets
/// hold at start, tested on its own).
/// </summary>
/// <remarks>
/// <para>Gateways wait 2 R before taking keys so that gateways started together see each other's presence (written at
/// start, renewed every R) and take fair shares instead of the first one taking every key and giving them back one a
/// tick, each move costing a takeover gap.</para>
/// <para>The wait is skipped when the lease bucket is empty and no other gateway is live: nothing to share with, and no
/// lease means no KisFeed session is open on any key (a lease outlives its holder's KIS session: T ≥ D + 3R). A gateway
/// started at the same moment sees this one's presence, written before the plan is made, and waits; two started within
/// the same few milliseconds both go ahead, and the usual rebalancing evens them out.</para>
/// <para>A key whose lease is live cannot be taken before the server expires it: at the latest T after its last
/// renewal. The plan names those keys and that time, since it can be minutes (T = 360 s by default).</para>
/// </remarks>
internal sealed record GatewayStartPlan(TimeSpan Wait, IReadOnlyList<string> Lines)
{
    public static GatewayStartPlan Decide(
        string self, IReadOnlyList<string> liveGateways, IReadOnlyList<HeldLease> leases, IReadOnlySet<string> ourKeys, NatsFeedOptions feed, DateTimeOffset now)
    {
        List<string> peers = [.. liveGateways.Where(g => g != self).Order(StringComparer.Ordinal)];
        List<HeldLease> ours = [.. leases.Where(l => ourKeys.Contains(l.KeyId)).OrderBy(l => l.KeyId, StringComparer.Ordinal)];
        List<string> lines = [];
        TimeSpan wait;
        if (leases.Count == 0 && peers.Count == 0)
        {
            wait = TimeSpan.Zero;
            lines.Add("no other gateway is live and no app key is leased: taking keys now (nobody to share them with, and no lease means no KisFeed session is open on any key)");
        }
        else
        {
            wait = feed.LeaseRenewInterval * 2;
            lines.Add(
                $"waiting {Seconds(wait)}, until {Clock(now + wait)}, for other gateways to announce themselves before taking a fair share of the keys " +
                $"(2R; presence is renewed every R = {Seconds(feed.LeaseRenewInterval)}): {Count(peers.Count, "other gateway")} live{(peers.Count > 0 ? $" ({string.Join(", ", peers.Take(5))}{(peers.Count > 5 ? ", …" : string.Empty)})" : string.Empty)}, " +
                $"{Count(leases.Count, "key")} leased");
        }

        var live = liveGateways.ToHashSet(StringComparer.Ordinal);
        foreach (HeldLease lease in ours)
        {
            DateTimeOffset free = lease.RenewedAt + feed.LeaseTtl;
            if (free <= now)
            {
                continue;
            }

            string who = lease.Holder == self ? $"this gateway's id ({self}), from an earlier run"
                : live.Contains(lease.Holder) ? $"{lease.Holder}, which is live"
                : $"{lease.Holder}, which is not live";
            lines.Add(
                $"key {lease.KeyId} is leased by {who}: if not renewed or released it is free at {Clock(free)} at the latest " +
                $"(T = {Seconds(feed.LeaseTtl)} after its last renewal at {Clock(lease.RenewedAt)}; lease rule T ≥ D + 3R: a lease outlives its holder's KIS session)");
        }

        return new GatewayStartPlan(wait, lines);
    }

    private static string Count(int n, string what) => n == 1 ? $"1 {what}" : $"{n} {what}s";

    internal static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";

    internal static string Clock(DateTimeOffset t) => t.UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";
}
