using System.Collections.Concurrent;
using System.Globalization;

using KisFeed.IntegrationTests.Simulator;
using KisFeed.Simulator;

using static KisFeed.IntegrationTests.Client.ClientTestKit;

namespace KisFeed.IntegrationTests.Client;

/// <summary>
/// Issue 20 item 1: index program trading (<c>H0UPPGM0</c>) through the client against the in-process simulator: the
/// typed records equal what the simulator serves (its market function, field by KIS name), the registrations share
/// the session's cap with the stocks', and a reconnect restores them.
/// </summary>
public sealed class IndexSubscriptionTests
{
    /// <summary>Each typed figure of a record with its KIS name (the names as the official sample spells them).</summary>
    private static IEnumerable<(string Name, decimal Value)> Named(IndexProgramTrade t)
    {
        foreach ((string kind, string who, IndexProgramFlow f) in new[] { ("arbt", "entm", t.ArbitrageCustomer), ("arbt", "onsl", t.ArbitrageOwn), ("nabt", "entm", t.NonArbitrageCustomer), ("nabt", "onsl", t.NonArbitrageOwn) })
        {
            yield return ($"{kind}_seln_{who}_cnqn", f.SellVolume);
            yield return ($"{kind}_seln_{who}_cntg_amt", f.SellValue);
            yield return ($"{kind}_shnu_{who}_cnqn", f.BuyVolume);
            yield return ($"{kind}_shnu_{who}_cntg_amt", f.BuyValue);
            yield return ($"{kind}_{who}_ntby_qty", f.NetBuyVolume);
            yield return ($"{kind}_{who}_ntby_tr_pbmn", f.NetBuyValue);
        }

        (IndexProgramFlow Flow, IndexProgramShares Shares, string[] Names)[] sums =
        [
            (t.Arbitrage, t.ArbitrageShares, ["arbt_smtn_seln_vol", "arbt_smtm_seln_vol_rate", "arbt_smtn_seln_tr_pbmn", "arbt_smtm_seln_tr_pbmn_rate", "arbt_smtn_shnu_vol", "arbt_smtm_shnu_vol_rate", "arbt_smtn_shnu_tr_pbmn", "arbt_smtm_shnu_tr_pbmn_rate", "arbt_smtn_ntby_qty", "arbt_smtm_ntby_qty_rate", "arbt_smtn_ntby_tr_pbmn", "arbt_smtm_ntby_tr_pbmn_rate"]),
            (t.NonArbitrage, t.NonArbitrageShares, ["nabt_smtn_seln_vol", "nabt_smtm_seln_vol_rate", "nabt_smtn_seln_tr_pbmn", "nabt_smtm_seln_tr_pbmn_rate", "nabt_smtn_shnu_vol", "nabt_smtm_shnu_vol_rate", "nabt_smtn_shnu_tr_pbmn", "nabt_smtm_shnu_tr_pbmn_rate", "nabt_smtn_ntby_qty", "nabt_smtm_ntby_qty_rate", "nabt_smtn_ntby_tr_pbmn", "nabt_smtm_ntby_tr_pbmn_rate"]),
            (t.Customer, t.CustomerShares, ["whol_entm_seln_vol", "entm_seln_vol_rate", "whol_entm_seln_tr_pbmn", "entm_seln_tr_pbmn_rate", "whol_entm_shnu_vol", "entm_shnu_vol_rate", "whol_entm_shnu_tr_pbmn", "entm_shnu_tr_pbmn_rate", "whol_entm_ntby_qt", "entm_ntby_qty_rat", "whol_entm_ntby_tr_pbmn", "entm_ntby_tr_pbmn_rate"]),
            (t.Own, t.OwnShares, ["whol_onsl_seln_vol", "onsl_seln_vol_rate", "whol_onsl_seln_tr_pbmn", "onsl_seln_tr_pbmn_rate", "whol_onsl_shnu_vol", "onsl_shnu_vol_rate", "whol_onsl_shnu_tr_pbmn", "onsl_shnu_tr_pbmn_rate", "whol_onsl_ntby_qty", "onsl_ntby_qty_rate", "whol_onsl_ntby_tr_pbmn", "onsl_ntby_tr_pbmn_rate"]),
            (t.Total, t.TotalShares, ["total_seln_qty", "whol_seln_vol_rate", "total_seln_tr_pbmn", "whol_seln_tr_pbmn_rate", "shnu_cntg_smtn", "whol_shun_vol_rate", "total_shnu_tr_pbmn", "whol_shun_tr_pbmn_rate", "whol_ntby_qty", "whol_smtm_ntby_qty_rate", "whol_ntby_tr_pbmn", "whol_ntby_tr_pbmn_rate"]),
        ];
        foreach ((IndexProgramFlow f, IndexProgramShares s, string[] n) in sums)
        {
            decimal[] values = [f.SellVolume, s.SellVolume, f.SellValue, s.SellValue, f.BuyVolume, s.BuyVolume, f.BuyValue, s.BuyValue, f.NetBuyVolume, s.NetBuyVolume, f.NetBuyValue, s.NetBuyValue];
            for (int i = 0; i < 12; i++)
            {
                yield return (n[i], values[i]);
            }
        }

        yield return ("acml_vol", t.MarketVolume);
        yield return ("acml_tr_pbmn", t.MarketValue);
    }

    private static void AssertAddsUp(IndexProgramTrade t)
    {
        Assert.True(t.IsComplete, string.Join(',', t.Missing));
        Assert.Equal(t.ArbitrageCustomer + t.ArbitrageOwn, t.Arbitrage);
        Assert.Equal(t.NonArbitrageCustomer + t.NonArbitrageOwn, t.NonArbitrage);
        Assert.Equal(t.ArbitrageCustomer + t.NonArbitrageCustomer, t.Customer);
        Assert.Equal(t.ArbitrageOwn + t.NonArbitrageOwn, t.Own);
        Assert.Equal(t.Arbitrage + t.NonArbitrage, t.Total);
        foreach (IndexProgramFlow f in new[] { t.ArbitrageCustomer, t.ArbitrageOwn, t.NonArbitrageCustomer, t.NonArbitrageOwn, t.Total })
        {
            Assert.Equal(f.BuyVolume - f.SellVolume, f.NetBuyVolume);
            Assert.Equal(f.BuyValue - f.SellValue, f.NetBuyValue);
        }

        Assert.True(t.MarketValue >= t.Total.SellValue && t.MarketValue >= t.Total.BuyValue, t.ToString());
    }

    private static void AssertCumulative(IReadOnlyList<IndexProgramTrade> updates)
    {
        foreach (IGrouping<string, IndexProgramTrade> index in updates.GroupBy(u => u.IndexCode))
        {
            IndexProgramTrade? previous = null;
            foreach (IndexProgramTrade u in index)
            {
                if (previous is not null)
                {
                    Assert.True(u.Time > previous.Time, $"{u.IndexCode}: {u.Time} after {previous.Time}");
                    Assert.True(u.MarketVolume >= previous.MarketVolume && u.MarketValue >= previous.MarketValue, $"{u.IndexCode} {u.Time}: market totals went down");
                    Assert.True(u.Total.SellValue >= previous.Total.SellValue && u.Total.BuyValue >= previous.Total.BuyValue, $"{u.IndexCode} {u.Time}: program totals went down");
                }

                previous = u;
            }
        }
    }

    private static async Task<List<IndexProgramTrade>> ReadAsync(IKisSubscription<IndexProgramTrade> sub, Func<List<IndexProgramTrade>, bool> until, CancellationToken ct, string what)
    {
        var seen = new List<IndexProgramTrade>();
        try
        {
            await foreach (IndexProgramTrade t in sub.ReadAllAsync(ct))
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

        Assert.Fail($"Timed out reading until {what} ({seen.Count} update(s) read)");
        return seen;
    }

    [Fact]
    public async Task Index_updates_equal_what_the_simulator_serves_field_by_KIS_name()
    {
        using CancellationTokenSource deadline = Deadline(40);
        await using KisSimulator sim = await KisSimulator.StartAsync(Sim, deadline.Token);
        await using var client = new KisRealtimeClient(Options(sim));
        await using IKisSubscription<IndexProgramTrade> sub = await client.SubscribeIndexAsync([IndexCode.Kospi, IndexCode.Kosdaq], cancellationToken: deadline.Token);
        Assert.Equal(["H0UPPGM0/0001", "H0UPPGM0/1001"], sub.Registrations.Select(r => r.Registration.ToString()));
        Assert.All(sub.Registrations, r => Assert.True(r.IsHeld, r.ToString()));

        List<IndexProgramTrade> seen = await ReadAsync(sub, s => s.Count(u => u.IndexCode == "0001") >= 3 && s.Count(u => u.IndexCode == "1001") >= 3, deadline.Token, "three updates of each index");

        List<string> official = [.. SimRest.Official("H0UPPGM0")]; // the checked-in official column list
        foreach (IndexProgramTrade t in seen)
        {
            AssertAddsUp(t);
            IReadOnlyList<string> truth = sim.Market.IndexAt(t.IndexCode, KoreaTime.At(t.TradingDate, t.Time)).Fields;
            Assert.Equal(t.IndexCode, truth[official.IndexOf("bstp_cls_code")]);
            Assert.Equal(t.Time.ToString("HHmmss", CultureInfo.InvariantCulture), truth[official.IndexOf("bsop_hour")]);
            int compared = 0;
            foreach ((string name, decimal value) in Named(t))
            {
                int at = official.IndexOf(name);
                Assert.True(at >= 0, $"{name} is not an official field");
                Assert.True(decimal.Parse(truth[at], CultureInfo.InvariantCulture) == value, $"{t.IndexCode} {t.Time} {name}: client {value}, simulator {truth[at]}");
                compared++;
            }

            Assert.Equal(86, compared); // every field but the code and the time
        }

        AssertCumulative(seen);
        Assert.True(sub.Delivered >= 6);
        Assert.Equal(0, client.GetStatistics().RejectedFrames);
    }

    [Fact]
    public async Task Index_registrations_share_the_sessions_cap_with_the_stocks()
    {
        using CancellationTokenSource deadline = Deadline(30);
        await using KisSimulator sim = await KisSimulator.StartAsync(Sim, deadline.Token);
        await using var client = new KisRealtimeClient(Options(sim) with { MaxRegistrations = 3 });
        await using IKisSubscription<ProgramTrade> stocks = await client.SubscribeAsync(Registration.Of(["005930", "000660"], Venue.Krx), cancellationToken: deadline.Token);
        await using IKisSubscription<IndexProgramTrade> indices = await client.SubscribeIndexAsync([IndexCode.Kospi, IndexCode.Kosdaq], cancellationToken: deadline.Token);

        Assert.True(indices.Registrations[0].IsHeld, indices.Registrations[0].ToString());
        RegistrationStatus over = indices.Registrations[1];
        Assert.Equal(RegistrationState.OverLimit, over.State);
        Assert.Contains("3 registrations", over.Message, StringComparison.Ordinal);
        Assert.Equal(3, client.Registrations.Count);

        // Releasing a stock frees the slot for the index.
        await stocks.RemoveAsync(Registration.Of(["000660"], Venue.Krx), deadline.Token);
        IReadOnlyList<RegistrationStatus> again = await indices.AddAsync([Registration.Index(IndexCode.Kosdaq)], deadline.Token);
        Assert.True(again[0].IsHeld, again[0].ToString());
        await WaitUntilAsync(() => sim.Sessions.Single().Registrations.Contains(new SimulatorRegistration("H0UPPGM0", "1001")), deadline.Token, "KIS holds H0UPPGM0/1001");
        List<IndexProgramTrade> seen = await ReadAsync(indices, s => s.Any(u => u.IndexCode == "1001"), deadline.Token, "an update of 1001");
        Assert.All(seen, AssertAddsUp);
        await Assert.ThrowsAsync<ArgumentException>(() => indices.AddAsync(Registration.Of(["005930"], Venue.Krx), deadline.Token));
    }

    [Fact]
    public async Task A_reconnect_restores_the_index_registration_and_reports_its_gap_unhealed()
    {
        using CancellationTokenSource deadline = Deadline(40);
        await using KisSimulator sim = await KisSimulator.StartAsync(Sim, deadline.Token);
        await using var client = new KisRealtimeClient(Options(sim));
        var gaps = new ConcurrentQueue<DataGapEventArgs>();
        var healed = new ConcurrentQueue<GapHealedEventArgs>();
        client.DataGap += (_, e) => gaps.Enqueue(e);
        client.GapHealed += (_, e) => healed.Enqueue(e);
        await using IKisSubscription<ProgramTrade> stocks = await client.SubscribeAsync(Registration.Of(["005930"], Venue.Krx), cancellationToken: deadline.Token);
        await using IKisSubscription<IndexProgramTrade> sub = await client.SubscribeIndexAsync([IndexCode.Kospi], cancellationToken: deadline.Token);
        List<IndexProgramTrade> before = await ReadAsync(sub, s => s.Count >= 2, deadline.Token, "updates before the drop");

        long firstSession = sim.Sessions.Single().Id;
        await sim.DropAllSessionsAsync(DropMode.Abort);
        await WaitUntilAsync(() => sim.Sessions.Any(s => s.Id != firstSession && s.Registrations.Contains(new SimulatorRegistration("H0UPPGM0", "0001")) && s.Registrations.Count == 2),
            deadline.Token, "a new session holding H0UPPGM0/0001 and the stock");
        long secondSession = sim.Sessions.Single(s => s.Id != firstSession).Id;
        await WaitUntilAsync(() => sim.GetLedger(secondSession).Any(e => e.TrId == "H0UPPGM0"), deadline.Token, "an index frame on the new session");
        List<IndexProgramTrade> after = await ReadAsync(sub, s => s.Count >= 2, deadline.Token, "updates after the reconnect");

        Assert.Equal(1, client.GetStatistics().Reconnects);
        Assert.Equal(RegistrationState.Active, Assert.Single(sub.Registrations).State);
        List<IndexProgramTrade> all = [.. before, .. after];
        Assert.All(all, AssertAddsUp);
        AssertCumulative(all);

        await WaitUntilAsync(() => !gaps.IsEmpty && healed.Any(h => h.Registration.Kind == RecordKind.IndexProgramTrade), deadline.Token, "the gap and the index's healing report");
        Assert.Contains(Registration.Index("0001"), Assert.Single(gaps).Registrations);
        GapHealedEventArgs index = healed.Single(h => h.Registration.Kind == RecordKind.IndexProgramTrade);
        Assert.Equal(GapHealing.NotHealed, index.Report.Outcome);
        Assert.Contains("not healed over REST", index.Report.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pool_places_index_registrations_on_its_sessions_like_stock_ones()
    {
        using CancellationTokenSource deadline = Deadline(40);
        var second = new SimulatorCredential("PSSECONDAPPKEY000000000000000000000B", new string('t', 180));
        await using KisSimulator sim = await KisSimulator.StartAsync(Sim with { Credentials = [SimulatorCredential.Demo, second] }, deadline.Token);
        KisOptions first = Options(sim) with { MaxRegistrations = 1 };
        await using var pool = new KisClientPool([first, first with { AppKey = second.AppKey, AppSecret = second.AppSecret }]);
        await using IKisSubscription<IndexProgramTrade> sub = await pool.SubscribeIndexAsync([IndexCode.Kospi, IndexCode.Kosdaq], cancellationToken: deadline.Token);

        Assert.All(sub.Registrations, r => Assert.True(r.IsHeld, r.ToString()));
        Assert.Equal(2, pool.RegistrationCount);
        await WaitUntilAsync(() => sim.Sessions.Count == 2 && sim.Sessions.All(s => s.Registrations.Count == 1 && s.Registrations[0].TrId == "H0UPPGM0"), deadline.Token, "one index on each app key's session");
        List<IndexProgramTrade> seen = await ReadAsync(sub, s => s.Any(u => u.IndexCode == "0001") && s.Any(u => u.IndexCode == "1001"), deadline.Token, "updates of both indices");
        Assert.All(seen, AssertAddsUp);

        // Both sessions full: a third index is over the pool's cap.
        IReadOnlyList<RegistrationStatus> third = await sub.AddAsync([Registration.Index(IndexCode.Kospi200)], deadline.Token);
        Assert.Equal(RegistrationState.OverLimit, third[0].State);
    }
}
