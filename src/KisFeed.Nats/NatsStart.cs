using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace KisFeed.Nats;

/// <summary>
/// Create-or-open with retry: while NATS is only slow — a fresh cluster electing its meta leader, JetStream not ready
/// yet, no responders, API timeouts, a racing create by another process — the call is tried again with backoff
/// (0.1 s doubling to 2 s, with jitter) until <see cref="NatsFeedOptions.StartTimeout"/>; then a
/// <see cref="NatsFeedUnavailableException"/> names what was being opened, the last error and what to check.
/// </summary>
internal static class NatsStart
{
    // JetStream API error codes that mean "not yet", not "never" (nats-server's errors.json).
    private static readonly HashSet<int> TransientCodes =
    [
        10008, // JetStream system temporarily unavailable
        10023, // insufficient resources (peers not all known yet on a fresh cluster)
        10039, // JetStream not enabled for account (not ready yet)
        10058, // stream name already in use (a racing create with other settings; the next update wins)
        10074, // JetStream cluster not available / no leader
        10076, // JetStream not enabled / not ready
    ];

    public static Task<T> UntilReadyAsync<T>(INatsConnection connection, Func<CancellationToken, Task<T>> call, string what, NatsFeedOptions options, ILogger? logger, CancellationToken ct, bool notFoundIsTransient = false) =>
        UntilReadyAsync(connection, call, what, options.StartTimeout, logger, ct, notFoundIsTransient);

    public static async Task<T> UntilReadyAsync<T>(INatsConnection connection, Func<CancellationToken, Task<T>> call, string what, TimeSpan limit, ILogger? logger, CancellationToken ct, bool notFoundIsTransient = false)
    {
        logger ??= NullLogger.Instance;
        NatsRefusals.Tracker refusals = NatsRefusals.Watch(connection);
        long started = TimeProvider.System.GetTimestamp();
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await call(ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsTransient(ex, notFoundIsTransient, ct))
            {
                ThrowIfRefused(refusals, started, what);
                TimeSpan waited = TimeProvider.System.GetElapsedTime(started);
                if (waited >= limit)
                {
                    throw new NatsFeedUnavailableException(
                        $"NATS JetStream did not let KisFeed open {what} within {limit.TotalSeconds:0} s ({attempt} attempts; last error: {ex.Message}). " +
                        "Check that nats-server runs with JetStream enabled (-js), that a cluster has a quorum (2 of 3 nodes up), that a gateway created the stream, and the servers' logs.",
                        ex);
                }

                if (attempt == 1 || attempt % 10 == 0)
                {
                    Log.WaitingForNats(logger, what, attempt, ex.Message);
                }

                await Task.Delay(Backoff(attempt), ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The same JetStream account and prefix as <paramref name="js"/>, with API requests that time out after <paramref name="timeout"/>.</summary>
    public static INatsJSContext ShortTimeoutContext(INatsJSContext js, TimeSpan timeout) =>
        js is NatsJSContext
            ? new NatsJSContext(js.Connection, new NatsJSOpts(js.Connection.Opts, apiPrefix: js.Opts.ApiPrefix, domain: js.Opts.Domain, requestTimeout: timeout))
            : js;

    /// <summary>A request that was never answered because the server refused it: fail now, naming the permission.</summary>
    public static void ThrowIfRefused(NatsRefusals.Tracker refusals, long since, string what)
    {
        if (refusals.Since(since) is { } refusal)
        {
            throw new NatsFeedUnavailableException(
                $"NATS refused {what}: {refusal}. The user this process connects as lacks that permission; give it the rights of its role (docs/scale-out.md, \"Only gateways publish\") or connect as another user (--nats-user, --nats-creds, NATS_USER).");
        }
    }

    /// <summary>The wait before attempt <paramref name="attempt"/> + 1: 0.1 s doubling to 2 s, ±25 % jitter.</summary>
    public static TimeSpan Backoff(int attempt)
    {
        double ms = Math.Min(2000, 100 * Math.Pow(2, Math.Min(attempt - 1, 5)));
        return TimeSpan.FromMilliseconds(ms * (0.75 + (Random.Shared.NextDouble() * 0.5)));
    }

    /// <summary>Errors that clear by themselves while a server starts, elects or fails over.</summary>
    public static bool IsTransient(Exception ex, bool notFoundIsTransient, CancellationToken ct) => ex switch
    {
        OperationCanceledException => !ct.IsCancellationRequested,
        NatsJSApiException api => api.Error.Code is 503 or 408 || TransientCodes.Contains(api.Error.ErrCode) || (notFoundIsTransient && api.Error.Code == 404),
        NatsKVException => notFoundIsTransient,
        NatsNoRespondersException or NatsJSApiNoResponseException or NatsJSPublishNoResponseException or NatsNoReplyException or TimeoutException => true,
        NatsJSException => true, // other JetStream client errors (no response, create attempts exhausted)
        // A first connection that failed (no server at that address, TLS refused) is not slowness: say so at once.
        NatsException => ex is not NatsFeedUnavailableException && !IsRefusal(ex) && !ex.Message.StartsWith("can not start to connect", StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    /// <summary>The server refused who we are or what we asked: retrying cannot help.</summary>
    public static bool IsRefusal(Exception ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is System.Security.Authentication.AuthenticationException || IsRefusal(e.Message))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether a server's error text refuses who we are or what we asked.</summary>
    public static bool IsRefusal(string message) =>
        message.Contains("Authorization Violation", StringComparison.OrdinalIgnoreCase) || message.Contains("Permissions Violation", StringComparison.OrdinalIgnoreCase)
        || message.Contains("Authentication", StringComparison.OrdinalIgnoreCase) || message.Contains("User Authentication Expired", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Waits until a stream answers its info request with a leader (a fresh R3 stream elects one after its create). It
    /// was just created, so "stream not found" means the cluster has not caught up yet, not that it is gone.
    /// </summary>
    public static async Task<INatsJSStream> StreamReadyAsync(INatsJSContext js, string stream, string what, NatsFeedOptions options, ILogger? logger, CancellationToken ct) =>
        await UntilReadyAsync(js.Connection, async token =>
        {
            INatsJSStream s = await js.GetStreamAsync(stream, cancellationToken: token).ConfigureAwait(false);
            if (s.Info.Cluster is { } cluster && string.IsNullOrEmpty(cluster.Leader))
            {
                throw new TimeoutException($"stream {stream} has no leader yet");
            }

            return s;
        }, what, options, logger, ct, notFoundIsTransient: true).ConfigureAwait(false);
}
