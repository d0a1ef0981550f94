namespace KisFeed.Simulator;

/// <summary>What a queued outgoing message is.</summary>
internal enum OutKind
{
    Text,
    Ping,
    Data,
    Close,
}
