using DuckDB.NET.Data;

namespace KisFeed.Storage;

// Recording a stream: trades, or a feed of trades, gaps and healing outcomes; gaps and outcomes as rows of their own.
public sealed partial class ProgramTradeRecorder
{
    /// <summary>
    /// Records every update of <paramref name="source"/> until it ends or <paramref name="cancellationToken"/> is
    /// cancelled, committing at least every <see cref="RecorderOptions.FlushInterval"/> (also while the source is idle)
    /// and at the end. Cancellation is a normal end: the buffer is committed and the count returned.
    /// </summary>
    /// <returns>The number of updates taken from <paramref name="source"/>.</returns>
    public Task<long> RecordAsync(IAsyncEnumerable<ProgramTrade> source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        return RecordCoreAsync(source, (in ProgramTrade t) => Append(t), cancellationToken);
    }

    /// <summary>
    /// Records a feed of trades and gaps (<see cref="KisFeedSourceExtensions.FeedAsync"/>): every trade, and every gap as
    /// soon as it arrives (the trades before it are committed first), so a recording is never silent about a hole.
    /// </summary>
    /// <returns>The number of trades recorded.</returns>
    public Task<long> RecordAsync(IAsyncEnumerable<FeedItem> source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        // The gaps of this feed by id and registration, so a healing outcome can name its bounds. Gap ids are counted
        // per session: a pool's feed carries the gaps of several sessions, which may share an id, but a registration
        // lives on one session at a time.
        var gaps = new Dictionary<(long, Registration), DataGap>();
        return RecordCoreAsync(source, (in FeedItem item) =>
        {
            switch (item.Kind)
            {
                case FeedItemKind.Trade:
                    Append(item.Trade);
                    return true;
                case FeedItemKind.Gap:
                    foreach (Registration r in item.Gap!.Registrations)
                    {
                        gaps[(item.Gap.Id, r)] = item.Gap;
                    }

                    RecordGap(item.Gap);
                    return false;
                default:
                    RecordHealing(item.Healing!, gaps);
                    return false;
            }
        }, cancellationToken);
    }

    /// <summary>
    /// Follows <paramref name="registrations"/> on <paramref name="source"/> (a client, a pool, any feed source) and records
    /// trades and gaps until cancelled. Registrations the source refuses are left out; when none is held, throws
    /// <see cref="KisSubscriptionException"/>.
    /// </summary>
    public Task<long> RecordAsync(IKisFeedSource source, IEnumerable<Registration> registrations, FeedOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        return RecordAsync(source.FeedAsync(registrations, options, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Records how healing one registration of a gap ended (table <c>gap_healing</c>); the healed rows themselves are
    /// trades with <see cref="TradeSource.Rest"/>. The trades before it are committed first.
    /// </summary>
    public void RecordHealing(GapHealingReport report, DateTimeOffset gapFrom, DateTimeOffset gapTo)
    {
        ArgumentNullException.ThrowIfNull(report);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            FlushLocked();
            try
            {
                using DuckDBTransaction tx = _connection.BeginTransaction();
                AppendHealingRowLocked(report, gapFrom, gapTo);
                tx.Commit();
            }
            catch (DuckDBException ex)
            {
                throw StorageFile.Translate(ex, Path, "record to");
            }
        }

        Log.GapHealingOutcome(_logger, report.Registration.ToString(), report.Outcome.ToString(), report.Rows);
    }

    private void AppendHealingRowLocked(GapHealingReport report, DateTimeOffset gapFrom, DateTimeOffset gapTo)
    {
        using DuckDBAppender appender = _connection.CreateAppender(StorageSchema.GapHealingTable);
        IDuckDBAppenderRow row = appender.CreateRow()
            .AppendValue(gapFrom)
            .AppendValue(gapTo)
            .AppendValue(report.Registration.Venue.Name())
            .AppendValue(report.Registration.Code)
            .AppendValue(report.Outcome.ToString())
            .AppendValue(report.Rows);
        row = report.StillMissingFrom is { } f ? row.AppendValue(f) : row.AppendNullValue();
        row = report.StillMissingTo is { } t ? row.AppendValue(t) : row.AppendNullValue();
        row.AppendValue(report.Detail)
            .AppendValue(_options.TimeProvider.GetUtcNow())
            .EndRow();
    }

    private void RecordHealing(GapHealingReport report, Dictionary<(long, Registration), DataGap> gaps)
    {
        (DateTimeOffset from, DateTimeOffset to) = gaps.TryGetValue((report.GapId, report.Registration), out DataGap? gap)
            ? (gap.From, gap.To)
            : (report.StillMissingFrom ?? default, report.StillMissingTo ?? default);
        RecordHealing(report, from, to);
    }

    /// <summary>Records each gap's registrations grouped by venue, one row per venue (the schema's shape).</summary>
    /// <remarks>A gap that reaches the recorder through several consumers (one per code, say) counts once in <see cref="RecorderStatistics.GapsWritten"/>.</remarks>
    public void RecordGap(DataGap gap)
    {
        ArgumentNullException.ThrowIfNull(gap);
        bool first;
        lock (_lock)
        {
            first = _gapIds.Add((gap.Id, gap.From, gap.To));
        }

        foreach (IGrouping<Venue, Registration> byVenue in gap.Registrations.GroupBy(r => r.Venue))
        {
            RecordGap(new RecordingGap(gap.From, gap.To, byVenue.Key, [.. byVenue.Select(r => r.Code)], gap.Reason), countIt: first);
            first = false;
        }
    }

    private delegate bool Handle<T>(in T item);

    private delegate void HandleTrade(in ProgramTrade item);

    private Task<long> RecordCoreAsync(IAsyncEnumerable<ProgramTrade> source, HandleTrade handle, CancellationToken cancellationToken) =>
        RecordCoreAsync(source, (in ProgramTrade t) =>
        {
            handle(t);
            return true;
        }, cancellationToken);

    private async Task<long> RecordCoreAsync<T>(IAsyncEnumerable<T> source, Handle<T> handle, CancellationToken cancellationToken)
    {
        TimeProvider time = _options.TimeProvider;
        long count = 0;
        long lastFlush = time.GetTimestamp();
        IAsyncEnumerator<T> enumerator = source.GetAsyncEnumerator(cancellationToken);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                ValueTask<bool> next = enumerator.MoveNextAsync();
                if (!next.IsCompleted)
                {
                    Task<bool> pending = next.AsTask();
                    while (!pending.IsCompleted)
                    {
                        TimeSpan due = _options.FlushInterval - time.GetElapsedTime(lastFlush);
                        if (due <= TimeSpan.Zero)
                        {
                            Flush();
                            lastFlush = time.GetTimestamp();
                            due = _options.FlushInterval;
                        }

                        using CancellationTokenSource delayCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                        Task delay = Task.Delay(due, time, delayCancel.Token);
                        await Task.WhenAny(pending, delay).ConfigureAwait(false);
                        await delayCancel.CancelAsync().ConfigureAwait(false);
                        if (cancellationToken.IsCancellationRequested && !pending.IsCompleted)
                        {
                            // The source may not observe the token; stop waiting for it.
                            Flush();
                            return count;
                        }
                    }

                    next = new ValueTask<bool>(pending);
                }

                if (!await next.ConfigureAwait(false))
                {
                    break;
                }

                if (handle(enumerator.Current))
                {
                    count++;
                }

                if (time.GetElapsedTime(lastFlush) >= _options.FlushInterval)
                {
                    Flush();
                    lastFlush = time.GetTimestamp();
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Normal end of recording.
        }
        finally
        {
            await DisposeEnumeratorAsync(enumerator).ConfigureAwait(false);
        }

        Flush();
        return count;
    }

    private static async ValueTask DisposeEnumeratorAsync<T>(IAsyncEnumerator<T> enumerator)
    {
        try
        {
            await enumerator.DisposeAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        catch (NotSupportedException)
        {
            // A pending MoveNextAsync (source ignored cancellation) cannot be disposed; it is abandoned.
        }
        catch (InvalidOperationException)
        {
        }
    }

    /// <summary>Records a period in which the live session was down (commits buffered updates first).</summary>
    public void RecordGap(RecordingGap gap) => RecordGap(gap, countIt: true);

    private void RecordGap(RecordingGap gap, bool countIt)
    {
        ArgumentNullException.ThrowIfNull(gap);
        ArgumentNullException.ThrowIfNull(gap.Codes, nameof(gap));
        ArgumentNullException.ThrowIfNull(gap.Reason, nameof(gap));
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            FlushLocked();
            try
            {
                using DuckDBTransaction tx = _connection.BeginTransaction();
                AppendGapRowLocked(gap);
                tx.Commit();
                if (countIt)
                {
                    _gaps++;
                }
            }
            catch (DuckDBException ex)
            {
                throw StorageFile.Translate(ex, Path, "record to");
            }
        }

        Log.GapRecorded(_logger, gap.From, gap.To, gap.Reason);
    }

    private void AppendGapRowLocked(RecordingGap gap)
    {
        using DuckDBAppender appender = _connection.CreateAppender(StorageSchema.GapsTable);
        IDuckDBAppenderRow row = appender.CreateRow()
            .AppendValue(gap.From)
            .AppendValue(gap.To);
        row = gap.Venue is { } venue ? row.AppendValue(venue.Name()) : row.AppendNullValue();
        row.AppendValue<string>(gap.Codes)
            .AppendValue(gap.Reason)
            .AppendValue(_options.TimeProvider.GetUtcNow())
            .EndRow();
    }
}
