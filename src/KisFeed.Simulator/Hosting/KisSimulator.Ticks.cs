namespace KisFeed.Simulator;

// Ticks: what the timer (or PublishNow) sends, read from the market feed.
public sealed partial class KisSimulator
{
    /// <summary>
    /// Runs one market tick now (what the timer does): the updates whose instants fell since the previous tick are
    /// sent, stamped with their own seconds. With <see cref="SimulatorOptions.UpdatesPerSecond"/> = 0 nothing is due.
    /// </summary>
    public void PublishNow() => TickSafe(null);

    /// <summary>
    /// Runs one tick in which every open venue of every stock seen so far makes exactly <paramref name="updatesPerVenue"/>
    /// more updates in the current second (session hours still apply; a unified subscription gets one record per KRX and
    /// per NXT update; each update goes half of the way left to the second's end state, so the values never pass what the
    /// market holds for that second). Index subscriptions get one record of the current second. For deterministic tests
    /// with a fake clock and <see cref="SimulatorOptions.UpdatesPerSecond"/> = 0.
    /// </summary>
    public void PublishNow(int updatesPerVenue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(updatesPerVenue);
        TickSafe(updatesPerVenue);
    }

    /// <summary>A registration was added: from now on its REST history holds only what was published.</summary>
    internal void OnSubscribed(string trId, string trKey)
    {
        if (TrIds.TryGetVenue(trId, out Venue venue) && Options.Universe.TryGet(trKey, out SimulatedStock stock))
        {
            _feed.Touch(trKey);
            _feed.MarkSeen(stock, venue, Time.GetUtcNow());
        }
    }

    private void TickSafe(int? forced)
    {
        try
        {
            Tick(forced);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.TickFailed(Logger, ex);
        }
    }

    private void Tick(int? forced)
    {
        if (IsStalled || Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        lock (_tickGate)
        {
            SimulatorSession[] sessions = [.. _sessions.Values.OrderBy(s => s.Id)];
            var regs = sessions.Select(s => (Session: s, Regs: s.Registrations())).ToArray();
            var wanted = new HashSet<(Venue, string)>();
            var indices = new HashSet<string>(StringComparer.Ordinal);
            foreach ((_, SimulatorRegistration[] rs) in regs)
            {
                foreach (SimulatorRegistration r in rs)
                {
                    if (TrIds.TryGetVenue(r.TrId, out Venue v))
                    {
                        wanted.Add((v, r.TrKey));
                    }
                    else if (r.TrId == TrIds.Index)
                    {
                        indices.Add(r.TrKey);
                    }
                }
            }

            DateTimeOffset now = Time.GetUtcNow();
            Dictionary<(Venue Venue, string Code), List<string[]>> produced = _feed.Tick(now, wanted, forced);
            Dictionary<string, List<string[]>> indexRecords = indices.Count > 0 ? _feed.IndexTick(now, indices, forced) : [];
            foreach ((SimulatorSession session, SimulatorRegistration[] rs) in regs)
            {
                foreach (IGrouping<string, SimulatorRegistration> byTr in rs.GroupBy(r => r.TrId))
                {
                    if (byTr.Key == TrIds.Index)
                    {
                        foreach (SimulatorRegistration r in byTr)
                        {
                            if (indexRecords.TryGetValue(r.TrKey, out List<string[]>? list))
                            {
                                EnqueueData(session, byTr.Key, list);
                            }
                        }

                        continue;
                    }

                    if (!TrIds.TryGetVenue(byTr.Key, out Venue venue))
                    {
                        continue;
                    }

                    if (Options.MixCodesInFrames)
                    {
                        // Fault: all pending records of one TR for one session in ONE frame, whatever their codes.
                        var mixed = new List<string[]>();
                        foreach (SimulatorRegistration r in byTr)
                        {
                            if (produced.TryGetValue((venue, r.TrKey), out List<string[]>? list))
                            {
                                mixed.AddRange(list);
                            }
                        }

                        EnqueueData(session, byTr.Key, mixed);
                        continue;
                    }

                    // Default: the pending records of one (TR, code) go out together in one frame (notes §6 paging);
                    // codes never share a frame (no capture shows KIS doing that).
                    foreach (SimulatorRegistration r in byTr)
                    {
                        if (produced.TryGetValue((venue, r.TrKey), out List<string[]>? list))
                        {
                            EnqueueData(session, byTr.Key, list);
                        }
                    }
                }
            }
        }
    }

    private static void EnqueueData(SimulatorSession session, string trId, List<string[]> records)
    {
        // Split only beyond NNN = 999 (three digits on the wire).
        foreach (string[][] chunk in records.Chunk(999))
        {
            List<string[]> frameRecords = [.. chunk];
            session.Enqueue(new Outgoing(OutKind.Data, DataFrames.Format(trId, frameRecords), trId, frameRecords));
        }
    }
}
