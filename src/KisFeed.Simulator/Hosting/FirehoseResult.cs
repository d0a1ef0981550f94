namespace KisFeed.Simulator;

/// <summary>What <see cref="KisSimulator.FirehoseAsync"/> sent.</summary>
/// <param name="Sessions">Sessions that were pushed to.</param>
/// <param name="Frames">Data frames written.</param>
/// <param name="Records">Data records written.</param>
/// <param name="Elapsed">Wall time from the first frame to the last write.</param>
public sealed record FirehoseResult(int Sessions, long Frames, long Records, TimeSpan Elapsed);
