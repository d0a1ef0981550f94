namespace KisFeed.Session;

/// <summary>One session's share of a plan: the registrations that go to it.</summary>
internal readonly record struct PlacedPart(KisSession Session, IReadOnlyList<Registration> Registrations);

/// <summary>
/// Where a subscription's new registrations go: all to one session (a client), or spread over several by their free
/// slots (a pool). Each session's table still checks its own cap when the registrations arrive.
/// </summary>
internal interface IPlacement
{
    /// <summary>Held while a plan is made and carried out (a pool's plan reads every session's free slots); null: no gate.</summary>
    SemaphoreSlim? PlanGate { get; }

    /// <summary>Splits <paramref name="registrations"/> over sessions; those no session has room for come back as over the cap.</summary>
    (IReadOnlyList<PlacedPart> Parts, IReadOnlyList<RegistrationStatus> OverLimit) Plan(IReadOnlyList<Registration> registrations);
}

/// <summary>Every registration to one session (a <see cref="KisRealtimeClient"/>'s).</summary>
internal sealed class SingleSession(KisSession session) : IPlacement
{
    public SemaphoreSlim? PlanGate => null;

    public (IReadOnlyList<PlacedPart> Parts, IReadOnlyList<RegistrationStatus> OverLimit) Plan(IReadOnlyList<Registration> registrations) =>
        ([new PlacedPart(session, registrations)], []);
}
