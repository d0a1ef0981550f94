using System.Collections.Concurrent;

using KisFeed.TestKit;

namespace KisFeed.Tests.Nats;

/// <summary>One client connection as KIS sees it.</summary>
internal sealed class FakeKisConnection(InMemoryServerEnd server, DateTimeOffset connectedAt)
{
    public InMemoryServerEnd Server { get; } = server;

    public DateTimeOffset ConnectedAt { get; } = connectedAt;

    /// <summary>The lease id of the app key whose approval key it used (known from its first request).</summary>
    public volatile string? KeyId;

    public ConcurrentQueue<KisRequest> Requests { get; } = new();

    public ConcurrentDictionary<(string TrId, string Code), bool> Registered { get; } = new();

    public volatile bool Ended;

    public bool Clean { get; set; }

    public DateTimeOffset? EndedAt { get; set; }
}
