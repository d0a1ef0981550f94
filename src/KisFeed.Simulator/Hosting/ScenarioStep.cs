namespace KisFeed.Simulator;

/// <summary>One line of a <see cref="SimulatorScenario"/>: its text, whether it repeats, when, and what it does.</summary>
internal sealed record ScenarioStep(string Text, bool Repeat, TimeSpan When, Func<KisSimulator, CancellationToken, Task> Action);
