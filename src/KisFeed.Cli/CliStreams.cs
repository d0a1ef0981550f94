using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace KisFeed.Cli;

/// <summary>Stock codes checked before anything is sent, with the library's one rule (<see cref="StockCode"/>).</summary>
internal static class StockCodes
{
    public static IReadOnlyList<string> Check(IEnumerable<string> codes)
    {
        List<string> ok = [];
        List<string> bad = [];
        foreach (string raw in codes)
        {
            if (StockCode.TryNormalize(raw, out string? code))
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
}

/// <summary>Streams shared by the commands.</summary>
internal static class CliStreams
{
    /// <summary>
    /// Waits for a command's one subscription and names each registration the server did not take (refused, or over the
    /// cap) in a notice ending with <paramref name="goesOn"/>. Throws a <see cref="CliException"/> when it took none.
    /// </summary>
    public static async Task<IKisSubscription<T>> SubscribeAsync<T>(Task<IKisSubscription<T>> subscribing, CliLogging logging, string goesOn)
    {
        IKisSubscription<T> subscription = await subscribing.ConfigureAwait(false);
        IReadOnlyList<RegistrationStatus> statuses = subscription.Registrations;
        List<RegistrationStatus> notHeld = [.. statuses.Where(s => !s.IsHeld)];
        if (notHeld.Count == statuses.Count)
        {
            await subscription.DisposeAsync().ConfigureAwait(false);
            throw new CliException($"No code was subscribed: {string.Join("; ", notHeld.Take(3).Select(Messages.NotHeld))}");
        }

        foreach (RegistrationStatus s in notHeld)
        {
            logging.Notice($"{Messages.NotHeld(s)}; {goesOn}");
        }

        return subscription;
    }

    /// <summary>Names a registration KIS refused when it was re-sent after a reconnect (those refused on subscribing are named by <see cref="SubscribeAsync"/>).</summary>
    public static void NoticeRestoreRefusals(KisRealtimeClient client, CliLogging logging) =>
        client.SubscriptionFailed += (_, e) =>
        {
            if (e.WhileRestoring)
            {
                logging.Notice($"{e.Registration} refused after a reconnect: {Messages.Describe(e.Status)}");
            }
        };

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
}

/// <summary>User-facing text for errors: one line, nothing said twice.</summary>
internal static class Messages
{
    /// <summary>A registration that is not held, in words: refused by the server (with KIS's code), or over the session's cap.</summary>
    public static string NotHeld(RegistrationStatus status) => status.ErrorCode is null && status.State == RegistrationState.OverLimit
        ? $"{status.Registration} not subscribed: over the session's registrations ({Describe(status)})"
        : $"{status.Registration} refused by the server ({Describe(status)})";

    /// <summary>Why a registration is not held, in one line: KIS's code and message, or why the cap was hit.</summary>
    public static string Describe(RegistrationStatus status) => status.Error is KisApiException { ErrorCode: not null } kis
        ? $"{kis.ErrorCode} {kis.ErrorMessage}".Trim()
        : Tidy($"{status.ErrorCode} {status.Message}".Trim());

    public static string Describe(Exception ex)
    {
        if (ex is KisApiException { Operation: "approval", ErrorCode: "EGW00201" })
        {
            return "KIS refused the approval-key request with EGW00201: the limit of one approval-key request per second per app key was hit " +
                "(another kisfeed or program using the same app key started at the same moment). Your credentials are fine; wait a second and run again.";
        }

        if (ex is KisApiException { Registration: { } refused } control)
        {
            return $"{refused}: {control.ErrorCode} {control.ErrorMessage}".Trim();
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
        while (shown.GetType() == typeof(KisException) && shown.InnerException is { Message.Length: > 20 } inner && shown.Message.Contains(inner.Message, StringComparison.Ordinal))
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
