using System.IO.Hashing;
using System.Text;

namespace KisFeed.Nats;

/// <summary>
/// Which app key carries which registration: a pure function of the desired set and the key ids, so every gateway
/// computes the same answer without talking to the others. Registrations in (venue, code) order each take the key with
/// the highest rendezvous score (hash of registration and key) that still has room, so adding or removing one
/// registration moves few others.
/// </summary>
public static class RegistrationAssignment
{
    /// <summary>Orders registrations by venue, then code.</summary>
    public static int Compare(Registration a, Registration b)
    {
        int c = a.Venue.CompareTo(b.Venue);
        return c != 0 ? c : string.CompareOrdinal(a.Code, b.Code);
    }

    /// <summary>
    /// Assigns <paramref name="desired"/> to <paramref name="keyIds"/>, at most <paramref name="perKey"/> each. Registrations
    /// beyond the total capacity are returned in <paramref name="unassigned"/>.
    /// </summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<Registration>> Assign(
        IEnumerable<Registration> desired, IEnumerable<string> keyIds, int perKey, out IReadOnlyList<Registration> unassigned)
    {
        ArgumentNullException.ThrowIfNull(desired);
        ArgumentNullException.ThrowIfNull(keyIds);
        List<string> keys = [.. keyIds.Distinct().Order(StringComparer.Ordinal)];
        var result = keys.ToDictionary(k => k, _ => new List<Registration>(), StringComparer.Ordinal);
        List<Registration> left = [];
        List<Registration> sorted = [.. desired.Distinct()];
        sorted.Sort(Compare);
        foreach (Registration r in sorted)
        {
            string? best = null;
            ulong bestScore = 0;
            foreach (string k in keys)
            {
                if (result[k].Count >= perKey)
                {
                    continue;
                }

                ulong score = Score(r, k);
                if (best is null || score > bestScore)
                {
                    best = k;
                    bestScore = score;
                }
            }

            if (best is null)
            {
                left.Add(r);
            }
            else
            {
                result[best].Add(r);
            }
        }

        unassigned = left;
        return result.ToDictionary(p => p.Key, p => (IReadOnlyList<Registration>)p.Value, StringComparer.Ordinal);
    }

    private static ulong Score(Registration r, string keyId) =>
        XxHash64.HashToUInt64(Encoding.UTF8.GetBytes($"{(int)r.Venue}.{r.Code}|{keyId}"));
}
