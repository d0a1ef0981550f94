namespace KisFeed;

/// <summary>
/// The request would take the session over its registration limit (41 (TR id, code) pairs per session at KIS).
/// Raised before anything is sent.
/// </summary>
public sealed class KisSubscriptionLimitException : KisException
{
    /// <summary>Creates the exception.</summary>
    public KisSubscriptionLimitException(int current, int requested, int limit)
        : base($"This subscription needs {requested} new registration(s) but the session already holds {current} of its {limit}. " +
               $"KIS counts one registration per (TR id, stock code) pair, so one code on all three venues takes 3. " +
               "Subscribe to fewer codes or venues, or unsubscribe others first; each app key gets its own session, so more app keys allow more codes.")
    {
        Current = current;
        Requested = requested;
        Limit = limit;
    }

    /// <summary>Registrations held now.</summary>
    public int Current { get; }

    /// <summary>New registrations the request needed.</summary>
    public int Requested { get; }

    /// <summary>The limit.</summary>
    public int Limit { get; }
}
