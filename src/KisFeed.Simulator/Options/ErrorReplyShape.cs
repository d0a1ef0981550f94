namespace KisFeed.Simulator;

/// <summary>Whether error replies carry a <c>header</c> (notes §4.3: captures disagree).</summary>
public enum ErrorReplyShape
{
    /// <summary>
    /// Every reply has <c>{"header":{"tr_id","tr_key","encrypt"},"body":{...}}</c>: the requested tr_id/tr_key, or
    /// <c>"(null)"</c> / <c>""</c> for session-level errors (OPSP8996) and requests that named no TR. The official
    /// sample's <c>system_resp</c> reads <c>rdic["header"]["tr_id"]</c> and fails on a reply without one.
    /// </summary>
    WithHeader,

    /// <summary>Error replies (<c>rt_cd</c> ≠ <c>"0"</c>) are body only, like some captured frames (OPSP0011, OPSP0003, OPSP8996).</summary>
    BodyOnly,
}
