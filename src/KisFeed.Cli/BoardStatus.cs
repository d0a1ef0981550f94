namespace KisFeed.Cli;

/// <summary>What the status line shows.</summary>
/// <param name="Source">Where the data comes from (the demo notice, the live endpoint, a replayed file, a stream).</param>
/// <param name="State">The connection state, or <c>Stopped</c> / <c>Replay finished</c> once the stream ended.</param>
/// <param name="Records">Records received.</param>
/// <param name="Reconnects">Reconnects.</param>
/// <param name="Dropped">Records dropped because the board fell behind.</param>
/// <param name="Rejected">Frames or messages rejected as malformed.</param>
/// <param name="Extra">The last notice worth showing (a refused code, a warning), or null.</param>
/// <param name="IsDemo">True for the built-in simulator (always open) or a simulated recording.</param>
/// <param name="Ended">True once the stream ended: the footer no longer offers Ctrl-C.</param>
internal sealed record BoardStatus(string Source, string State, long Records, long Reconnects, long Dropped, long Rejected, string? Extra = null, bool IsDemo = false, bool Ended = false);
