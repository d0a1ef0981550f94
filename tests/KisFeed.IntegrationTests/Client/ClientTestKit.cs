using System.Collections.Concurrent;

using KisFeed.Simulator;

using Microsoft.Extensions.Logging;

namespace KisFeed.IntegrationTests.Client;

/// <summary>Wiring between our client and the simulator for tests, plus a log sink that keeps every line.</summary>
internal static class ClientTestKit
{
    /// <summary>Fast backoff so reconnect tests finish quickly (the defaults are for KIS).</summary>
    public static readonly ReconnectPolicy FastReconnect = ReconnectPolicy.Default with
    {
        InitialDelay = TimeSpan.FromMilliseconds(50),
        MaxDelay = TimeSpan.FromMilliseconds(400),
        MinimumGap = TimeSpan.FromMilliseconds(50),
        AppKeyInUseDelay = TimeSpan.FromMilliseconds(300),
    };

    public static SimulatorOptions Sim => SimulatorOptions.Default with
    {
        UpdatesPerSecond = 20,
        TickInterval = TimeSpan.FromMilliseconds(20),
        ApprovalRateLimitPerSecond = 0,
    };

    public static KisOptions Options(KisSimulator sim, CapturingLoggerProvider? logs = null) => KisOptions.Default with
    {
        AppKey = SimulatorCredential.Demo.AppKey,
        AppSecret = SimulatorCredential.Demo.AppSecret,
        WebSocketUri = new Uri(sim.WebSocketUri, "/tryitout"),
        RestUri = sim.RestBaseUri,
        Reconnect = FastReconnect,
        ReplyTimeout = TimeSpan.FromSeconds(5),
        LoggerFactory = logs is null ? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance : LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace)),
    };

    public static CancellationTokenSource Deadline(double seconds = 20)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(seconds));
        return cts;
    }

    /// <summary>Waits for a condition with a deadline (the shared helper in KisFeed.TestKit).</summary>
    public static Task WaitUntilAsync(Func<bool> condition, CancellationToken ct, string what) => KisFeed.TestKit.Wait.UntilAsync(condition, ct, what);

    /// <summary>Reads from a subscription until <paramref name="until"/> holds for the records read so far.</summary>
    public static async Task<List<ProgramTrade>> ReadUntilAsync(IKisSubscription<ProgramTrade> sub, Func<List<ProgramTrade>, bool> until, CancellationToken ct, string what)
    {
        var seen = new List<ProgramTrade>();
        try
        {
            await foreach (ProgramTrade t in sub.ReadAllAsync(ct))
            {
                seen.Add(t);
                if (until(seen))
                {
                    return seen;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        Assert.Fail($"Timed out reading until {what} ({seen.Count} record(s) read)");
        return seen;
    }

    /// <summary>The simulator's invariants: net = buy − sell, net residual = bid − ask, value ≈ volume × a plausible price.</summary>
    public static void AssertConsistent(ProgramTrade t)
    {
        Assert.Equal(t.BuyVolume - t.SellVolume, t.NetBuyVolume);
        Assert.Equal(t.BuyValue - t.SellValue, t.NetBuyValue);
        Assert.Equal(t.BidResidual - t.AskResidual, t.NetBidResidual);
        Assert.True(t.SellVolume >= 0 && t.BuyVolume >= 0 && t.AskResidual >= 0 && t.BidResidual >= 0, t.ToString());
        if (t.SellVolume > 0)
        {
            Assert.InRange(t.SellValue / (double)t.SellVolume, 100, 10_000_000);
        }

        if (t.BuyVolume > 0)
        {
            Assert.InRange(t.BuyValue / (double)t.BuyVolume, 100, 10_000_000);
        }

        Assert.True(t.IsComplete);
    }
}

/// <summary>Keeps every formatted log line (with exception text) for assertions.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    public string AllText => string.Join('\n', Lines);

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => owner.Lines.Enqueue($"{logLevel} {category}[{eventId.Id}] {formatter(state, exception)} {exception}");
    }
}
