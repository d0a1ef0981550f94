using System.Collections.Concurrent;

using KisFeed.Rest;
using KisFeed.Simulator;

using Microsoft.Extensions.Time.Testing;

namespace KisFeed.IntegrationTests.Rest;

/// <summary>Builds <see cref="KisRestClient"/>s against a simulator, each test with its own shared state and cache directory.</summary>
internal sealed class RestTestKit : IDisposable
{
    public RestTestKit() => Directory = System.IO.Directory.CreateTempSubdirectory("kisfeed-rest-").FullName;

    public string Directory { get; }

    public RestShared Shared { get; } = new();

    public static KisOptions Options(KisSimulator sim, TimeProvider? time = null, HttpMessageHandler? handler = null, SimulatorCredential? cred = null) =>
        KisOptions.Default with
        {
            AppKey = (cred ?? SimulatorCredential.Demo).AppKey,
            AppSecret = (cred ?? SimulatorCredential.Demo).AppSecret,
            RestUri = sim.RestBaseUri,
            TimeProvider = time ?? TimeProvider.System,
            HttpHandler = handler,
        };

    public KisRestOptions Rest => KisRestOptions.Default with { TokenCacheDirectory = Directory, RateLimitBackoff = TimeSpan.FromMilliseconds(1) };

    public KisRestClient Client(KisSimulator sim, TimeProvider? time = null, KisRestOptions? rest = null, HttpMessageHandler? handler = null, RestShared? shared = null) =>
        new(Options(sim, time, handler), rest ?? Rest, null, shared ?? Shared);

    /// <summary>Advances a fake clock in steps until <paramref name="task"/> completes (bounded by the deadline).</summary>
    public static async Task<T> PumpAsync<T>(Task<T> task, FakeTimeProvider time, TimeSpan step, CancellationToken ct)
    {
        while (!task.IsCompleted)
        {
            ct.ThrowIfCancellationRequested();
            time.Advance(step);
            await Task.WhenAny(task, Task.Delay(5, ct));
        }

        return await task;
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Stamps every request with the (fake) clock as it is sent.</summary>
internal sealed class StampingHandler(TimeProvider time) : DelegatingHandler(new SocketsHttpHandler())
{
    public ConcurrentQueue<(DateTimeOffset At, string Path)> Sent { get; } = new();

    public int HistoryCalls => Sent.Count(s => s.Path.Contains("program-trade", StringComparison.Ordinal));

    private int _answered;

    /// <summary>History calls whose answer has arrived (the server has read its clock for them).</summary>
    public int HistoryAnswered => Volatile.Read(ref _answered);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Sent.Enqueue((time.GetUtcNow(), request.RequestUri!.AbsolutePath));
        HttpResponseMessage response = await base.SendAsync(request, cancellationToken);
        if (request.RequestUri.AbsolutePath.Contains("program-trade", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _answered);
        }

        return response;
    }
}
