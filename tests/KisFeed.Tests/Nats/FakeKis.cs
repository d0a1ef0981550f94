using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;

using KisFeed.TestKit;

namespace KisFeed.Tests.Nats;

/// <summary>
/// KIS for gateway tests, on the in-memory transport: issues an approval key per app key, answers every subscribe,
/// keeps each connection with the app key it used, and sends program-trading frames to the connections that
/// registered them. Written from the protocol notes (requests read with <see cref="KisRequest.Parse"/>).
/// </summary>
internal sealed class FakeKis : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accept;
    private readonly ConcurrentDictionary<string, string> _appKeyOfApproval = new(StringComparer.Ordinal);
    private long _nextRecord;

    public FakeKis(ManualTime time)
    {
        Time = time;
        Approvals = new ApprovalHandler(this);
        _accept = Task.Run(AcceptAsync);
    }

    public ManualTime Time { get; }

    public InMemoryTransport Transport { get; } = new();

    public HttpMessageHandler Approvals { get; }

    /// <summary>Every connection so far, in connect order.</summary>
    public ConcurrentQueue<FakeKisConnection> Connections { get; } = new();

    /// <summary>Every moment a second connection on one app key registered while another one was open (must stay empty).</summary>
    public ConcurrentQueue<string> TwoSessions { get; } = new();

    public static string ApprovalKeyOf(string appKey) => "approval-" + AppKeyId(appKey);

    private static string AppKeyId(string appKey) => KisFeed.Nats.AppKeyCredential.IdOf(appKey);

    /// <summary>The open connections of an app key (by its lease id).</summary>
    public IReadOnlyList<FakeKisConnection> OpenOf(string keyId) => [.. Connections.Where(c => c.KeyId == keyId && !c.Ended)];

    /// <summary>Sends one record of <paramref name="registration"/> to every open connection that registered it.</summary>
    public int Send(Registration registration)
    {
        string trId = registration.Venue.ProgramTradeTrId();
        long n = Interlocked.Increment(ref _nextRecord);
        DateTimeOffset kst = Time.GetUtcNow().ToOffset(TimeSpan.FromHours(9));
        string frame = KisScript.Frame(trId, KisScript.Record(registration.Code, kst.ToString("HHmmss", System.Globalization.CultureInfo.InvariantCulture), n));
        int sent = 0;
        foreach (FakeKisConnection c in Connections.Where(c => !c.Ended && c.Registered.ContainsKey((trId, registration.Code))))
        {
            c.Server.Send(frame);
            sent++;
        }

        return sent;
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            InMemoryServerEnd server;
            try
            {
                server = await Transport.AcceptAsync(_stop.Token);
            }
            catch (TimeoutException)
            {
                return;
            }

            var c = new FakeKisConnection(server, Time.GetUtcNow());
            Connections.Enqueue(c);
            _ = Task.Run(() => ServeAsync(c));
        }
    }

    private async Task ServeAsync(FakeKisConnection c)
    {
        try
        {
            while (await c.Server.ReadAsync(_stop.Token) is { } text)
            {
                if (text.Contains("\"PINGPONG\"", StringComparison.Ordinal))
                {
                    continue;
                }

                KisRequest request = KisRequest.Parse(text);
                c.Requests.Enqueue(request);
                if (c.KeyId is null && _appKeyOfApproval.TryGetValue(request.ApprovalKey, out string? keyId))
                {
                    c.KeyId = keyId;
                    if (Connections.Count(o => o != c && o.KeyId == keyId && !o.Ended) > 0)
                    {
                        TwoSessions.Enqueue($"{keyId}: connection at {c.ConnectedAt:HH:mm:ss.fff} while another is open");
                    }
                }

                if (request.IsSubscribe)
                {
                    c.Registered[(request.TrId, request.TrKey)] = true;
                    c.Server.Send(KisScript.Json.Subscribed(request.TrId, request.TrKey));
                }
                else
                {
                    c.Registered.TryRemove((request.TrId, request.TrKey), out _);
                    c.Server.Send(KisScript.Json.Unsubscribed(request.TrId, request.TrKey));
                }
            }
        }
        catch (TimeoutException)
        {
        }

        c.EndedAt = Time.GetUtcNow();
        c.Clean = c.Server.ClosedCleanly;
        c.Ended = true;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _accept;
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>POST /oauth2/Approval: an approval key derived from the app key, so connections can be told apart.</summary>
    private sealed class ApprovalHandler(FakeKis kis) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            string body = request.Content is null ? "{}" : await request.Content.ReadAsStringAsync(cancellationToken);
            using var doc = JsonDocument.Parse(body);
            string appKey = doc.RootElement.GetProperty("appkey").GetString()!;
            string approval = ApprovalKeyOf(appKey);
            kis._appKeyOfApproval[approval] = AppKeyId(appKey);
            return new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent($$"""{"approval_key":"{{approval}}"}""", Encoding.UTF8, "application/json"),
            };
        }
    }
}
