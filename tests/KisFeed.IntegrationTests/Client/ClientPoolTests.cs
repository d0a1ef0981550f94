using KisFeed.Simulator;

using static KisFeed.IntegrationTests.Client.ClientTestKit;

namespace KisFeed.IntegrationTests.Client;

public class ClientPoolTests
{
    private static readonly SimulatorCredential Second = new("PSSECONDAPPKEY000000000000000000000B", new string('t', 180));

    [Fact]
    public async Task TwoAppKeysFollowMoreThanFortyOneRegistrations()
    {
        using CancellationTokenSource deadline = Deadline(30);
        await using KisSimulator sim = await KisSimulator.StartAsync(Sim with { Credentials = [SimulatorCredential.Demo, Second], UpdatesPerSecond = 5 }, deadline.Token);
        KisOptions first = Options(sim);
        await using var pool = new KisClientPool([first, first with { AppKey = Second.AppKey, AppSecret = Second.AppSecret }]);
        Assert.Equal(82, pool.Capacity);

        string[] codes = [.. Enumerable.Range(100_000, 20).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];
        await using IKisSubscription<ProgramTrade> sub = await pool.SubscribeAsync(Registration.Of(codes, VenueExtensions.All), cancellationToken: deadline.Token); // 60 registrations

        Assert.Equal(60, pool.RegistrationCount);
        Assert.Equal(2, sim.ActiveSessionCount);
        Assert.All(sim.Sessions, s => Assert.InRange(s.Registrations.Count, 19, 41));
        Assert.Equal(60, sim.Sessions.Sum(s => s.Registrations.Count));

        var seen = new HashSet<(Venue, string)>();
        await foreach (ProgramTrade t in sub.ReadAllAsync(deadline.Token))
        {
            AssertConsistent(t);
            seen.Add((t.Venue, t.Code));
            if (seen.Count == 60)
            {
                break;
            }
        }

        Assert.Equal(60, seen.Count);

        // 24 more need 84 slots of 82: 22 are held, the last 2 are over the pool's cap and never sent.
        string[] more = [.. Enumerable.Range(200_000, 8).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];
        await using IKisSubscription<ProgramTrade> extra = await pool.SubscribeAsync(Registration.Of(more, VenueExtensions.All), cancellationToken: deadline.Token);
        Assert.Equal(22, extra.Registrations.Count(r => r.State == RegistrationState.Active));
        Assert.Equal(2, extra.Registrations.Count(r => r.State == RegistrationState.OverLimit));
        Assert.Equal(82, pool.RegistrationCount);
        Assert.Equal(82, sim.Sessions.Sum(s => s.Registrations.Count));
    }

    [Fact]
    public void TheSameAppKeyTwiceIsRefused()
    {
        KisOptions o = KisOptions.Default with { AppKey = "PSsameappkey", AppSecret = "s" };
        ArgumentException e = Assert.Throws<ArgumentException>(() => new KisClientPool([o, o]));
        Assert.Contains("one session per app key", e.Message);
        Assert.DoesNotContain("PSsameappkey", e.Message);
    }
}
