namespace KisFeed.Simulator;

/// <summary>What happens to the next subscribe/unsubscribe replies (see <see cref="KisSimulator.InjectControlReplyFault"/>).</summary>
public enum ControlReplyFault
{
    /// <summary>Replies go out normally.</summary>
    None,

    /// <summary>The reply is sent after a delay (other frames may overtake it).</summary>
    Delay,

    /// <summary>No reply is sent at all (the registration itself still takes effect).</summary>
    Drop,

    /// <summary>The reply is sent twice.</summary>
    Duplicate,
}
