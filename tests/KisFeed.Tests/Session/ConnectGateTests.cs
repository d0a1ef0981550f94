using System.Collections.Concurrent;

using KisFeed.TestKit;

namespace KisFeed.Tests.Session;

/// <summary>
/// <see cref="KisOptions.ConnectGate"/> on virtual time: asked right before each connect and before registrations are
/// sent on a new connection; a refusal means no connection attempt, or a connection closed with nothing sent on it.
/// </summary>
public class ConnectGateTests
{
    [Fact]
    public async Task ARefusedGateMeansNoConnectAttemptUntilItAllowsAgain()
    {
        var gate = new Gate();
        await using var rig = new SessionRig(o => o with { ConnectGate = gate.AskAsync });
        (IKisSubscription<ProgramTrade> sub, InMemoryServerEnd server) = await rig.SubscribeAsync(["005930"]);
        Assert.Equal(2, gate.Calls); // before the connect, before the subscribe was sent

        gate.Allow = false;
        server.Drop();
        int attempts = rig.Transport.Attempts;
        await rig.PassBackoffAsync(TimeSpan.FromSeconds(5));
        await rig.UntilAsync(() => gate.Calls == 3, "the gate asked before the reconnect");
        await rig.UntilAsync(() => rig.States.Any(s => s.Current == ConnectionState.Reconnecting && s.Reason.Contains("ConnectGate refused", StringComparison.Ordinal)), "the refusal reported as the reason");
        Assert.Equal(attempts, rig.Transport.Attempts); // no connection was even tried

        // Refused again, then allowed: the reconnect goes ahead and restores the registration.
        await rig.PassBackoffAsync(TimeSpan.FromSeconds(5));
        await rig.UntilAsync(() => gate.Calls == 4, "asked again");
        Assert.Equal(attempts, rig.Transport.Attempts);
        gate.Allow = true;
        await rig.PassBackoffAsync(TimeSpan.FromSeconds(5));
        _ = await rig.AcceptAsync();
        await rig.UntilAsync(() => rig.Client.State == ConnectionState.Connected && rig.Script.Requests.Count == 2, "reconnected and restored");
        Assert.Equal(attempts + 1, rig.Transport.Attempts);
        Assert.Equal(6, gate.Calls); // before the connect and before the restore
        await sub.DisposeAsync();
    }

    [Fact]
    public async Task AGateThatRefusesAfterTheConnectClosesItBeforeAnyRegistrationIsSent()
    {
        var gate = new Gate();
        await using var rig = new SessionRig(o => o with { ConnectGate = gate.AskAsync });
        (IKisSubscription<ProgramTrade> sub, InMemoryServerEnd server) = await rig.SubscribeAsync(["005930"]);

        // The connect is allowed, but by the time the session would restore, the key is no longer ours.
        gate.Answers.Enqueue(true);
        gate.Answers.Enqueue(false);
        server.Drop();
        await rig.PassBackoffAsync(TimeSpan.FromSeconds(5));
        InMemoryServerEnd second = await rig.AcceptAsync();
        await rig.UntilAsync(() => second.ClientGone, "the client closes the new connection");
        Assert.Single(rig.Script.Requests); // only the first subscribe: nothing was sent on the second connection

        await rig.PassBackoffAsync(TimeSpan.FromSeconds(5));
        _ = await rig.AcceptAsync();
        await rig.UntilAsync(() => rig.Client.State == ConnectionState.Connected && rig.Script.Requests.Count == 2, "the next connection restores");
        await sub.DisposeAsync();
    }

    [Fact]
    public async Task ARegistrationOnAnOpenConnectionAsksTheGateAndAGateThatThrowsCountsAsARefusal()
    {
        var gate = new Gate();
        await using var rig = new SessionRig(o => o with { ConnectGate = gate.AskAsync });
        (IKisSubscription<ProgramTrade> first, InMemoryServerEnd server) = await rig.SubscribeAsync(["005930"]);
        gate.Throw = true;

        // A second subscribe on the open connection: the gate fails, so the connection is closed with nothing sent.
        Task<IKisSubscription<ProgramTrade>> second = rig.Client.SubscribeAsync(Registration.Of(["000660"], [Venue.Nxt]), cancellationToken: rig.Ct);
        await rig.UntilAsync(() => server.ClientGone, "the connection is closed instead of registering");
        Assert.Single(rig.Script.Requests);

        gate.Throw = false;
        await rig.PassBackoffAsync(TimeSpan.FromSeconds(5));
        _ = await rig.AcceptAsync();
        await rig.UntilAsync(() => rig.Script.Requests.Count == 3, "both registrations restored on the next connection");
        await (await second).DisposeAsync();
        await first.DisposeAsync();
    }

    private sealed class Gate
    {
        private int _calls;

        public volatile bool Allow = true;

        public volatile bool Throw;

        /// <summary>Answers used first, one per call, before <see cref="Allow"/>.</summary>
        public ConcurrentQueue<bool> Answers { get; } = new();

        public int Calls => Volatile.Read(ref _calls);

        public ValueTask<bool> AskAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            if (Throw)
            {
                throw new InvalidOperationException("lease store unreachable");
            }

            return ValueTask.FromResult(Answers.TryDequeue(out bool answer) ? answer : Allow);
        }
    }
}
