using System.Collections.Concurrent;

using KisFeed.TestKit;

namespace KisFeed.Tests.Session;

/// <summary>
/// A client on the in-memory transport and virtual time: the test plays KIS (through <see cref="KisScript"/>) and
/// moves the clock itself. Nothing waits on the wall clock except the safety deadline of each wait.
/// </summary>
internal sealed class SessionRig : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 12, 1, 0, 30, 0, TimeSpan.Zero); // 09:30 KST

    /// <summary>No jitter, so every delay is exact: 1 s doubling, at least 5 s, 30 s after OPSP8996.</summary>
    public static readonly ReconnectPolicy Policy = ReconnectPolicy.Default with { Jitter = 0 };

    private readonly CancellationTokenSource _deadline;

    public SessionRig(Func<KisOptions, KisOptions>? configure = null, double deadlineSeconds = 20)
    {
        _deadline = Wait.Deadline(TestContext.Current.CancellationToken, deadlineSeconds);
        KisOptions options = KisOptions.Default with
        {
            ApprovalKey = "test-approval-key-0000",
            WebSocketUri = new Uri("ws://kis.test:21000"),
            TimeProvider = Time,
            Transport = Transport,
            Reconnect = Policy,
            AbandonedSweepInterval = TimeSpan.FromMinutes(7), // a period no other timer of these tests has
        };
        Options = configure?.Invoke(options) ?? options;
        Client = new KisRealtimeClient(Options);
        Client.StateChanged += (_, e) => States.Enqueue(e);
        Client.DataGap += (_, e) => Gaps.Enqueue(e);
        Client.FrameRejected += (_, e) => Rejected.Enqueue(e);
        Client.SubscriptionFailed += (_, e) => Failed.Enqueue(e);
        Client.RecordsDropped += (_, e) => Drops.Enqueue(e);
    }

    public ManualTime Time { get; } = new(Start);

    public InMemoryTransport Transport { get; } = new();

    public KisScript Script { get; } = new();

    public KisOptions Options { get; }

    public KisRealtimeClient Client { get; }

    public CancellationToken Ct => _deadline.Token;

    public ConcurrentQueue<ConnectionStateChangedEventArgs> States { get; } = new();

    public ConcurrentQueue<DataGapEventArgs> Gaps { get; } = new();

    public ConcurrentQueue<FrameRejectedEventArgs> Rejected { get; } = new();

    public ConcurrentQueue<SubscriptionFailedEventArgs> Failed { get; } = new();

    public ConcurrentQueue<RecordsDroppedEventArgs> Drops { get; } = new();

    /// <summary>Takes the client's next connection and answers its requests with <see cref="Script"/>.</summary>
    public async Task<InMemoryServerEnd> AcceptAsync()
    {
        InMemoryServerEnd server = await Transport.AcceptAsync(Ct);
        _ = Script.ServeAsync(server, Ct);
        return server;
    }

    /// <summary>Subscribes while playing the server's side of the first connection.</summary>
    public async Task<(IKisSubscription<ProgramTrade> Sub, InMemoryServerEnd Server)> SubscribeAsync(string[] codes, Venue venue = Venue.Nxt)
    {
        Task<IKisSubscription<ProgramTrade>> pending = Client.SubscribeAsync(Registration.Of(codes, [venue]), cancellationToken: Ct);
        InMemoryServerEnd server = await AcceptAsync();
        return (await pending, server);
    }

    public Task UntilAsync(Func<bool> condition, string what) => Wait.UntilAsync(condition, Ct, what);

    /// <summary>Waits for the supervisor's backoff timer of <paramref name="delay"/>, then moves the clock past it.</summary>
    public async Task PassBackoffAsync(TimeSpan delay)
    {
        await Time.WaitForTimerAsync(delay, Ct);
        Time.Advance(delay);
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        _deadline.Dispose();
    }
}
