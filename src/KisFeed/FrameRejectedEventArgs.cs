namespace KisFeed;

/// <summary>A frame that could not be read in full. Records that could be read from it were still delivered.</summary>
public sealed class FrameRejectedEventArgs(FrameError error, string detail, ReadOnlyMemory<byte> rawFrame, int recordsDelivered) : EventArgs
{
    /// <summary>What was wrong.</summary>
    public FrameError Error { get; } = error;

    /// <summary>Details in words.</summary>
    public string Detail { get; } = detail;

    /// <summary>The frame exactly as received (a copy).</summary>
    public ReadOnlyMemory<byte> RawFrame { get; } = rawFrame;

    /// <summary>Records from this frame that were read and delivered anyway.</summary>
    public int RecordsDelivered { get; } = recordsDelivered;
}
