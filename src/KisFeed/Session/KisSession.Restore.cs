using KisFeed.Protocol;

namespace KisFeed.Session;

// Restoring every registration on a new connection after a reconnect; what KIS refuses is noted, raised, and tried again next time.
internal sealed partial class KisSession
{
    /// <summary>Re-sends every registration after a reconnect; returns those KIS accepted.</summary>
    private async Task<IReadOnlyList<Registration>> RestoreAsync(LiveConnection connection, CancellationToken cancellationToken)
    {
        IReadOnlyList<Registration> wanted = _table.Wanted;
        Log.Connected(_log, _options.WebSocketUri, wanted.Count);
        List<Registration> restored = [];
        foreach (Registration r in wanted)
        {
            if (!_table.IsWanted(r))
            {
                continue; // released while we were restoring
            }

            ControlReply? reply;
            try
            {
                reply = await RequestAsync(connection, r, SubscribeRequest.Subscribe, cancellationToken).ConfigureAwait(false);
            }
            catch (KisException ex) when (ex.InnerException is TimeoutException)
            {
                connection.Drop(ex.Message, ReconnectReason.ConnectionLost);
                break;
            }
            catch (OperationCanceledException)
            {
                break;
            }

            if (reply is null)
            {
                break; // connection lost; the next connection restores everything again
            }

            KisApiException? error = Apply(reply, r, subscribe: true, connection);
            if (error is null)
            {
                if (_table.IsWanted(r))
                {
                    restored.Add(r);
                }
                else
                {
                    await UnregisterAsync(r).ConfigureAwait(false); // released while KIS was confirming it
                }
            }
            else if (connection.IsUsable)
            {
                Log.ResubscribeFailed(_log, r, error.Message);
                RegistrationStatus status = ControlErrors.StatusOf(r, reply, error);
                _table.NoteRefused(status);
                _events.SubscriptionFailed(new SubscriptionFailedEventArgs(status, restoring: true));
            }
            else
            {
                break;
            }
        }

        return restored;
    }
}
