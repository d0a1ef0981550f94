namespace KisFeed.Simulator;

/// <summary>Which header a control reply carries (notes §4.3: real replies vary; see <see cref="ErrorReplyShape"/>).</summary>
internal enum ReplyHeader
{
    /// <summary>
    /// <c>{"tr_id":"&lt;req&gt;","tr_key":"&lt;req&gt;","encrypt":"N"}</c> (notes §4.1); a part the request did not carry
    /// (an unreadable request) is written as <c>"(null)"</c> / <c>""</c>.
    /// </summary>
    Echo,

    /// <summary><c>{"tr_id":"(null)","tr_key":"","encrypt":"N"}</c>: session-level errors (captured OPSP8996, notes §4.3).</summary>
    Null,
}
