namespace KisFeed;

/// <summary>Healing one registration of a gap over REST finished (<see cref="KisRealtimeClient.GapHealed"/>).</summary>
public sealed class GapHealedEventArgs(GapHealingReport report) : EventArgs
{
    /// <summary>The outcome: healed, partly healed or not, with the rows delivered and what is still missing (the same report feed consumers receive in-band).</summary>
    public GapHealingReport Report { get; } = report ?? throw new ArgumentNullException(nameof(report));

    /// <summary>The <see cref="DataGap.Id"/> healed.</summary>
    public long GapId => Report.GapId;

    /// <summary>The registration.</summary>
    public Registration Registration => Report.Registration;

    /// <summary>Healed, partly healed or not healed.</summary>
    public GapHealing Outcome => Report.Outcome;
}
