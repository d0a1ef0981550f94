namespace KisFeed.Simulator;

/// <summary>An issued approval key: its app key, when, and whether it was invalidated.</summary>
internal sealed record ApprovalRecord(string AppKey, DateTimeOffset IssuedAt, bool Invalidated);
