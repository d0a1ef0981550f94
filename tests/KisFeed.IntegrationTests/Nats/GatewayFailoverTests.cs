using KisFeed.Nats;

using NATS.Client.KeyValueStore;

namespace KisFeed.IntegrationTests.Nats;

/// <summary>
/// Three `kisfeed gateway` processes, five demo app keys on one simulator, a real nats-server. Short leases:
/// T = 5 s, D = 2 s (the simulator pings every 0.5 s and drops a session after 1 s without an answer), R = 1 s.
/// </summary>
public sealed class GatewayFailoverTests
{
    internal static readonly string[] Codes = ["005930", "000660", "373220", "207940", "005380", "000270", "068270", "035420", "105560", "055550"];
    internal static readonly Venue[] Venues = [Venue.Krx, Venue.Nxt];

    [Fact]
    public async Task AKilledGatewaysKeysMoveAfterTheLeaseExpiresNotSoonerAndTheStreamMatchesTheLedger()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(90);
        CancellationToken ct = deadline.Token;
        await using GatewayCluster cluster = await GatewayCluster.StartAsync(3, Codes, Venues, ct);
        string db = Path.Combine(cluster.Dir, "recorded.duckdb");
        string[] record = ["record", "all", "--venue", "all", "--from", cluster.Server.Url, "--db", db];
        using GatewayProcess firstRecorder = GatewayProcess.StartCli("recorder-1", record);
        GatewayProcess? secondRecorder = null;
        try
        {
            int withWork = await WaitForSteadyStateAsync(cluster, ct);

            // A durable recorder killed mid-stream and started again on its database.
            await NatsTestKit.WaitUntilAsync(() => CommittedSeq(firstRecorder) > 20, ct, "the first recorder commits");
            firstRecorder.Kill9();
            await firstRecorder.WaitForExitAsync(ct);
            secondRecorder = GatewayProcess.StartCli("recorder-2", record);
            cluster.Gateways.Add(secondRecorder);

            // Kill -9 the gateway holding the most keys.
            IReadOnlyDictionary<string, string> holders = await cluster.HoldersAsync(ct);
            string victimId = holders.Values.GroupBy(v => v).OrderByDescending(g => g.Count()).First().Key;
            GatewayProcess victim = cluster.Gateways.Single(g => g.Id == victimId);
            List<string> victimKeys = [.. holders.Where(h => h.Value == victimId).Select(h => h.Key)];
            victim.Kill9();
            await victim.WaitForExitAsync(ct);

            await NatsTestKit.WaitUntilAsync(async () =>
            {
                IReadOnlyDictionary<string, string> now = await cluster.HoldersAsync(ct);
                return victimKeys.All(k => now.TryGetValue(k, out string? o) && o != victimId);
            }, ct, "the killed gateway's keys are held by the others");

            // Not sooner than T after the dead holder's last renewal (both times are the NATS server's).
            foreach (string key in victimKeys)
            {
                List<NatsKVEntry<byte[]>> history = [.. cluster.LeaseHistory.Where(e => e.Key == key)];
                NatsKVEntry<byte[]> lastByVictim = history.Last(e => GatewayCluster.Owner(e) == victimId);
                NatsKVEntry<byte[]> takeover = history.First(e => e.Revision > lastByVictim.Revision);
                TimeSpan waited = takeover.Created - lastByVictim.Created;
                Assert.True(waited >= GatewayCluster.Feed.LeaseTtl, $"{key} taken over {waited.TotalSeconds:0.000}s after the last renewal, sooner than the lease ({GatewayCluster.Feed.LeaseTtl.TotalSeconds}s)");
                Assert.True(waited < GatewayCluster.Feed.LeaseTtl + TimeSpan.FromSeconds(5), $"{key} taken over only after {waited.TotalSeconds:0.000}s");
            }

            // Its registrations resume on the new holders.
            DateTimeOffset after = DateTimeOffset.UtcNow;
            await NatsTestKit.WaitUntilAsync(() => Codes.All(c => Venues.All(v => cluster.Trades.Any(t => t.Code == c && t.Venue == v && t.ReceivedAt > after))), ct,
                "every registration has data again");

            await StopMarketAndCheckLedgerAsync(cluster, ct);
            Assert.Equal(0, cluster.Simulator.AlreadyInUseReplies);
            Assert.True(withWork >= 3);

            // The recorder's database: every stream message once, with its sequence; equal to the ledger minus the gaps.
            var stream = await cluster.Js.GetStreamAsync(GatewayCluster.Feed.StreamName, cancellationToken: ct);
            ulong lastSeq = stream.Info.State.LastSeq;
            await NatsTestKit.WaitUntilAsync(() => CommittedSeq(secondRecorder) >= (long)lastSeq, ct, $"the restarted recorder commits up to {lastSeq}");
            secondRecorder.Terminate();
            await secondRecorder.WaitForExitAsync(ct);
            (List<RecordedDb.Row> rows, List<DataGapEventArgs> gaps, List<long> gapSeqs) = RecordedDb.Read(db);
            List<long> seqs = [.. rows.Select(r => r.StreamSeq).Concat(gapSeqs)];
            Assert.Equal(seqs.Count, seqs.Distinct().Count());
            Assert.Equal(cluster.Stream.Select(i => (long)i.StreamSequence).Order(), seqs.Order());
            Assert.Equal(
                cluster.Stream.Where(i => i.Item.Kind == FeedItemKind.Trade).Select(i => (i.StreamSequence, Reliability.LedgerCheck.Key(i.Item.Trade))),
                rows.Select(r => ((ulong)r.StreamSeq, Reliability.LedgerCheck.Key(r.Trade))));
            Reliability.LedgerCheck.Result fromDb = Reliability.LedgerCheck.Compare(Reliability.LedgerCheck.Distinct(cluster.Simulator.GetLedger()), rows.Select(r => r.Trade), gaps);
            Assert.True(fromDb.Holds, "database vs ledger: " + fromDb);
            TestContext.Current.SendDiagnosticMessage("database vs ledger: " + fromDb);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException(ex.Message + "\n" + cluster.Describe(), ex);
        }
    }

    [Fact]
    public async Task AGatewayPausedPastItsLeaseClosesItsSessionsFirstWhenItWakesAndNoKeyEverHasTwoSessions()
    {
        using CancellationTokenSource deadline = NatsTestKit.Deadline(90);
        CancellationToken ct = deadline.Token;
        await using GatewayCluster cluster = await GatewayCluster.StartAsync(3, Codes, Venues, ct);
        var twoSessions = new List<string>();
        using var watchSessions = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task sessionWatch = Task.Run(async () =>
        {
            while (!watchSessions.IsCancellationRequested)
            {
                foreach (IGrouping<string?, global::KisFeed.Simulator.SimulatorSessionInfo> g in cluster.Simulator.Sessions.Where(s => s.AppKey is not null).GroupBy(s => s.AppKey))
                {
                    if (g.Count() > 1)
                    {
                        lock (twoSessions)
                        {
                            twoSessions.Add($"{g.Key![..10]}… sessions {string.Join(',', g.Select(s => s.Id))}");
                        }
                    }
                }

                try
                {
                    await Task.Delay(5, watchSessions.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }, ct);
        try
        {
            await WaitForSteadyStateAsync(cluster, ct);
            IReadOnlyDictionary<string, string> holders = await cluster.HoldersAsync(ct);
            string victimId = holders.Values.GroupBy(v => v).OrderByDescending(g => g.Count()).First().Key;
            GatewayProcess victim = cluster.Gateways.Single(g => g.Id == victimId);
            List<string> victimKeys = [.. holders.Where(h => h.Value == victimId).Select(h => h.Key)];

            victim.Pause();
            await NatsTestKit.WaitUntilAsync(async () =>
            {
                IReadOnlyDictionary<string, string> now = await cluster.HoldersAsync(ct);
                return victimKeys.All(k => now.TryGetValue(k, out string? o) && o != victimId);
            }, ct, "the paused gateway's keys are held by the others");
            await NatsTestKit.WaitUntilAsync(() => victimKeys.All(k => cluster.Simulator.Sessions.Count(s => s.AppKey is { } a && AppKeyCredential.IdOf(a) == k) == 1), ct,
                "the new holders have their sessions");

            long resumedAt = GatewayProcess.Now;
            victim.Resume();
            await NatsTestKit.WaitUntilAsync(() => victimKeys.All(k => victim.Lines.Any(l => l.Order > resumedAt && l.Line.Contains("session-closed " + k, StringComparison.Ordinal))), ct,
                "the woken gateway reports every lost key's session closed");

            // The first thing it did on waking: drop the leases and close the sessions (nothing else printed before).
            List<string> afterWake = [.. victim.Lines.Where(l => l.Order > resumedAt).Select(l => l.Line)];
            int firstClosed = afterWake.FindIndex(l => l.Contains(" session-closed ", StringComparison.Ordinal));
            Assert.True(firstClosed >= 0);
            Assert.All(afterWake.Take(firstClosed + 1), l => Assert.True(
                l.Contains(" lease-lost ", StringComparison.Ordinal) || l.Contains(" session-closed ", StringComparison.Ordinal) || System.Text.RegularExpressions.Regex.IsMatch(l, "^stderr: warn: ([0-9:]+ KST )?Lease k[0-9a-f]+ lost: ")
                    || System.Text.RegularExpressions.Regex.IsMatch(l, "^stderr: (warn: ([0-9:]+ KST )?Unsubscribe of H0..PGM0/[0-9]+ failed|Object name)") // the disposed client refusing to send
                                                                                                                                                            // The server dropped the stale socket while the process slept: the client learns it on waking and
                                                                                                                                                            // schedules a reconnect, which the lease loss cancels (no second session is asserted below).
                    || System.Text.RegularExpressions.Regex.IsMatch(l, "^stderr: warn: ([0-9:]+ KST )?connection lost \\(.*\\); reconnecting in "),
                "before its sessions were closed it printed: " + l));
            foreach (string key in victimKeys)
            {
                Assert.Contains(afterWake, l => l.Contains("lease-lost " + key, StringComparison.Ordinal));
            }

            // The lost keys stay with their new holders: the woken gateway does not reconnect on them.
            IReadOnlyDictionary<string, string> final = await cluster.HoldersAsync(ct);
            await StopMarketAndCheckLedgerAsync(cluster, ct);
            await watchSessions.CancelAsync();
            await sessionWatch;
            Assert.Empty(twoSessions);
            Assert.Equal(0, cluster.Simulator.AlreadyInUseReplies);
            Assert.All(victimKeys, k => Assert.NotEqual(victimId, final[k]));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException(ex.Message + "\n" + cluster.Describe(), ex);
        }
    }

    internal static long CommittedSeq(GatewayProcess recorder) =>
        recorder.Lines.Select(l => System.Text.RegularExpressions.Regex.Match(l.Line, @"committed stream seq (\d+)")).Where(m => m.Success)
            .Select(m => long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();

    /// <summary>Waits until every key with work is held, each registration has data, and the keys are spread over the gateways.</summary>
    internal static async Task<int> WaitForSteadyStateAsync(GatewayCluster cluster, CancellationToken ct)
    {
        IReadOnlyDictionary<string, IReadOnlyList<Registration>> assignment = RegistrationAssignment.Assign(
            Codes.SelectMany(c => Venues.Select(v => new Registration(v, c))), cluster.Keys.Select(cluster.KeyIdOf), 41, out _);
        int withWork = assignment.Count(a => a.Value.Count > 0);
        await NatsTestKit.WaitUntilAsync(async () =>
        {
            IReadOnlyDictionary<string, string> holders = await cluster.HoldersAsync(ct);
            return holders.Count == withWork && holders.Values.Distinct().Count() >= 2;
        }, ct, $"{withWork} keys are held by at least 2 gateways");
        await NatsTestKit.WaitUntilAsync(() => Codes.All(c => Venues.All(v => cluster.Trades.Any(t => t.Code == c && t.Venue == v))), ct, "every registration has data");
        return withWork;
    }

    /// <summary>Stops the market (nothing more is sent), then waits until the stream holds every ledger record outside reported gaps, once.</summary>
    internal static async Task StopMarketAndCheckLedgerAsync(GatewayCluster cluster, CancellationToken ct)
    {
        // A stalled simulator answers nothing, subscribes included, and a registration that moved reports its takeover
        // gap only once KIS has accepted it at its new holder: so first every registration is live again (has data
        // received from now on), then the market stops.
        DateTimeOffset since = DateTimeOffset.UtcNow;
        await NatsTestKit.WaitUntilAsync(() => Codes.All(c => Venues.All(v => cluster.Trades.Any(t => t.Code == c && t.Venue == v && t.ReceivedAt > since))), ct,
            "every registration has data again before the market stops");
        cluster.Simulator.Stall(true);
        using var settle = CancellationTokenSource.CreateLinkedTokenSource(ct);
        settle.CancelAfter(TimeSpan.FromSeconds(15));
        try
        {
            await NatsTestKit.WaitUntilAsync(() => cluster.Check().Holds, settle.Token, "the stream holds the ledger minus the reported gaps");
        }
        catch (Xunit.Sdk.XunitException)
        {
            Assert.Fail(cluster.Check().ToString());
        }

        Reliability.LedgerCheck.Result result = cluster.Check();
        Assert.True(result.Holds, result.ToString());
        Assert.Empty(result.Duplicated);
        TestContext.Current.SendDiagnosticMessage(result.ToString());
    }
}
