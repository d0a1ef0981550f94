namespace KisFeed;

/// <summary>
/// A frame that could not be read in full (records that could be read from it were still delivered). Raised for the
/// first frame of each reason in a second; the frames of that reason after it in the same second are counted
/// (<see cref="KisClientStatistics.RejectedFrames"/>, the <c>kisfeed.frames.rejected</c> counter) and their number comes
/// with the next event of that reason (<see cref="SuppressedBefore"/>).
/// </summary>
public sealed class FrameRejectedEventArgs(FrameError error, string detail, ReadOnlyMemory<byte> rawFrame, int recordsDelivered, long suppressedBefore = 0) : EventArgs
{
    /// <summary>What was wrong.</summary>
    public FrameError Error { get; } = error;

    /// <summary>Details in words.</summary>
    public string Detail { get; } = detail;

    /// <summary>The frame exactly as received (a copy).</summary>
    public ReadOnlyMemory<byte> RawFrame { get; } = rawFrame;

    /// <summary>Records from this frame that were read and delivered anyway.</summary>
    public int RecordsDelivered { get; } = recordsDelivered;

    /// <summary>Frames rejected for the same <see cref="Error"/> since the previous event of that reason, counted but not raised (their raw frames are not kept).</summary>
    public long SuppressedBefore { get; } = suppressedBefore;
}
