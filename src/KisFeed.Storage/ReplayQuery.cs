namespace KisFeed.Storage;

/// <summary>Which records to replay and how fast. Start from <see cref="Default"/> (everything, as fast as possible).</summary>
public sealed record ReplayQuery : ExportQuery
{
    /// <summary>Every record, as fast as possible.</summary>
    public static new ReplayQuery Default { get; } = new();

    /// <summary>Null: as fast as possible. 1: the recorded pace (by <c>received_at</c> differences). N: N times faster.</summary>
    public double? Speed { get; init; }

    /// <summary>The clock used for pacing (tests pass a fake one).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
