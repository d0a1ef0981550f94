namespace KisFeed;

/// <summary>How much of a <see cref="DataGap"/> the REST history could give back, per registration.</summary>
public enum GapHealing
{
    /// <summary>Every minute of the gap was covered by REST rows.</summary>
    Healed,

    /// <summary>REST rows covered only part of the gap (the window did not reach back far enough, or rows were missing).</summary>
    PartlyHealed,

    /// <summary>Nothing could be fetched (no credentials for REST, an error, or healing switched off).</summary>
    NotHealed,
}
