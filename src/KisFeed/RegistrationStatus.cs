namespace KisFeed;

/// <summary>One registration of a subscription and where it stands (<see cref="IKisSubscription{T}.Registrations"/>).</summary>
/// <param name="Registration">The registration.</param>
/// <param name="State">Pending, active, refused or over the cap.</param>
public sealed record RegistrationStatus(Registration Registration, RegistrationState State)
{
    /// <summary>With <see cref="RegistrationState.Refused"/> or <see cref="RegistrationState.OverLimit"/>: KIS's <c>msg_cd</c> (e.g. <c>OPSP8992</c>), or null when KisFeed checked it before sending.</summary>
    public string? ErrorCode { get; init; }

    /// <summary>With <see cref="RegistrationState.Refused"/> or <see cref="RegistrationState.OverLimit"/>: what KIS said (<c>msg1</c>), with advice, or why the cap was hit.</summary>
    public string? Message { get; init; }

    /// <summary>With <see cref="RegistrationState.Refused"/> or <see cref="RegistrationState.OverLimit"/>: the error as an exception, to throw or log.</summary>
    public KisException? Error { get; init; }

    /// <summary>True when the subscription holds it (<see cref="RegistrationState.Pending"/> or <see cref="RegistrationState.Active"/>).</summary>
    public bool IsHeld => State is RegistrationState.Pending or RegistrationState.Active;

    /// <inheritdoc/>
    public override string ToString() => ErrorCode is null && Message is null
        ? $"{Registration} {State}"
        : $"{Registration} {State}: {(ErrorCode is null ? string.Empty : ErrorCode + " ")}{Message}".TrimEnd();
}
