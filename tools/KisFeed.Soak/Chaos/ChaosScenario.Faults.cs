using System.Diagnostics;

using KisFeed.Nats;
using KisFeed.TestKit;

using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace KisFeed.Soak.Chaos;

public sealed partial class ChaosScenario
{
    private int _gatewayTurn;
    private int _nodeTurn;

    private async Task RunFaultAsync(ChaosFaultKind kind, int n, string keysFile, CancellationToken ct)
    {
        var record = new ChaosFaultRecord(n + 1, kind, _clock.Elapsed);
        try
        {
            switch (kind)
            {
                case ChaosFaultKind.KillGateway:
                case ChaosFaultKind.StopGateway:
                    await GatewayFaultAsync(record, kind == ChaosFaultKind.StopGateway, keysFile, ct);
                    break;
                case ChaosFaultKind.KillStreamLeader:
                    await KillStreamLeaderAsync(record, ct);
                    break;
                case ChaosFaultKind.RestartNode:
                    await RestartNodeAsync(record, ct);
                    break;
                case ChaosFaultKind.Poison:
                    await PoisonAsync(record, ct);
                    break;
                case ChaosFaultKind.KillRecorder:
                    await KillRecorderAsync(record, ct);
                    break;
                case ChaosFaultKind.DropSessions:
                    await DropSessionsAsync(record, ct);
                    break;
            }
        }
        catch (Exception ex) when (ex is NatsException or TimeoutException or InvalidOperationException or HttpRequestException)
        {
            record = record with { Note = $"fault step failed: {ex.Message}" };
            Fail($"fault {record.Number} ({kind}) could not be carried out: {ex.Message}");
        }

        _faults.Add(record);
        Say($"fault {record.Number} {kind} {record.Target}: {record.Describe()}");
    }

    private async Task GatewayFaultAsync(ChaosFaultRecord record, bool stop, string keysFile, CancellationToken ct)
    {
        IReadOnlyDictionary<string, string> holders = await RetryAsync(() => _leases.HoldersAsync(ct), "read the leases", ct);
        string[] gateways = [.. Enumerable.Range(1, _o.Gateways).Select(i => $"gw{i}")];
        string victim;
        if (stop)
        {
            // A different gateway each time, one that holds keys.
            victim = Enumerable.Range(0, gateways.Length).Select(i => gateways[(_gatewayTurn + i) % gateways.Length]).FirstOrDefault(g => holders.Values.Contains(g)) ?? gateways[0];
            _gatewayTurn++;
        }
        else
        {
            victim = holders.Values.GroupBy(v => v).OrderByDescending(g => g.Count()).Select(g => g.Key).FirstOrDefault() ?? gateways[0];
        }

        string[] keys = [.. holders.Where(kv => kv.Value == victim).Select(kv => kv.Key)];
        ChaosProcess p;
        lock (_all)
        {
            p = _current[victim];
        }

        var t0 = Stopwatch.StartNew();
        if (stop)
        {
            p.Pause();
        }
        else
        {
            p.Kill9();
        }

        record.Target = $"{victim} ({keys.Length} keys)";
        bool moved = await TryWaitAsync(async () =>
        {
            IReadOnlyDictionary<string, string> now = await _leases.HoldersAsync(ct);
            return keys.All(k => now.TryGetValue(k, out string? h) && h != victim);
        }, (_o.LeaseTtl * 3).TotalSeconds + 60, ct);
        if (moved)
        {
            record.Takeover = t0.Elapsed;
        }
        else
        {
            Fail($"fault {record.Number}: the keys of {victim} did not move to another gateway within {(_o.LeaseTtl * 3).TotalSeconds + 60} s");
        }

        if (stop)
        {
            // Stay stopped past the TTL (the takeover may be quicker), then wake up: it must see its leases are gone.
            TimeSpan until = _o.LeaseTtl + TimeSpan.FromSeconds(4) - t0.Elapsed;
            if (until > TimeSpan.Zero)
            {
                await Task.Delay(until, ct);
            }

            p.Resume();
            record.Note = $"stopped {t0.Elapsed.TotalSeconds:0.0} s";
        }
        else
        {
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
            StartGateway(victim, keysFile);
            record.Note = $"restarted after {t0.Elapsed.TotalSeconds:0.0} s";
        }
    }

    private async Task<StreamInfo> StreamInfoAsync(CancellationToken ct) => (await _js.GetStreamAsync(_feed.StreamName, cancellationToken: ct)).Info;

    private async Task KillStreamLeaderAsync(ChaosFaultRecord record, CancellationToken ct)
    {
        // $JS.API.STREAM.INFO.<stream>: the cluster section names the leader.
        string leader = await RetryAsync(async () => (await StreamInfoAsync(ct)).Cluster?.Leader is { Length: > 0 } l ? l : throw new TimeoutException("no stream leader yet"), "find the stream leader", ct);
        NatsServer node = _nodes.Single(x => x.Name == leader);
        record.Target = leader;
        var t0 = Stopwatch.StartNew();
        node.Kill();
        bool elected = await TryWaitAsync(async () => (await StreamInfoAsync(ct)).Cluster?.Leader is { Length: > 0 } l && l != leader, 60, ct);
        if (elected)
        {
            record.LeaderElection = t0.Elapsed;
        }
        else
        {
            Fail($"fault {record.Number}: no new stream leader within 60 s of killing {leader}");
        }

        TimeSpan down = TimeSpan.FromSeconds(Math.Min(20, _o.FaultEverySeconds / 3)) - t0.Elapsed;
        if (down > TimeSpan.Zero)
        {
            await Task.Delay(down, ct);
        }

        await node.StartAgainAsync(ct);
        record.Note = $"down {t0.Elapsed.TotalSeconds:0.0} s; " + await WaitForCurrentReplicasAsync(ct);
    }

    private async Task RestartNodeAsync(ChaosFaultRecord record, CancellationToken ct)
    {
        string? leader = await RetryAsync(async () => (await StreamInfoAsync(ct)).Cluster?.Leader, "find the stream leader", ct);
        NatsServer[] others = [.. _nodes.Where(x => x.Name != leader)];
        NatsServer node = others[_nodeTurn++ % others.Length];
        record.Target = node.Name;
        var t0 = Stopwatch.StartNew();
        await node.TerminateAsync(ct);
        await node.StartAgainAsync(ct);
        record.Note = $"back in {t0.Elapsed.TotalSeconds:0.0} s; " + await WaitForCurrentReplicasAsync(ct);
    }

    /// <summary>Waits (soft: the run goes on) until the stream's leader and both followers are current.</summary>
    private async Task<string> WaitForCurrentReplicasAsync(CancellationToken ct)
    {
        var t = Stopwatch.StartNew();
        bool current = await TryWaitAsync(async () =>
        {
            StreamInfo info = await StreamInfoAsync(ct);
            return info.Cluster is { Leader.Length: > 0, Replicas: { Count: 2 } r } && r.All(x => x.Current);
        }, 60, ct, TimeSpan.FromMilliseconds(500));
        return current ? $"replicas current after {t.Elapsed.TotalSeconds:0.0} s" : "replicas not all current after 60 s";
    }

    private async Task PoisonAsync(ChaosFaultRecord record, CancellationToken ct)
    {
        string subject = FeedSubjects.Trade(_feed.SubjectPrefix, Venue.Krx, KnownCodes[0]);
        byte[][] poisons =
        [
            [],
            "garbage that is no KisFeed payload"u8.ToArray(),
            [1, 1, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
            [9, 1, .. new byte[108]],
        ];
        foreach (byte[] poison in poisons)
        {
            PubAckResponse ack = await RetryAsync(async () => await _js.PublishAsync(subject, poison, cancellationToken: ct), "publish a poison message", ct);
            ack.EnsureSuccess();
            Interlocked.Increment(ref _poisons);
        }

        record.Target = subject;
        record.Note = $"{poisons.Length} malformed payloads stored in the stream";
        await Task.CompletedTask;
    }

    private async Task DropSessionsAsync(ChaosFaultRecord record, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using HttpResponseMessage r = await http.PostAsync(new Uri($"{_rest}/simulator/drop?mode=abort"), null, ct);
        r.EnsureSuccessStatusCode();
        record.Target = "every KIS session";
        record.Note = await r.Content.ReadAsStringAsync(ct);
    }

    private async Task KillRecorderAsync(ChaosFaultRecord record, CancellationToken ct)
    {
        ChaosProcess p;
        lock (_all)
        {
            p = _current["recorder"];
        }

        long before = Interlocked.Read(ref _committed);
        p.Kill9();
        record.Target = $"recorder (committed {before})";
        await Task.Delay(TimeSpan.FromSeconds(2), ct);
        StartRecorder();
        var t0 = Stopwatch.StartNew();
        bool resumed = await TryWaitAsync(() => Task.FromResult(Interlocked.Read(ref _committed) > before), 60, ct);
        record.Note = resumed ? $"restarted, committing again after {t0.Elapsed.TotalSeconds:0.0} s" : "restarted, no commit within 60 s";
        if (!resumed)
        {
            Fail($"fault {record.Number}: the restarted recorder did not commit past {before} within 60 s");
        }
    }
}

/// <summary>One fault of the run and what was measured around it.</summary>
public sealed record ChaosFaultRecord(int Number, ChaosFaultKind Kind, TimeSpan At)
{
    public string Target { get; set; } = string.Empty;

    /// <summary>Gateway faults: from the kill/stop until another gateway held every key of the victim.</summary>
    public TimeSpan? Takeover { get; set; }

    /// <summary>Leader kill: until the stream answered with another leader.</summary>
    public TimeSpan? LeaderElection { get; set; }

    public string Note { get; set; } = string.Empty;

    public string Describe() =>
        string.Join("; ", new[]
        {
            Takeover is { } t ? $"takeover {t.TotalSeconds:0.0} s" : null,
            LeaderElection is { } e ? $"new leader in {e.TotalSeconds:0.0} s" : null,
            Note.Length > 0 ? Note : null,
        }.Where(x => x is not null));
}
