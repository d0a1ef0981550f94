using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using System.Threading.Channels;

namespace KisFeed.Cli;

/// <summary>Korea Standard Time (UTC+9, no daylight saving): every time the tool shows is KST, as the data is.</summary>
internal static class Kst
{
    public static readonly TimeSpan Offset = TimeSpan.FromHours(9);

    public static DateTimeOffset Of(DateTimeOffset instant) => instant.ToOffset(Offset);

    public static DateTimeOffset Now(TimeProvider? time = null) => Of((time ?? TimeProvider.System).GetUtcNow());
}

/// <summary>Stock codes checked before anything is sent: 6 characters (digits, or a digit then digits and capitals); an ETN is Q and 6 digits.</summary>
internal static partial class StockCodes
{
    public static IReadOnlyList<string> Check(IEnumerable<string> codes)
    {
        List<string> ok = [];
        List<string> bad = [];
        foreach (string raw in codes)
        {
            string code = raw.Trim().ToUpperInvariant();
            if (Pattern().IsMatch(code))
            {
                if (!ok.Contains(code))
                {
                    ok.Add(code);
                }
            }
            else
            {
                bad.Add(raw);
            }
        }

        if (bad.Count > 0)
        {
            throw CliException.Usage(
                $"{string.Join(", ", bad.Select(b => $"'{b}'"))} {(bad.Count == 1 ? "is not a stock code" : "are not stock codes")}: " +
                "use the 6-character short code, e.g. 005930 (an ETN is Q and 6 digits, e.g. Q500001).");
        }

        return ok.Count == 0 ? throw CliException.Usage("No stock codes given, e.g. kisfeed watch 005930 000660.") : ok;
    }

    /// <summary>One KIS session holds at most <paramref name="limit"/> registrations ((TR, code) pairs): say so before connecting.</summary>
    public static void CheckRegistrations(IReadOnlyList<string> codes, IReadOnlyList<Venue> venues, int limit)
    {
        int needed = codes.Count * venues.Count;
        if (needed > limit)
        {
            throw CliException.Usage(
                $"{codes.Count} code(s) on {venues.Count} venue(s) need {needed} registrations, but one KIS session allows {limit} " +
                "(one per code and venue). Watch fewer codes or venues.");
        }
    }

    [GeneratedRegex("^(?:[0-9][0-9A-Z]{5}|Q[0-9]{6})$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}

/// <summary>Streams shared by the commands.</summary>
internal static class CliStreams
{
    /// <summary>
    /// One subscription per code, merged: a code the server refuses costs only that code (reported through
    /// <paramref name="refused"/>) and the others go on. Ends with an error only when every code was refused or the
    /// session failed.
    /// </summary>
    public static IAsyncEnumerable<ProgramTrade> PerCodeAsync(
        KisRealtimeClient client, IReadOnlyList<string> codes, IReadOnlyList<Venue> venues, Action<string, KisControlException> refused,
        CancellationToken cancellationToken) =>
        PerCodeAsync(codes, (code, ct) => client.ProgramTradesAsync([code], venues, ct), refused, cancellationToken);

    /// <summary>As <see cref="PerCodeAsync(KisRealtimeClient, IReadOnlyList{string}, IReadOnlyList{Venue}, Action{string, KisControlException}, CancellationToken)"/>, with trades and gaps in-band.</summary>
    public static IAsyncEnumerable<FeedItem> PerCodeFeedAsync(
        KisRealtimeClient client, IReadOnlyList<string> codes, IReadOnlyList<Venue> venues, Action<string, KisControlException> refused,
        CancellationToken cancellationToken) =>
        PerCodeFeedAsync(client, codes, venues, FeedOptions.Default, refused, cancellationToken);

    /// <summary>As above, each code's feed started as <paramref name="options"/> says (e.g. seeded with the day so far).</summary>
    public static IAsyncEnumerable<FeedItem> PerCodeFeedAsync(
        KisRealtimeClient client, IReadOnlyList<string> codes, IReadOnlyList<Venue> venues, FeedOptions options, Action<string, KisControlException> refused,
        CancellationToken cancellationToken) =>
        PerCodeAsync(codes, (code, ct) => client.FeedAsync([code], venues, options, ct), refused, cancellationToken);

    /// <summary>The trades of a feed; each seed report (how far back the day's REST rows reached) goes to <paramref name="seeded"/>.</summary>
    public static async IAsyncEnumerable<ProgramTrade> TradesOf(IAsyncEnumerable<FeedItem> feed, Action<GapHealingReport> seeded, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var seeds = new HashSet<long>();
        await foreach (FeedItem item in feed.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            switch (item.Kind)
            {
                case FeedItemKind.Trade:
                    yield return item.Trade;
                    break;
                case FeedItemKind.Gap when item.Gap!.IsSeed:
                    seeds.Add(item.Gap.Id);
                    break;
                case FeedItemKind.GapHealed when seeds.Contains(item.Healing!.GapId):
                    seeded(item.Healing);
                    break;
            }
        }
    }

    /// <summary>The whole feed, in order; each seed report (how far back the day's REST rows reached) also goes to <paramref name="seeded"/>.</summary>
    public static async IAsyncEnumerable<FeedItem> Reporting(IAsyncEnumerable<FeedItem> feed, Action<GapHealingReport> seeded, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var seeds = new HashSet<long>();
        await foreach (FeedItem item in feed.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (item.Kind == FeedItemKind.Gap && item.Gap!.IsSeed)
            {
                seeds.Add(item.Gap.Id);
            }
            else if (item.Kind == FeedItemKind.GapHealed && seeds.Contains(item.Healing!.GapId))
            {
                seeded(item.Healing);
            }

            yield return item;
        }
    }

    /// <summary>One line for a seed report: what came from REST and how far back it reached.</summary>
    public static string SeedText(GapHealingReport r) =>
        $"{r.Registration}: {r.Rows} row(s) of the day so far from REST, {r.Outcome}: {r.Detail}";

    private static async IAsyncEnumerable<T> PerCodeAsync<T>(
        IReadOnlyList<string> codes, Func<string, CancellationToken, IAsyncEnumerable<T>> open, Action<string, KisControlException> refused,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Bounded and waiting: the client's own per-consumer buffers apply their drop policy if the reader falls behind.
        var merged = Channel.CreateBounded<T>(new BoundedChannelOptions(10_000) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        int running = codes.Count;
        int refusedCount = 0;
        KisControlException? lastRefusal = null;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        List<Task> pumps = [];
        foreach (string code in codes)
        {
            pumps.Add(Task.Run(async () =>
            {
                Exception? failure = null;
                try
                {
                    await foreach (T t in open(code, stop.Token).ConfigureAwait(false))
                    {
                        await merged.Writer.WriteAsync(t, stop.Token).ConfigureAwait(false);
                    }
                }
                catch (KisControlException ex)
                {
                    Interlocked.Increment(ref refusedCount);
                    lastRefusal = ex;
                    refused(code, ex);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                }
                catch (Exception ex)
                {
                    failure = ex;
                }

                if (failure is not null)
                {
                    merged.Writer.TryComplete(failure);
                }
                else if (Interlocked.Decrement(ref running) == 0)
                {
                    merged.Writer.TryComplete(refusedCount == codes.Count && lastRefusal is not null
                        ? new CliException($"KIS refused every code: {Messages.Describe(lastRefusal)}")
                        : null);
                }
            }, CancellationToken.None));
        }

        try
        {
            await foreach (T t in merged.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return t;
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(pumps).ConfigureAwait(false);
        }
    }
}

/// <summary>User-facing text for errors: one line, nothing said twice.</summary>
internal static class Messages
{
    public static string Describe(Exception ex)
    {
        if (ex is KisApprovalException { ErrorCode: "EGW00201" })
        {
            return "KIS refused the approval-key request with EGW00201: the limit of one approval-key request per second per app key was hit " +
                "(another kisfeed or program using the same app key started at the same moment). Your credentials are fine; wait a second and run again.";
        }

        if (ex is KisControlException control)
        {
            return $"{control.TrId}/{control.TrKey}: {control.MsgCd} {control.Msg1}".Trim();
        }

        if (ex is NATS.Client.Core.NatsException and not KisFeed.Nats.NatsFeedUnavailableException)
        {
            // NATS.Net says "can not start to connect" and keeps the server's reason inside: say both.
            string chain = string.Join(": ", Enumerable.Repeat(ex, 1).Concat(InnerOf(ex)).Select(e => e.Message.Trim()).Distinct(StringComparer.Ordinal));
            return Tidy(chain.Contains("Authorization Violation", StringComparison.OrdinalIgnoreCase)
                ? chain + ". NATS refused the credentials: check the user and password, token, NKey or .creds file (--nats-user/--nats-password, NATS_USER/NATS_PASSWORD, --nats-creds; docs/scale-out.md)."
                : chain.Contains("certificate", StringComparison.OrdinalIgnoreCase) || chain.Contains("SSL", StringComparison.Ordinal)
                    ? chain + ". The TLS handshake with NATS failed: check --nats-tls-ca, --nats-tls-cert and --nats-tls-key (NATS_CA, NATS_CERT, NATS_KEY)."
                    : chain);
        }

        // The session wraps transport errors whose text it repeats: say the innermost KIS error once, with its advice.
        Exception shown = ex;
        while (shown is KisConnectionException && shown.InnerException is { Message.Length: > 20 } inner && shown.Message.Contains(inner.Message, StringComparison.Ordinal))
        {
            shown = inner;
        }

        // The session's error-code hint names a file that is not in the repository; the notes are docs/protocol.md.
        return Tidy(shown.Message.Replace("docs/" + "kis-protocol.md", "docs/protocol.md", StringComparison.Ordinal));
    }

    private static IEnumerable<Exception> InnerOf(Exception ex)
    {
        for (Exception? e = ex.InnerException; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }

    /// <summary>One line; repeated sentences and doubled full stops removed.</summary>
    public static string Tidy(string text)
    {
        string line = CliApp.OneLine(text);
        List<string> sentences = [];
        foreach (string s in Regex.Split(line, @"(?<=\.)\s+"))
        {
            string sentence = s.Trim();
            if (sentence.Length > 0 && !sentences.Contains(sentence, StringComparer.Ordinal))
            {
                sentences.Add(sentence);
            }
        }

        string result = string.Join(' ', sentences);
        result = Regex.Replace(result, @"\.(\s*\.)+", ".");
        return result;
    }
}
