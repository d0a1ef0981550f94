using KisFeed.Nats;

namespace KisFeed.IntegrationTests.Nats;

/// <summary>The pure parts: who carries which registration, and the lease timing rule.</summary>
public sealed class AssignmentAndRulesTests
{
    private static readonly string[] Keys = [.. Enumerable.Range(1, 15).Select(i => AppKeyCredential.IdOf($"PSKEY{i:D31}"))];

    private static List<Registration> Kospi(int codes) =>
        [.. Enumerable.Range(0, codes).SelectMany(i => VenueExtensions.All.Select(v => new Registration(v, (100000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture))))];

    [Fact]
    public void SixHundredRegistrationsFitFifteenKeysAtMostFortyOneEachTheSameOnEveryGateway()
    {
        List<Registration> desired = Kospi(200);
        var a = RegistrationAssignment.Assign(desired, Keys, 41, out IReadOnlyList<Registration> left);
        var b = RegistrationAssignment.Assign(Enumerable.Reverse(desired), Enumerable.Reverse(Keys), 41, out _);

        Assert.Empty(left);
        Assert.All(a.Values, regs => Assert.InRange(regs.Count, 0, 41));
        Assert.Equal(600, a.Values.Sum(r => r.Count));
        Assert.Equal(desired.ToHashSet(), a.Values.SelectMany(r => r).ToHashSet());
        Assert.All(Keys, k => Assert.Equal(a[k], b[k]));
    }

    [Fact]
    public void AddingOneRegistrationMovesFewOthers()
    {
        List<Registration> desired = Kospi(100);
        var before = RegistrationAssignment.Assign(desired, Keys, 41, out _);
        var after = RegistrationAssignment.Assign([.. desired, new Registration(Venue.Nxt, "999999")], Keys, 41, out _);
        Dictionary<Registration, string> where = before.SelectMany(p => p.Value.Select(r => (r, p.Key))).ToDictionary(x => x.r, x => x.Key);
        int moved = after.SelectMany(p => p.Value.Where(r => where.TryGetValue(r, out string? k) && k != p.Key)).Count();
        Assert.InRange(moved, 0, 3);
    }

    [Fact]
    public void BeyondCapacityIsReportedNotSilentlyDropped()
    {
        _ = RegistrationAssignment.Assign(Kospi(30), Keys[..2], 41, out IReadOnlyList<Registration> left);
        Assert.Equal(90 - 82, left.Count);
    }

    [Fact]
    public void TheLeaseMustOutliveTheSilentSessionByThreeRenewals()
    {
        NatsFeedOptions ok = NatsFeedOptions.Default;
        ok.Validate();
        Assert.Equal(TimeSpan.FromSeconds(60), ok.LeaseHoldWindow);
        ArgumentException ex = Assert.Throws<ArgumentException>(() => (ok with { LeaseTtl = TimeSpan.FromSeconds(340) }).Validate());
        Assert.Contains("Lease rule broken", ex.Message, StringComparison.Ordinal);
        (ok with { LeaseTtl = TimeSpan.FromSeconds(5), KisSilentSessionLifetime = TimeSpan.FromSeconds(2), LeaseRenewInterval = TimeSpan.FromSeconds(1) }).Validate();
    }
}
