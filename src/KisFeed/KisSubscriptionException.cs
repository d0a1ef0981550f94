namespace KisFeed;

/// <summary>
/// A subscription holds none of its registrations: KIS refused each of them, or they were over the cap. Thrown by the
/// streaming helpers (<see cref="KisFeedSourceExtensions.ProgramTradesAsync"/>, <see cref="KisFeedSourceExtensions.FeedAsync"/>);
/// <see cref="IKisFeedSource.SubscribeAsync"/> itself reports the same in <see cref="IKisSubscription{T}.Registrations"/>.
/// </summary>
public sealed class KisSubscriptionException : KisException
{
    /// <summary>Creates the exception.</summary>
    public KisSubscriptionException(IReadOnlyList<RegistrationStatus> registrations)
        : base(Describe(registrations))
    {
        Registrations = registrations;
    }

    /// <summary>Each registration asked for and why it is not held.</summary>
    public IReadOnlyList<RegistrationStatus> Registrations { get; }

    private static string Describe(IReadOnlyList<RegistrationStatus> registrations)
    {
        ArgumentNullException.ThrowIfNull(registrations);
        IEnumerable<string> each = registrations.Take(5).Select(s => s.ToString());
        string more = registrations.Count > 5 ? $" and {registrations.Count - 5} more" : string.Empty;
        return $"None of the {registrations.Count} registration(s) is held: {string.Join("; ", each)}{more}.";
    }
}
